"""PDF copies of the Word documents, made by LibreOffice (``soffice --headless``) when it is installed.

::

    from protocolgen.write.pdf import convert_to_pdf, find_libreoffice

    find_libreoffice()                     # fails early, saying how to install LibreOffice, when it is missing
    pdfs = convert_to_pdf(docx_paths)      # protocol.pdf beside protocol.docx, ...; one LibreOffice for all

Plain ``soffice --convert-to pdf`` cannot fill in a contents list: Word documents carry their table of
contents as a field that the reader's office suite computes, and LibreOffice only computes it when asked. So
this module drives LibreOffice through its UNO bridge instead. It starts **one** ``soffice`` process for all
the documents, listening on a private pipe and using a private, throw-away user profile (it never clashes
with a LibreOffice the user has open), and runs :mod:`protocolgen.write._soffice_worker` under a Python that
has the bridge (usually not protocolgen's own: on Debian ``/usr/bin/python3`` with ``python3-uno``). For each
document that program loads it hidden and read-only, updates every field and index (the contents list gets
its page numbers), and exports tagged PDF (``UseTaggedPDF``: structure tags and the document language as the
catalogue's ``/Lang``), with the document's title (from its core properties) as the PDF title, shown by
viewers in place of the file name, and its headings as the PDF outline.

Failure is always a :class:`PdfError` (a :class:`~protocolgen.errors.ProtocolgenError`) with a message in the
user's terms, never a traceback and never a hang:

- no LibreOffice, or no UNO bridge for it: :class:`LibreOfficeMissing`, saying what to install;
- LibreOffice that will not start within the time allowed: :class:`PdfError` with the end of its log;
- a document that cannot be opened or exported, that takes longer than ``timeout`` seconds, or during which
  LibreOffice crashes: every other document is still converted (a fresh LibreOffice is started after a crash
  or a time-out), then :class:`PdfConversionFailed` names each failed document with the reason.

Each PDF is written under a temporary name in its folder and renamed into place when complete, so a stopped
conversion never leaves half a PDF under the real name. The same document converted by the same LibreOffice
gives a byte-identical PDF: LibreOffice stamps each PDF with the time of export and a file identifier and
checksum derived from it, so those (in the uncompressed trailer and information dictionary) are replaced, in
place and at the same length, by the document's own creation date and a hash of the rest of the file.

Where to find LibreOffice can be given with the environment variables ``PROTOCOLGEN_SOFFICE`` (the
``soffice`` program) and ``PROTOCOLGEN_UNO_PYTHON`` (a Python that can ``import uno``).
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from protocolgen.errors import ProtocolgenError

__all__ = [
    "DEFAULT_TIMEOUT",
    "LibreOffice",
    "LibreOfficeMissing",
    "PdfConversionFailed",
    "PdfError",
    "convert_to_pdf",
    "find_libreoffice",
    "libreoffice_path",
]

DEFAULT_TIMEOUT = 120.0
"""Seconds allowed for LibreOffice to start, and again for each document (load, update, export)."""

INSTALL_HINT = (
    "install LibreOffice Writer and its Python bridge (Debian or Ubuntu: "
    "'apt-get install libreoffice-writer-nogui python3-uno'; Windows or macOS: the installer from "
    "libreoffice.org, which includes both), or set PROTOCOLGEN_SOFFICE to the soffice program"
)

_WORKER = Path(__file__).with_name("_soffice_worker.py")
_PREFIX = "PROTOCOLGEN-PDF "  # the worker's report lines; the same constant as in _soffice_worker
_EXIT_OFFICE_GONE = 3
_LOG_TAIL = 1200  # characters of LibreOffice's own output quoted when it fails


class PdfError(ProtocolgenError):
    """PDF output could not be made; the message says which document and why."""


class LibreOfficeMissing(PdfError):
    """LibreOffice, or the UNO bridge that lets protocolgen drive it, is not installed."""


class PdfConversionFailed(PdfError):
    """Some documents could not be converted. The others were: their PDFs are written."""

    def __init__(self, failures: dict[Path, str], converted: Sequence[Path]):
        self.failures = dict(failures)
        self.converted = list(converted)
        lines = [f"  {source}: {reason}" for source, reason in self.failures.items()]
        done = f" ({len(self.converted)} other(s) converted)" if self.converted else ""
        super().__init__(f"LibreOffice could not make a PDF of {len(self.failures)} document(s){done}:\n"
                         + "\n".join(lines))


@dataclass(frozen=True)
class LibreOffice:
    """An installed LibreOffice that protocolgen can drive."""

    soffice: str
    """The ``soffice`` program."""
    python: str
    """A Python interpreter that can ``import uno`` (LibreOffice's bridge); often not the one running us."""


def libreoffice_path() -> str | None:
    """The ``soffice`` program: ``$PROTOCOLGEN_SOFFICE`` when set, else ``soffice`` or ``libreoffice`` on
    ``PATH``, else LibreOffice's usual install place on Windows and macOS; ``None`` when there is none."""
    given = os.environ.get("PROTOCOLGEN_SOFFICE")
    if given:
        return given if Path(given).is_file() else None
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    places = [Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    for variable in ("PROGRAMFILES", "PROGRAMFILES(X86)"):
        if os.environ.get(variable):
            places.append(Path(os.environ[variable]) / "LibreOffice" / "program" / "soffice.exe")
    return next((str(place) for place in places if place.is_file()), None)


def find_libreoffice() -> LibreOffice:
    """The LibreOffice to convert with, or :class:`LibreOfficeMissing` saying what to install. Cheap after
    the first call; a build calls it before doing any work so that ``--pdf`` fails at once."""
    given = os.environ.get("PROTOCOLGEN_SOFFICE")
    soffice = libreoffice_path()
    if soffice is None:
        if given:
            raise LibreOfficeMissing(f"PROTOCOLGEN_SOFFICE is set to {given!r}, which is not a file")
        raise LibreOfficeMissing(f"PDF output needs LibreOffice, which is not installed: {INSTALL_HINT}")
    python = _uno_python(soffice, os.environ.get("PROTOCOLGEN_UNO_PYTHON", ""))
    if python is None:
        raise LibreOfficeMissing(
            f"PDF output needs LibreOffice's Python bridge (UNO), which {soffice} lacks: install it (Debian or "
            "Ubuntu: 'apt-get install python3-uno'), or set PROTOCOLGEN_UNO_PYTHON to a Python that can "
            "'import uno'")
    return LibreOffice(soffice=soffice, python=python)


@functools.lru_cache(maxsize=8)
def _uno_python(soffice: str, given: str) -> str | None:
    if given:
        return given if _imports_uno(given) else None
    program = Path(soffice).resolve().parent
    candidates = [
        program / "python.exe",  # Windows: LibreOffice ships its own Python with the bridge
        program / "python",  # LibreOffice's own Linux builds
        program.parent / "Resources" / "python",  # macOS
        Path(sys.executable),
        Path("/usr/bin/python3"),  # Debian and Ubuntu: python3-uno is for the system Python
    ]
    on_path = shutil.which("python3")
    if on_path:
        candidates.append(Path(on_path))
    seen: set[str] = set()
    for candidate in candidates:
        if str(candidate) in seen or not candidate.is_file():
            continue
        seen.add(str(candidate))
        if _imports_uno(str(candidate)):
            return str(candidate)
    return None


def _imports_uno(python: str) -> bool:
    try:
        result = subprocess.run([python, "-c", "import uno"], env=_clean_env(), stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _clean_env() -> dict[str, str]:
    """Our environment, less what points another Python at our own packages."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def convert_to_pdf(docx_files: Sequence[Path], out_dir: Path | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                   office: LibreOffice | None = None,
                   progress: Callable[[Path], None] | None = None) -> list[Path]:
    """Convert each Word document to PDF with one LibreOffice process, and return the PDFs' paths in the
    order of ``docx_files``.

    Each PDF is named after its document (``protocol.docx`` -> ``protocol.pdf``), beside it, or in
    ``out_dir`` when given (created if missing; two documents of the same name are then an error, as they
    would overwrite each other). An existing PDF is replaced. ``timeout`` is the seconds allowed for
    LibreOffice to start and, separately, for each document. ``office`` defaults to :func:`find_libreoffice`.
    ``progress`` is called with each PDF's path as soon as it is written.

    Raises :class:`LibreOfficeMissing` when LibreOffice cannot be used, :class:`PdfError` for a document that
    does not exist, clashing names or LibreOffice that will not start, and, after trying every document,
    :class:`PdfConversionFailed` naming each one that failed (the rest are converted).
    """
    sources = [Path(p) for p in docx_files]
    if not sources:
        return []
    for source in sources:
        if not source.is_file():
            raise PdfError(f"{source}: no such document to convert to PDF")
    targets = [(Path(out_dir) if out_dir is not None else source.parent) / f"{source.stem}.pdf"
               for source in sources]
    first_of: dict[Path, Path] = {}
    for source, target in zip(sources, targets, strict=True):
        key = target.resolve()
        if key in first_of:
            raise PdfError(f"{first_of[key]} and {source} would both be converted to {target}")
        first_of[key] = source
    if out_dir is not None:
        try:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise PdfError(f"cannot create the folder {out_dir} for the PDFs: {error.strerror}") from None
    office = office or find_libreoffice()

    jobs = [_Job(source, target) for source, target in zip(sources, targets, strict=True)]
    for job in jobs:
        # LibreOffice opens an empty file as an empty document; a Word document is always a zip package.
        if not zipfile.is_zipfile(job.source):
            job.error = "not a Word document (it is not a zip package)"
    workdir = Path(tempfile.mkdtemp(prefix="protocolgen-pdf-"))
    try:
        pending = [i for i, job in enumerate(jobs) if not job.error]
        first = True
        while pending:
            try:
                attempted = _Session(office, jobs, pending, workdir, timeout, progress).run()
            except PdfError as error:
                if first:
                    raise  # LibreOffice cannot be started at all: one error says it
                # a fresh LibreOffice after a crash or a time-out would not start: say so for each document left
                for i in pending:
                    jobs[i].error = f"not converted, as LibreOffice would not start again: {error}"
                break
            if not attempted:  # a worker that gave up without trying anything: do not loop on it
                raise PdfError("LibreOffice stopped before converting any document")
            pending = [i for i in pending if i not in attempted]
            first = False
    finally:
        for job in jobs:
            with contextlib.suppress(OSError):
                job.partial.unlink(missing_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)
    failures = {job.source: job.error for job in jobs if job.error}
    if failures:
        raise PdfConversionFailed(failures, [job.target for job in jobs if not job.error])
    return targets


@dataclass
class _Job:
    source: Path
    target: Path
    error: str = ""

    def __post_init__(self) -> None:
        # Written under a temporary name beside the target, then renamed into place (same folder: atomic).
        self.partial = self.target.with_name(f".{self.target.stem}.{secrets.token_hex(4)}.pdf.part")


class _Session:
    """One soffice and one worker, converting ``indices`` of ``jobs`` until done, a crash or a time-out."""

    def __init__(self, office: LibreOffice, jobs: list[_Job], indices: list[int], workdir: Path, timeout: float,
                 progress: Callable[[Path], None] | None):
        self.office, self.jobs, self.indices = office, jobs, indices
        self.workdir, self.timeout, self.progress = workdir, timeout, progress
        self.token = secrets.token_hex(6)
        self.log = workdir / f"soffice-{self.token}.log"
        self.worker_log = workdir / f"worker-{self.token}.log"
        self.events: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def run(self) -> set[int]:
        """Convert what it can; returns the job indices it tried (each then has a PDF or an error)."""
        pipe = f"protocolgen-{os.getpid()}-{self.token}"
        job_file = self.workdir / f"jobs-{self.token}.json"
        job_file.write_text(json.dumps([[str(self.jobs[i].source.resolve()), str(self.jobs[i].partial.resolve())]
                                        for i in self.indices]), encoding="utf-8")
        profile = (self.workdir / "profile").resolve().as_uri()
        office_cmd = [self.office.soffice, f"-env:UserInstallation={profile}", "--headless", "--invisible",
                      "--nologo", "--nodefault", "--norestore", "--nolockcheck",
                      f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"]
        worker_cmd = [self.office.python, str(_WORKER), "--pipe", pipe, "--jobs", str(job_file),
                      "--connect-timeout", str(self.timeout)]
        attempted: set[int] = set()
        with self.log.open("wb") as log, self.worker_log.open("wb") as worker_log:
            office = worker = None
            try:
                office = _start(office_cmd, stdout=log, stderr=subprocess.STDOUT)
                worker = _start(worker_cmd, stdout=subprocess.PIPE, stderr=worker_log)
                threading.Thread(target=self._read, args=(worker.stdout,), daemon=True).start()
                self._wait_ready(office)
                if self._convert(attempted):  # the worker got to the end and asked LibreOffice to quit
                    _wait(worker, 10)
                    _wait(office, 30)  # time to tidy up its profile before it is stopped for good
            finally:
                for process in (worker, office):
                    if process is not None:
                        _kill(process)
        return attempted

    def _read(self, stream: Any) -> None:
        """In a thread of its own, so that the main thread can wait for the worker with a time limit."""
        try:
            with stream:
                for raw in stream:
                    line = raw.decode("utf-8", "replace")
                    if line.startswith(_PREFIX):
                        with contextlib.suppress(ValueError):
                            self.events.put(json.loads(line[len(_PREFIX):]))
        except (OSError, ValueError):
            pass  # the worker was stopped under us: the same as its end
        self.events.put(None)

    def _wait_ready(self, office: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.timeout
        office_gone_at: float | None = None
        while True:
            try:
                event = self.events.get(timeout=0.25)
            except queue.Empty:
                now = time.monotonic()
                status = office.poll()
                if status is not None:
                    # soffice may be a launcher that hands over to the real process and exits with 0: allow
                    # a moment for the bridge to answer before calling it dead. Any other status is failure.
                    office_gone_at = office_gone_at or now
                    if status != 0 or now - office_gone_at > 10:
                        raise PdfError(f"LibreOffice ({self.office.soffice}) stopped as it started"
                                       f"{self._log_tail()}") from None
                if now > deadline:
                    raise PdfError(f"LibreOffice ({self.office.soffice}) did not start within "
                                   f"{self.timeout:g} seconds{self._log_tail()}") from None
                continue
            if event is None or event.get("event") == "unreachable":
                reason = event.get("error", "") if event else _tail(self.worker_log)
                raise PdfError(f"cannot drive LibreOffice ({self.office.soffice}) through its bridge"
                               f"{': ' + reason if reason else ''}{self._log_tail()}")
            if event.get("event") == "ready":
                return

    def _convert(self, attempted: set[int]) -> bool:
        """Follow the worker's reports; True when it finished every job, False after a crash or time-out."""
        current: int | None = None
        while True:
            try:
                event = self.events.get(timeout=self.timeout)
            except queue.Empty:
                if current is not None:
                    self.jobs[current].error = (f"LibreOffice took longer than {self.timeout:g} seconds over it, "
                                                "and was stopped")
                return False
            if event is None:  # the worker ended: LibreOffice went away, or the worker itself failed
                if current is not None:
                    self.jobs[current].error = f"LibreOffice stopped while converting it{self._log_tail()}"
                return False
            kind = event.get("event")
            if kind == "finished":
                return True
            index = self.indices[int(event["index"])]
            if kind == "start":
                current = index
                attempted.add(index)
            elif kind == "done":
                self._finish(index)
                current = None
            elif kind == "failed":
                self.jobs[index].error = str(event.get("error") or "LibreOffice could not convert it")
                current = None

    def _finish(self, index: int) -> None:
        job = self.jobs[index]
        try:
            with job.partial.open("rb") as handle:
                complete = handle.read(5) == b"%PDF-"
        except OSError:
            complete = False
        if not complete:
            job.error = "LibreOffice reported success but wrote no PDF"
            return
        try:
            job.partial.write_bytes(_settle(job.partial.read_bytes(), _created(job.source)))
            os.replace(job.partial, job.target)
        except OSError as error:
            job.error = f"cannot write {job.target}: {error.strerror}"
            return
        if self.progress is not None:
            self.progress(job.target)

    def _log_tail(self) -> str:
        text = "\n".join(part for part in (_tail(self.log), _tail(self.worker_log)) if part)
        return f"; its output ends:\n{text}" if text else ""


_CREATED = re.compile(rb"<dcterms:created[^>]*>([^<]+)</dcterms:created>")
_PDF_DATE = re.compile(rb"/CreationDate\((D:\d{14}(?:Z'|[+-]\d\d'\d\d'))\)")
_PDF_ID = re.compile(rb"/ID \[ <([0-9A-F]{32})>\s*<([0-9A-F]{32})> \]")
_PDF_CHECKSUM = re.compile(rb"/DocChecksum /([0-9A-F]{32})")


def _created(docx: Path) -> datetime.datetime | None:
    """The document's creation time from its core properties (protocolgen sets it from the issue date)."""
    try:
        with zipfile.ZipFile(docx) as archive:
            found = _CREATED.search(archive.read("docProps/core.xml"))
        if found is None:
            return None
        when = datetime.datetime.fromisoformat(found.group(1).decode("ascii").strip().replace("Z", "+00:00"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.UTC)


def _settle(pdf: bytes, created: datetime.datetime | None) -> bytes:
    """``pdf`` with LibreOffice's export time and the identifiers made from it replaced by the document's
    creation date and a hash of the rest, each at its own length so that no offset in the file moves.
    Anything not laid out as LibreOffice writes it is left alone."""
    spans: list[tuple[int, int, bytes]] = []
    dates = list(_PDF_DATE.finditer(pdf))
    if created is not None and len(dates) == 1:
        stamp = created.astimezone(datetime.UTC).strftime("D:%Y%m%d%H%M%S")
        old = dates[0].group(1)
        new = (stamp + ("Z'" if old.endswith(b"Z'") else "+00'00'")).encode("ascii")
        if len(new) == len(old):
            spans.append((dates[0].start(1), dates[0].end(1), new))
    ids, checksums = list(_PDF_ID.finditer(pdf)), list(_PDF_CHECKSUM.finditer(pdf))
    places = [(m.start(g), m.end(g)) for m in ids for g in (1, 2)] + [(m.start(1), m.end(1)) for m in checksums]
    if len(ids) != 1 or len(checksums) != 1:
        places = []
    blank = bytearray(pdf)
    for start, end, new in spans:
        blank[start:end] = new
    for start, end in places:
        blank[start:end] = b"0" * (end - start)
    digest = hashlib.md5(bytes(blank), usedforsecurity=False).hexdigest().upper().encode("ascii")
    for start, end in places:
        blank[start:end] = digest
    return bytes(blank)


def _tail(path: Path) -> str:
    try:
        text = path.read_bytes()[-_LOG_TAIL:].decode("utf-8", "replace")
    except OSError:
        return ""
    # LibreOffice says this whenever Java is absent; it is never the reason for a failure.
    lines = [line for line in text.splitlines() if line.strip() and "javaldx" not in line]
    return "\n".join(lines)


def _start(command: list[str], **streams: Any) -> subprocess.Popen[bytes]:
    """Start a child in a process group of its own, so that it and everything it starts can be stopped."""
    options: dict[str, Any] = {"start_new_session": True} if os.name == "posix" else {
        "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    try:
        return subprocess.Popen(command, stdin=subprocess.DEVNULL, env=_clean_env(), **streams, **options)
    except OSError as error:
        raise PdfError(f"cannot run {command[0]}: {error.strerror}") from None


def _wait(process: subprocess.Popen[bytes], seconds: float) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Stop a child and its own children (soffice is a launcher for soffice.bin), if any are still there."""
    if os.name == "posix":
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)  # the group outlives a launcher that has exited
    elif process.poll() is None:
        subprocess.run(["taskkill", "/F", "/T", "/PID", str(process.pid)], capture_output=True, check=False)
    with contextlib.suppress(OSError):
        process.kill()
    _wait(process, 10)
