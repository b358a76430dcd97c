"""``protocolgen reviews``: which issued documents are due (or overdue) for review, and a calendar of them.

The review dates are those the issued documents print (kept in the manifest when each was issued), so the
report and the calendar match the documents people hold. The calendar is iCalendar (RFC 5545), made with the
``icalendar`` library: one all-day event per document's review date, with a UID made from the document and
version and a DTSTAMP from the issue date, so the same documents always give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from ..errors import ProtocolgenError
from ..manifest import MANIFEST_NAME, Manifest, sha256


@dataclass(frozen=True)
class Review:
    document: str
    title: str
    version: str
    issued: date
    due: date


@dataclass
class ReviewReport:
    on: date
    within: int
    overdue: list[Review] = field(default_factory=list)
    due: list[Review] = field(default_factory=list)  # within ``within`` days of ``on``
    later: list[Review] = field(default_factory=list)
    not_issued: int = 0  # drafts never issued: no review date yet

    @property
    def all(self) -> list[Review]:
        return sorted([*self.overdue, *self.due, *self.later], key=lambda r: (r.due, r.document))


def read_manifest(out_dir: Path) -> Manifest:
    """OUT's manifest, or a clear error when there is none to read (nothing built there yet)."""
    manifest = Manifest.read(out_dir)
    if manifest.problem or not (out_dir / MANIFEST_NAME).is_file():
        why = manifest.problem or "no documents have been built there"
        raise ProtocolgenError(f"{out_dir.as_posix()}: {why}; build (and issue) the documents first")
    return manifest


def reviews(manifest: Manifest, on: date, within: int) -> ReviewReport:
    """Every issued document by its next review date, relative to ``on``."""
    report = ReviewReport(on, within)
    for doc_id, record in sorted(manifest.documents.items()):
        if not record.issued or not record.issued.get("review"):
            report.not_issued += not record.issued
            continue
        item = Review(doc_id, record.title, str(record.issued["version"]),
                      date.fromisoformat(str(record.issued["date"])), date.fromisoformat(str(record.issued["review"])))
        if item.due < on:
            report.overdue.append(item)
        elif item.due <= on + timedelta(days=within):
            report.due.append(item)
        else:
            report.later.append(item)
    for items in (report.overdue, report.due, report.later):
        items.sort(key=lambda r: (r.due, r.document))
    return report


def calendar(items: list[Review], area_name: str) -> bytes:
    """An iCalendar file with one all-day event per review."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//protocolgen//document reviews//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{area_name}: document reviews")
    area_key = sha256(area_name)[:12]
    for item in items:
        event = Event()
        # Stable across runs: the same document and version always make the same event, so a calendar that
        # imports the file again updates the event rather than adding a second one.
        event.add("uid", f"review-{item.document.replace('/', '-')}-{item.version}-{area_key}@protocolgen")
        event.add("dtstamp", datetime.combine(item.issued, time(0, 0), tzinfo=UTC))
        event.add("dtstart", item.due)
        event.add("dtend", item.due + timedelta(days=1))
        event.add("summary", f"Review due: {item.title} (version {item.version})")
        event.add("description", f"{area_name}: {item.title}, version {item.version}, issued "
                  f"{item.issued.isoformat()}. Document {item.document}. Review it by this date and re-issue it.")
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
