"""Flowcharts: the ``::: flowchart TITLE`` container read into steps, checked, described in words and laid
out, for the Word writer (DrawingML shapes, :mod:`protocolgen.write.docx.drawing`) and the HTML writer (an
inline SVG) to draw the same picture.

The container holds one table whose header is ``| Step | Box | Yes | No |``. A row whose Yes and No cells
name other steps is a decision; a row with both empty is an outcome::

    ::: flowchart Deciding whether to share
    | Step | Box | Yes | No |
    |---|---|---|---|
    | 1 | Is a child at risk of significant harm? | 4 | 2 |
    | 2 | Has the family agreed? | 5 | 3 |
    | 3 | Is there another lawful basis? | 4 | 6 |
    | 4 | Share now, without waiting for agreement | | |
    | 5 | Share what was agreed | | |
    | 6 | Do not share; record the decision | | |
    :::

**Layout.** The decisions stand in a column down the left, starting with the first row. Of each decision's
two branches, the one that leads to the next decision continues down; the other goes right, to its outcome.
The last decision sends Yes to the right and No down, each to an outcome. An outcome reached from two
decisions is drawn beside each, so no arrow crosses another. What cannot be drawn this way (a branch back to
an earlier step, two branches that both lead to decisions, a decision no arrow reaches) is a ``ValueError``
naming the step, as are unknown steps and a malformed table.

Sizes are in EMU (English Metric Units: 914,400 an inch, 360,000 a centimetre), Word's drawing unit; box
heights come from the text they hold, wrapped by an estimate of Arial's average character width.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markdown_it.token import Token

from protocolgen.write import markdown as mdx

__all__ = ["Arrow", "Box", "Flowchart", "Layout", "Step", "layout", "read_flowchart"]

HEADER = ("step", "box", "yes", "no")
EMU_PER_TWIP = 635
EMU_PER_POINT = 12700
CM = 360000

_FONT_SIZES = (10, 9, 8)  # points: the largest that lets the chart fit the page
_CHAR_WIDTH = 0.55  # Arial's average character width, in ems, on the generous side so text never overflows
_LINE = 1.2  # line height, in ems
INSET = int(0.12 * CM)  # text inset inside a box
_DECISION_SHARE, _GAP_SHARE = 0.5, 0.14  # of the width: the decision column and the arrow to the right
_ROW_GAP = int(0.9 * CM)  # between one decision and the next: room for the arrow and its label
_LABEL_W, _LABEL_H = int(1.3 * CM), int(0.55 * CM)


@dataclass(frozen=True)
class Step:
    """One row of the table."""

    id: str
    text: str
    inline: Token  # the Box cell, for writers that keep its formatting
    yes: str
    no: str

    @property
    def decision(self) -> bool:
        return bool(self.yes or self.no)


@dataclass(frozen=True)
class Flowchart:
    title: str
    steps: tuple[Step, ...]
    line: int  # of the ``:::`` fence, for messages

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    def description(self) -> str:
        """The chart in words, for alt text: the title, then each decision and where its answers lead."""
        parts = [self.title.rstrip(".") + "."]
        for step in self.steps:
            if step.decision:
                parts.append(f"Step {step.id}: {_sentence(step.text)} If yes, {self._where(step.yes)}. "
                             f"If no, {self._where(step.no)}.")
        return " ".join(parts)

    def _where(self, step_id: str) -> str:
        target = self.step(step_id)
        if target.decision:
            return f"go to step {target.id}"
        text = _sentence(target.text, end="").rstrip(".")
        # "Share now" reads on after a comma as "share now"; an acronym ("MASH ...") keeps its capitals
        return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _sentence(text: str, end: str = ".") -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".?!" else text + end


@dataclass(frozen=True)
class Box:
    step: Step
    kind: str  # "decision" or "outcome"
    x: int
    y: int
    w: int
    h: int
    lines: tuple[str, ...]  # the text as wrapped for the estimate (the SVG prints these lines)


@dataclass(frozen=True)
class Arrow:
    x1: int
    y1: int
    x2: int
    y2: int
    label: str  # "Yes" or "No"
    label_x: int
    label_y: int
    label_w: int = _LABEL_W
    label_h: int = _LABEL_H


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    font_size: int  # points

    @property
    def line_height(self) -> int:
        return int(self.font_size * _LINE * EMU_PER_POINT)


# --- reading the container ------------------------------------------------------------------------------------


def read_flowchart(tokens: Sequence[Token], open_index: int) -> tuple[Flowchart, int]:
    """The flowchart whose container opens at ``tokens[open_index]``, and the index after its close."""
    opening = tokens[open_index]
    line = opening.map[0] + 1 if opening.map else 0
    title = mdx.container_argument(opening)

    def fail(problem: str) -> ValueError:
        return ValueError(f"'::: flowchart' on line {line}: {problem}")

    rows: list[list[Token]] = []
    depth, j, tables = 0, open_index + 1, 0
    while True:
        token = tokens[j]
        if token.type == mdx.CONTAINER_CLOSE and depth == 0:
            break
        if token.type == "table_open":
            tables += 1
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and depth and rows:
            rows[-1].append(token)
        elif depth == 0 and token.type != "table_close":
            raise fail("must hold only its table, | Step | Box | Yes | No |")
        depth += token.nesting if token.type in ("table_open", "table_close") else 0
        j += 1
    if tables != 1:
        raise fail("must hold exactly one table, | Step | Box | Yes | No |")
    header = tuple(mdx.inline_text(cell).strip().lower() for cell in rows[0])
    if header != HEADER:
        raise fail(f"its table's header must be | Step | Box | Yes | No |, not | {' | '.join(header)} |")
    steps: list[Step] = []
    for cells in rows[1:]:
        step_id, text, yes, no = (mdx.inline_text(cell).strip() for cell in cells)
        if not step_id or not text:
            raise fail("every row needs a step and the text of its box")
        if any(s.id == step_id for s in steps):
            raise fail(f"step {step_id!r} is given twice")
        if bool(yes) != bool(no):
            raise fail(f"step {step_id!r} is a decision, so it needs both a Yes and a No step (or neither, "
                       "for an outcome)")
        steps.append(Step(step_id, text, cells[1], yes, no))
    chart = Flowchart(title, tuple(steps), line)
    _check(chart, fail)
    return chart, j + 1


def _check(chart: Flowchart, fail: Callable[[str], ValueError]) -> None:
    ids = [s.id for s in chart.steps]
    if not any(s.decision for s in chart.steps):
        raise fail("needs at least one decision (a row whose Yes and No name other steps)")
    if not chart.steps[0].decision:
        raise fail("its first row must be the first decision")
    for step in chart.steps:
        for answer, target in (("Yes", step.yes), ("No", step.no)):
            if step.decision and target not in ids:
                raise fail(f"step {step.id!r}: {answer} goes to step {target!r}, which the table does not have")
            if step.decision and ids.index(target) <= ids.index(step.id):
                raise fail(f"step {step.id!r}: {answer} goes back to step {target!r}; only later steps can be drawn")
    on_chain = {link[0].id for link in _chain(chart, fail)}
    unreached = [s.id for s in chart.steps if s.decision and s.id not in on_chain]
    if unreached:
        raise fail(f"decision {unreached[0]!r} is not on the chain of decisions from step {chart.steps[0].id!r}")


def _chain(chart: Flowchart, fail: Callable[[str], ValueError]) -> list[tuple[Step, Step, str, Step, str]]:
    """(decision, right target, its label, down target, its label) down the left column."""
    chain = []
    current: Step | None = chart.steps[0]
    while current is not None:
        yes, no = chart.step(current.yes), chart.step(current.no)
        if yes.decision and no.decision:
            raise fail(f"step {current.id!r}: Yes and No both lead to decisions; one of them must be an outcome")
        if yes.decision:
            chain.append((current, no, "No", yes, "Yes"))
            current = yes
        elif no.decision:
            chain.append((current, yes, "Yes", no, "No"))
            current = no
        else:
            chain.append((current, yes, "Yes", no, "No"))
            current = None
    return chain


# --- layout ---------------------------------------------------------------------------------------------------


def _wrap(text: str, width: int, font_size: int) -> tuple[str, ...]:
    """``text`` broken into lines that fit ``width`` EMU at ``font_size`` points (by estimate)."""
    per_line = max(int(width / (font_size * _CHAR_WIDTH * EMU_PER_POINT)), 4)
    lines: list[str] = []
    current = ""
    for word in text.split():
        while len(word) > per_line:  # a word longer than the box: break it
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        if current and len(current) + 1 + len(word) > per_line:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return tuple(lines) or ("",)


def layout(chart: Flowchart, width: int, max_height: int) -> Layout:
    """Boxes and arrows for ``chart`` in a frame ``width`` EMU wide (the page's text width), at the largest
    font that keeps it under ``max_height``; ``ValueError`` if even the smallest does not."""
    for font_size in _FONT_SIZES:
        result = _layout(chart, width, font_size)
        if result.height <= max_height:
            return result
    raise ValueError(f"'::: flowchart' on line {chart.line}: the chart is taller than the page; split it in two "
                     "or shorten the text in its boxes")


def _layout(chart: Flowchart, width: int, font_size: int) -> Layout:
    line = int(font_size * _LINE * EMU_PER_POINT)
    decision_w = int(width * _DECISION_SHARE)
    gap = int(width * _GAP_SHARE)
    outcome_x = decision_w + gap
    outcome_w = width - outcome_x
    boxes: list[Box] = []
    arrows: list[Arrow] = []
    links = _chain(chart, _raise)

    def outcome(step: Step, x: int, w: int) -> tuple[tuple[str, ...], int]:
        lines = _wrap(step.text, w - 2 * INSET, font_size)
        return lines, max(len(lines) * line + 2 * INSET, int(1.0 * CM))

    y = 0
    for index, (decision, right, right_label, down, down_label) in enumerate(links):
        # the diamond's text area is the middle half of its width and height
        lines = _wrap(decision.text, decision_w // 2 - 2 * INSET, font_size)
        diamond_h = max(2 * (len(lines) * line + 2 * INSET), int(1.8 * CM))
        right_lines, right_h = outcome(right, outcome_x, outcome_w)
        row_h = max(diamond_h, right_h)
        middle = y + row_h // 2
        top = middle - diamond_h // 2
        boxes.append(Box(decision, "decision", 0, top, decision_w, diamond_h, lines))
        boxes.append(Box(right, "outcome", outcome_x, middle - right_h // 2, outcome_w, right_h, right_lines))
        arrows.append(Arrow(decision_w, middle, outcome_x, middle, right_label,
                            decision_w + (gap - _LABEL_W) // 2, middle - _LABEL_H - int(0.05 * CM)))
        bottom = top + diamond_h
        y = max(y + row_h, bottom) + _ROW_GAP
        centre = decision_w // 2
        label_y = bottom + (_ROW_GAP - _LABEL_H) // 2
        if index + 1 < len(links):
            next_lines = _wrap(links[index + 1][0].text, decision_w // 2 - 2 * INSET, font_size)
            next_h = max(2 * (len(next_lines) * line + 2 * INSET), int(1.8 * CM))
            next_right_h = outcome(links[index + 1][1], outcome_x, outcome_w)[1]
            next_top = y + max(next_h, next_right_h) // 2 - next_h // 2
            arrows.append(Arrow(centre, bottom, centre, next_top, down_label, centre + int(0.15 * CM),
                                bottom + (next_top - bottom - _LABEL_H) // 2))
        else:
            down_w = int(decision_w * 0.8)
            down_lines, down_h = outcome(down, (decision_w - down_w) // 2, down_w)
            boxes.append(Box(down, "outcome", (decision_w - down_w) // 2, y, down_w, down_h, down_lines))
            arrows.append(Arrow(centre, bottom, centre, y, down_label, centre + int(0.15 * CM), label_y))
            y += down_h
    return Layout(width, y, tuple(boxes), tuple(arrows), font_size)


def _raise(problem: str) -> ValueError:  # _check has already passed: the chain exists
    return ValueError(problem)
