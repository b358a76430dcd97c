"""A flowchart drawn in Word: native DrawingML shapes, laid out by :mod:`protocolgen.write.flowchart`.

The chart is one inline drawing in its own paragraph: a group (``wpg:wgp``, Word 2010's shape group for
WordprocessingML) of shapes (``wps:wsp``): diamonds for decisions and rounded boxes for outcomes, each holding
its text in a text box (``wps:txbx``/``w:txbxContent``, ordinary paragraphs, so the words are real text that
search and copy find), straight connectors with arrow heads for the branches, and "Yes"/"No" labels beside
them. ``wp:docPr`` carries the alt text: ``title`` is the chart's title, ``descr`` the chart in words.

Word 2007 and other readers that do not know ``wpg``/``wps`` get the ``mc:AlternateContent`` fallback: the
chart in words as plain text, so nothing is lost. Word 2010 and later, and LibreOffice, take the choice.
Colours come from the house palette and the shapes differ in outline too, so the chart reads in greyscale.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from lxml import etree

from protocolgen.write import flowchart as fc
from protocolgen.write.docx.oxml import (
    EXTENSION_NAMESPACES,
    MC_NS,
    W_B,
    W_JC,
    W_P,
    W_PPR,
    W_R,
    W_RPR,
    W_SPACING,
    W_SZ,
    W_SZCS,
    W_T,
    W_VAL,
    qn,
)

__all__ = ["NAMESPACES", "flowchart_run"]

A_NS = EXTENSION_NAMESPACES["a"][0]
WP_NS = EXTENSION_NAMESPACES["wp"][0]
WPS_NS = EXTENSION_NAMESPACES["wps"][0]
WPG_NS = EXTENSION_NAMESPACES["wpg"][0]
NAMESPACES = {"a", "wp", "wps", "wpg"}
"""The extension namespaces a document with a flowchart declares."""
_GROUP_URI = "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup"

NAVY = "1F3864"  # lines and text: the house heading colour
DECISION_FILL = "D9E2F3"  # the table-header blue
OUTCOME_FILL = "FFFFFF"
_LINE_WIDTH = 12700  # 1 pt
_OUTCOME_LINE_WIDTH = 19050  # 1.5 pt: outcomes are the boxes to act on


def _a(tag: str) -> str:
    return f"{{{A_NS}}}{tag}"


def _wp(tag: str) -> str:
    return f"{{{WP_NS}}}{tag}"


def _wps(tag: str) -> str:
    return f"{{{WPS_NS}}}{tag}"


def _wpg(tag: str) -> str:
    return f"{{{WPG_NS}}}{tag}"


def _sub(parent: etree._Element, tag: str, **attrs: str | int) -> etree._Element:
    element = etree.SubElement(parent, tag)
    for name, value in attrs.items():
        element.set(name, str(value))
    return element


def _xfrm(parent: etree._Element, x: int, y: int, w: int, h: int, tag: str = "xfrm") -> etree._Element:
    xfrm = _sub(parent, _a(tag))
    _sub(xfrm, _a("off"), x=x, y=y)
    _sub(xfrm, _a("ext"), cx=w, cy=h)
    return xfrm


def _colour(parent: etree._Element, tag: str, rgb: str) -> None:
    _sub(_sub(parent, _a(tag)), _a("srgbClr"), val=rgb)


def _line(sp_pr: etree._Element, width: int, arrow: bool = False) -> None:
    ln = _sub(sp_pr, _a("ln"), w=width)
    _colour(ln, "solidFill", NAVY)
    if arrow:
        _sub(ln, _a("tailEnd"), type="triangle", w="med", len="med")


def _shape_properties(wsp: etree._Element, x: int, y: int, w: int, h: int, geometry: str) -> etree._Element:
    sp_pr = _sub(wsp, _wps("spPr"))
    _xfrm(sp_pr, x, y, w, h)
    _sub(_sub(sp_pr, _a("prstGeom"), prst=geometry), _a("avLst"))
    return sp_pr


def _body_properties(wsp: etree._Element, inset: int) -> None:
    body = _sub(wsp, _wps("bodyPr"), rot=0, vert="horz", wrap="square", lIns=inset, tIns=inset, rIns=inset,
                bIns=inset, anchor="ctr", anchorCtr=0)
    _sub(body, _a("noAutofit"))


def _text_box(wsp: etree._Element, fill_text: Callable[[etree._Element], None], font_size: int,
              bold: bool = False) -> None:
    """A text box holding one centred paragraph, written by ``fill_text``."""
    content = _sub(_sub(wsp, _wps("txbx")), qn("txbxContent"))
    p = _sub(content, W_P)
    ppr = _sub(p, W_PPR)
    etree.SubElement(ppr, W_SPACING, {qn("before"): "0", qn("after"): "0", qn("line"): "240",
                                      qn("lineRule"): "auto"})
    etree.SubElement(ppr, W_JC, {W_VAL: "center"})
    _size(_sub(ppr, W_RPR), font_size)
    fill_text(p)
    for run in p.iter(W_R):  # the chart's own size and colour, over whatever the text brought
        run_rpr = run.find(W_RPR)
        if run_rpr is None:
            run_rpr = etree.Element(W_RPR)
            run.insert(0, run_rpr)
        if bold and run_rpr.find(W_B) is None:
            run_rpr.insert(0 if run_rpr.find(qn("rStyle")) is None else 1, etree.Element(W_B))
        _size(run_rpr, font_size)


def _size(rpr: etree._Element, font_size: int) -> None:
    """Black text at ``font_size`` in a ``w:rPr``, in schema order (after b/i, before the language)."""
    for tag in (qn("color"), W_SZ, W_SZCS):
        for old in rpr.findall(tag):
            rpr.remove(old)
    lang = rpr.find(qn("lang"))
    for tag, value in ((qn("color"), "000000"), (W_SZ, str(font_size * 2)),
                       (W_SZCS, str(font_size * 2))):
        element = etree.Element(tag)
        element.set(W_VAL, value)
        if lang is not None:
            lang.addprevious(element)
        else:
            rpr.append(element)


def flowchart_run(chart: fc.Flowchart, layout: fc.Layout, next_id: Callable[[], int],
                  write_text: Callable[[etree._Element, fc.Step], None]) -> etree._Element:
    """A ``w:r`` holding the chart as an inline drawing (with its plain-text fallback).

    ``next_id()`` gives drawing object ids, unique in the document (the drawing's and each shape's, as Word
    numbers them); ``write_text(paragraph, step)`` writes a box's text into its text box paragraph, with the
    body's own inline formatting (bold, links, language)."""
    doc_pr_id = next_id()
    run = etree.Element(W_R)
    alternate = _sub(run, f"{{{MC_NS}}}AlternateContent")
    choice = _sub(alternate, f"{{{MC_NS}}}Choice", Requires="wpg")
    drawing = _sub(choice, qn("drawing"))
    inline = _sub(drawing, _wp("inline"), distT=0, distB=0, distL=0, distR=0)
    _sub(inline, _wp("extent"), cx=layout.width, cy=layout.height)
    _sub(inline, _wp("effectExtent"), l=0, t=0, r=0, b=0)
    _sub(inline, _wp("docPr"), id=doc_pr_id, name="Flowchart", descr=chart.description(),
         title=chart.title)
    _sub(inline, _wp("cNvGraphicFramePr"))
    graphic = _sub(inline, _a("graphic"))
    data = _sub(graphic, _a("graphicData"), uri=_GROUP_URI)
    group = _sub(data, _wpg("wgp"))
    _sub(group, _wpg("cNvGrpSpPr"))
    group_pr = _sub(group, _wpg("grpSpPr"))
    xfrm = _xfrm(group_pr, 0, 0, layout.width, layout.height)
    _sub(xfrm, _a("chOff"), x=0, y=0)
    _sub(xfrm, _a("chExt"), cx=layout.width, cy=layout.height)

    for arrow in layout.arrows:  # under the boxes, so a line end never covers a box's edge
        wsp = _sub(group, _wps("wsp"))
        _sub(wsp, _wps("cNvPr"), id=next_id(), name="Arrow")
        _sub(wsp, _wps("cNvCnPr"))
        x, y = min(arrow.x1, arrow.x2), min(arrow.y1, arrow.y2)
        sp_pr = _shape_properties(wsp, x, y, abs(arrow.x2 - arrow.x1), abs(arrow.y2 - arrow.y1),
                                  "straightConnector1")
        _line(sp_pr, _LINE_WIDTH, arrow=True)
        _body_properties(wsp, 0)
    for box in layout.boxes:
        wsp = _sub(group, _wps("wsp"))
        decision = box.kind == "decision"
        _sub(wsp, _wps("cNvPr"), id=next_id(), name=f"{'Decision' if decision else 'Outcome'} {box.step.id}")
        _sub(wsp, _wps("cNvSpPr"))
        sp_pr = _shape_properties(wsp, box.x, box.y, box.w, box.h, "flowChartDecision" if decision else "roundRect")
        _colour(sp_pr, "solidFill", DECISION_FILL if decision else OUTCOME_FILL)
        _line(sp_pr, _LINE_WIDTH if decision else _OUTCOME_LINE_WIDTH)
        _text_box(wsp, functools.partial(_write_step, write_text, box.step), layout.font_size)
        _body_properties(wsp, fc.INSET)
    for arrow in layout.arrows:
        wsp = _sub(group, _wps("wsp"))
        _sub(wsp, _wps("cNvPr"), id=next_id(), name=f"Label {arrow.label}")
        _sub(wsp, _wps("cNvSpPr"), txBox=1)
        sp_pr = _shape_properties(wsp, arrow.label_x, arrow.label_y, arrow.label_w, arrow.label_h, "rect")
        _sub(sp_pr, _a("noFill"))
        _sub(_sub(sp_pr, _a("ln")), _a("noFill"))
        _text_box(wsp, functools.partial(_label, arrow.label), layout.font_size, bold=True)
        _body_properties(wsp, 0)

    fallback = _sub(alternate, f"{{{MC_NS}}}Fallback")
    _sub(fallback, W_T).text = chart.description()
    return run


def _write_step(write_text: Callable[[etree._Element, fc.Step], None], step: fc.Step, p: etree._Element) -> None:
    write_text(p, step)


def _label(text: str, p: etree._Element) -> None:
    _sub(_sub(p, W_R), W_T).text = text
