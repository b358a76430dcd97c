"""``protocolgen new agency``: write an agency profile by answering one question per required field.

The questions come from the models, so each carries the field's help text from the schema (``protocolgen
schema agency --format text`` shows the same words) and each answer is checked as the file will be, and asked
again when it is wrong. Beyond the required fields it asks what a profile needs to validate cleanly: the legal
entity with its data protection officer (a public authority, UK GDPR Art 37(1)(a)) or lead (anyone else),
whether information goes outside the UK, the special category information recorded (suggested from the kinds
of record given), and, for a statutory body, its legal basis and, where the guidance asks, a Caldicott guardian.
When the area folder has no ``area.yaml`` yet, its required fields are asked first, so a small group can start
from nothing.

This module asks through a function it is given (``Ask``) and prints nothing: the CLI asks with click's prompts.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo

from ..errors import ProtocolgenError
from ..models import (
    HEALTH_SECTORS,
    SOCIAL_CARE_SECTORS,
    Agency,
    AgencyContacts,
    Area,
    Contact,
    LegalEntity,
    Retention,
    SpecialCategory,
    Transfer,
    parse_period,
)
from ..outdir import describe_os_error
from ..rules import SPECIAL_CATEGORY_WORDS
from ..validate import suggest
from .starter import slug


@dataclass(frozen=True)
class Question:
    """One question: the field it fills, its help from the schema, and how an answer is read and checked."""

    path: tuple[str | int, ...]  # where the answer goes in the file, e.g. ("contacts", "safeguarding_lead", "role")
    help: str
    read: Callable[[str], Any]  # the typed answer -> the value to write; ValueError says what is wrong
    default: str | None = None
    choices: tuple[str, ...] = ()  # the allowed values, shown with the question
    hint: str = ""  # how to answer, e.g. "separate several with ';'"

    @property
    def label(self) -> str:
        """The field's path as ``protocolgen schema --format text`` shows it, e.g. 'retention[0].period'."""
        path, reach = (self.path[:-1], True) if self.path[-1] == "reach" else (self.path, False)
        text = ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[")
        return f"{text}: email, phone or address" if reach else text


Ask = Callable[[Question], Any]
LIST_SEPARATOR = ";"


@dataclass
class NewAgency:
    """What ``new agency`` wrote."""

    agency_file: Path
    area_file: Path | None = None  # when the area had none, the area.yaml written from the answers
    data: dict[str, Any] = field(default_factory=dict)


def interview(area_dir: Path, ask: Ask, today: date | None = None) -> NewAgency:
    """Ask every question (through ``ask``, which returns the value read), then write the files."""
    today = today or date.today()
    area_file = area_dir / "area.yaml"
    if area_dir.exists() and not area_dir.is_dir():
        raise ProtocolgenError(f"{area_dir}: is a file, not an area folder")
    area_data: dict[str, Any] | None = None
    if not area_file.exists():
        area_data = {}
        for question in _area_questions(area_data, today):
            _put(area_data, question.path, ask(question))
    data: dict[str, Any] = {}
    for question in _agency_questions(data, area_dir, (area_data or {}).get("name")):
        value = ask(question)
        if value is not _SKIP:
            _put(data, question.path, value)
    data = _ordered(data)
    agency_file = area_dir / "agencies" / f"{data['id']}.yaml"
    try:
        agency_file.parent.mkdir(parents=True, exist_ok=True)
        if area_data is not None:
            area_file.write_text(_AREA_HEADER + _dump(area_data), encoding="utf-8")
        with agency_file.open("x", encoding="utf-8") as handle:  # never over an existing profile
            handle.write(_AGENCY_HEADER + _dump(data))
    except FileExistsError:
        raise ProtocolgenError(f"{agency_file}: already exists; nothing was written over it") from None
    except OSError as error:
        raise ProtocolgenError(f"cannot write the profile: {describe_os_error(error, agency_file)}") from None
    return NewAgency(agency_file, area_file if area_data is not None else None, data)


_SKIP = object()  # an answer that writes nothing (e.g. no special category information)
_AGENCY_HEADER = ("# Written by 'protocolgen new agency'. Every field, with its help, is listed by:\n"
                  "# protocolgen schema agency --format text\n")
_AREA_HEADER = ("# Written by 'protocolgen new agency'. Every field, with its help, is listed by:\n"
                "# protocolgen schema area --format text\n")


# --- the questions ----------------------------------------------------------------------------------------


def _area_questions(answers: dict[str, Any], today: date) -> Iterator[Question]:
    defaults = {"nation": "england", "issue_date": today.isoformat(), "review_interval_months": "12"}
    for name, info in Area.model_fields.items():
        if info.is_required():
            yield from _questions(Area, name, info, (name,), defaults.get(name))


def _agency_questions(answers: dict[str, Any], area_dir: Path, area_name: str | None) -> Iterator[Question]:
    fields = Agency.model_fields
    yield _question(Agency, "name", fields["name"], ("name",), area_name)
    taken = {p.stem for p in (area_dir / "agencies").glob("*.y*ml")} if (area_dir / "agencies").is_dir() else set()
    yield _question(Agency, "id", fields["id"], ("id",), slug(answers["name"]), check=_free_id(taken))
    for name in ("sector", "status", "description"):
        yield _question(Agency, name, fields[name], (name,))
    statutory = answers["status"] == "statutory"
    if statutory:
        yield _basis_question()
    entity = LegalEntity.model_fields
    yield _question(LegalEntity, "name", entity["name"], ("legal_entity", "name"), answers["name"])
    officer = "data_protection_officer" if statutory else "data_protection_lead"
    yield from _contact(("legal_entity", officer), _help(entity[officer], Contact),
                        "Data Protection Officer" if statutory else "Data Protection Lead")
    yield _transfers_question()
    if answers["transfers_outside_uk"] != "none":  # yes: one transfer now, more by editing the file
        for name, info in Transfer.model_fields.items():
            if info.is_required():
                yield _question(Transfer, name, info, ("transfers_outside_uk", 0, name))
    if statutory and answers["sector"] in HEALTH_SECTORS | SOCIAL_CARE_SECTORS:
        guardian = AgencyContacts.model_fields["caldicott_guardian"]
        yield from _contact(("contacts", "caldicott_guardian"), _help(guardian, Contact), "Caldicott Guardian")
    if answers["sector"] == "police":
        answers["law_enforcement_processing"] = True  # a police force is a competent authority (DPA 2018 Part 3)
    skip = {"id", "name", "sector", "status", "description"}
    for name, info in fields.items():
        if info.is_required() and name not in skip:
            yield from _questions(Agency, name, info, (name,))
            if name == "records":
                yield _special_category_question(answers["records"]["kinds"])


def _questions(model: type[BaseModel], name: str, info: FieldInfo, path: tuple[str | int, ...],
               default: str | None = None) -> Iterator[Question]:
    """The questions for one required field: itself, or one per required field of the mapping it holds."""
    inner, many = _unwrap(info.annotation)
    if inner is Contact:
        yield from _contact(path, _help(info, Contact))
    elif isinstance(inner, type) and issubclass(inner, BaseModel):
        # A list of mappings (e.g. retention) is asked for one item; more are added by editing the file.
        prefix = (*path, 0) if many else path
        for child, child_info in inner.model_fields.items():
            if child_info.is_required():
                yield from _questions(inner, child, child_info, (*prefix, child))
    else:
        yield _question(model, name, info, path, default)


def _question(model: type[BaseModel], name: str, info: FieldInfo, path: tuple[str | int, ...],
              default: str | None = None, check: Callable[[Any], None] | None = None) -> Question:
    inner, many = _unwrap(info.annotation)
    adapter: TypeAdapter[Any] = TypeAdapter(info.rebuild_annotation())
    choices = tuple(typing.get_args(inner)) if typing.get_origin(inner) is typing.Literal else ()

    def read(text: str) -> Any:
        text = text.strip()
        value: Any = [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()] if many else text
        if inner is int and not many and text.lstrip("+-").isdigit():
            value = int(text)  # whole numbers are strict in the files (yes is not 1), typed here as text
        for item in value if many else [value]:
            if choices and item not in choices:
                raise ValueError(f"'{item}' is not one of the choices above"
                                 + (f" ({suggest(item, choices)})" if suggest(item, choices) else ""))
        result = _checked(adapter, value)
        for each in (check, _CHECKS.get((model, name))):
            if each is not None:
                each(result)
        return result

    hint = f"separate several with '{LIST_SEPARATOR}'" if many else ""
    return Question(path, _help(info, inner), read, default, choices, hint)


def _contact(path: tuple[str | int, ...], help_text: str, role: str | None = None) -> Iterator[Question]:
    """A contact: its role (the one required field), then one way to reach it (a contact needs one)."""
    role_info = Contact.model_fields["role"]
    yield Question((*path, "role"), f"{help_text} {role_info.description}".strip(),
                   lambda text: _checked(TypeAdapter(role_info.rebuild_annotation()), text.strip()), role)
    yield Question((*path, "reach"), "How to reach them: an email address, a phone number or a postal address "
                   "(add the others to the file later). " + (Contact.__doc__ or ""), _reach)


def _reach(text: str) -> dict[str, str]:
    text = text.strip()
    if "@" in text:
        name = "email"
    elif re.fullmatch(r"[+\d][\d ()-]{5,}", text):
        name = "phone"
    else:
        name = "address"
    info = Contact.model_fields[name]
    return {name: _checked(TypeAdapter(info.rebuild_annotation()), text)}


def _basis_question() -> Question:
    from ..register import read_bundled

    register = read_bundled()
    info = Agency.model_fields["statutory_basis"]

    def read(text: str) -> list[dict[str, str]]:
        keys = [part.strip() for part in text.split(LIST_SEPARATOR) if part.strip()]
        if not keys:
            raise ValueError("a statutory body names at least one provision it shares under")
        for key in keys:
            if key not in register:
                hint = suggest(key, register)
                raise ValueError(f"'{key}' is not in the legislation register" + (f" ({hint})" if hint else "")
                                 + "; see 'protocolgen legislation list'")
        return [{"key": key} for key in keys]

    return Question(("statutory_basis",), info.description or "", read, "children-act-2004-s11",
                    hint=f"register keys; separate several with '{LIST_SEPARATOR}'")


def _transfers_question() -> Question:
    info = Agency.model_fields["transfers_outside_uk"]

    def read(text: str) -> str | list[Any]:
        answer = text.strip().lower()
        if answer in ("n", "no", "none"):
            return "none"
        if answer in ("y", "yes"):
            return []  # each transfer is asked next
        raise ValueError("answer yes or no")

    return Question(("transfers_outside_uk",), f"Does any of its information go outside the UK? "
                    f"{info.description or ''}", read, "no", hint="yes or no")


def _special_category_question(kinds: list[str]) -> Question:
    info = Agency.model_fields["special_category_data"]
    choices = tuple(typing.get_args(SpecialCategory))
    found = [category for category, words in SPECIAL_CATEGORY_WORDS.items()
             if any(re.search(rf"\b{re.escape(w)}\b", kind, re.IGNORECASE) for w in words for kind in kinds)]

    def read(text: str) -> Any:
        parts = [p.strip() for p in re.split(r"[;,]", text) if p.strip()]
        if parts in ([], ["none"]):
            return _SKIP
        for part in parts:
            if part not in choices:
                hint = suggest(part, choices)
                raise ValueError(f"'{part}' is not one of the choices above" + (f" ({hint})" if hint else ""))
        return list(dict.fromkeys(parts))

    return Question(("special_category_data",), info.description or "", read, ", ".join(found) or "none", choices,
                    "separate several with ','; or none")


# --- helpers ----------------------------------------------------------------------------------------------


def _help(info: FieldInfo, inner: Any = None) -> str:
    """The field's description, else the description of the kind of mapping it holds."""
    if info.description:
        return info.description
    if isinstance(inner, type) and issubclass(inner, BaseModel) and inner.__doc__:
        return " ".join(inner.__doc__.split())
    return ""


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The type a field holds (without Optional or Annotated) and whether it is a list of them."""
    many = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is list:
            annotation, many = typing.get_args(annotation)[0], True
        elif origin in (typing.Union, types.UnionType):
            arms = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(arms) != 1:
                return annotation, many
            annotation = arms[0]
        else:
            return annotation, many


def _checked(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "string_pattern_mismatch":
            message = "use lower-case letters, digits and single hyphens, e.g. 'north-police'" if "a-z0-9" in str(
                error.get("ctx", {}).get("pattern", "")) else f"not in the expected form ({message})"
        elif error["type"].startswith("date"):
            message = "write the date as YYYY-MM-DD, e.g. 2026-04-01"
        raise ValueError(message) from None


def _finite(period: Any) -> None:
    if parse_period(str(period)) is None:
        raise ValueError("write a finite period: a number and days, weeks, months or years, e.g. '6 years'")


_CHECKS: dict[tuple[type[BaseModel], str], Callable[[Any], None]] = {(Retention, "period"): _finite}


def _free_id(taken: set[str]) -> Callable[[Any], None]:
    def check(ident: Any) -> None:
        if ident in taken:
            raise ValueError(f"agencies/{ident}.yaml already exists; choose another id")

    return check


def _put(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``path`` (list indexes make lists). A contact's ``reach`` merges into the contact."""
    *parents, last = path
    target: Any = data
    for i, part in enumerate(parents):
        following = parents[i + 1] if i + 1 < len(parents) else last
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(target) <= part:
                target.append(empty)
            target = target[part]
        else:
            target = target.setdefault(part, empty)
    if last == "reach":
        target.update(value)
    elif isinstance(last, int):
        while len(target) <= last:
            target.append({})
        target[last] = value
    else:
        target[last] = value


_ORDER = list(Agency.model_fields)


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    """The answers in the order of the schema, as the bundled example's files are."""
    return {name: data[name] for name in sorted(data, key=_ORDER.index)}


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
