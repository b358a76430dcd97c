"""The heavy half of a build's gather phase, Markdown to files, spread over processes (``build --jobs N``).

A build decides what to write and renders each template to Markdown in its own process (the planner in
``build``: manifest, versions and change reports stay in one place, in job order, so they cannot depend on
how many processes ran). What costs most comes after: parsing the Markdown, laying out the Word document and
the web page, compressing the package, checking coverage. ``Converter`` hands each document's Markdown and
metadata (a ``Conversion``) to a pool of worker processes and gets back only the hashes of the files made and
the coverage record (a ``Converted``): the files themselves go straight to disk, into ``Staging``, so memory
does not grow with the number of documents.

Why this keeps the build's promises:

- **Same bytes whatever N is.** A worker runs exactly ``convert``, the function a build with ``--jobs 1``
  runs in its own process; the writers are deterministic and get nothing but the task.
- **Gather, then write.** Staged files are named by their content hash under ``OUT/.protocolgen-staging/``,
  never at a document's path. Only once every document is gathered without error does the build write them
  to their places; on any error the staging folder is removed and OUT is as it was.
- **One failing document does not hide the others.** A writer's ``ValueError`` (an unknown ``:::``
  container, say) comes back as ``Converted.error`` for that document; the build collects every failure,
  then stops before writing and names each document.
- **Templates stay sandboxed.** Workers never render templates: only the planner does, in ``render``'s
  sandbox. The page shell (``page.html.j2``) a worker fills runs in the HTML writer's own sandbox.
- **Windows.** Workers are started with ``spawn`` on every platform (a fresh interpreter that imports only
  the writers), so what is tested on Linux is what runs on Windows.

Workers start only when a build has enough documents to convert to pay for them (``POOL_THRESHOLD``): a
one-panel ``--only`` build or a small change converts in its own process at once.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import hashlib
import multiprocessing
import os
import shutil
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OutputProblem, ProtocolgenError

if TYPE_CHECKING:
    from .write import DocMeta, DocxWriter

STAGING_NAME = ".protocolgen-staging"
"""The folder in OUT where a build keeps the files it made until it writes them (removed after every build)."""

POOL_THRESHOLD = 24
"""Fewer documents than this to convert, and a build converts them in its own process (starting a worker
costs about as much as converting a dozen documents)."""

IN_FLIGHT_PER_WORKER = 4
"""How many documents may wait for each worker: enough to keep it busy, few enough to bound memory."""


def default_jobs() -> int:
    """The number of CPUs this process may use (``build --jobs`` default)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Conversion:
    """One document to convert: its Markdown and what the writers need besides."""

    id: str  # the document's id, e.g. 'panels/complex-needs/protocol'
    kind: str  # its kind, for the coverage check
    template: str  # the template that made it, to name in an error
    markdown: str
    meta: DocMeta
    html: bool  # also a web page
    emit_markdown: bool = False  # also keep the Markdown beside it (--emit-markdown)


@dataclass(frozen=True)
class Converted:
    """What came of a ``Conversion``: the hash of each file it staged, and its coverage record."""

    id: str
    files: dict[str, str] = field(default_factory=dict)  # the document's files (.docx, .html) -> sha256
    review: dict[str, str] = field(default_factory=dict)  # its Markdown review copy (.md) -> sha256
    coverage: dict[str, Any] = field(default_factory=dict)
    error: str = ""  # why the writers could not lay the Markdown out; nothing was staged


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Staging:
    """Files made by a build that is still gathering, kept by content hash under ``OUT/.protocolgen-staging``.

    Every file is written to a temporary name and renamed, so a staged file is complete or absent. It is not
    flushed to disk: staging is thrown away after the build, and a folder left by a build that was stopped
    (or by a power cut) is removed by the next (``reset``); builds hold OUT's lock, so no other build uses it.
    The write phase reads each staged file back and writes it to its place with ``manifest.atomic_write``."""

    def __init__(self, out_dir: Path):
        self.root = out_dir / STAGING_NAME
        self._made = False

    def reset(self) -> None:
        """Remove what a stopped build left; the folder itself is made with the first file staged."""
        self.discard()
        self._made = False

    def _make(self) -> None:
        if not self._made:
            try:
                self.root.mkdir(exist_ok=True)
            except OSError as exc:
                raise OutputProblem(_cannot_write(exc, self.root)) from None
            self._made = True

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            if self.root.is_symlink() or self.root.is_file():
                self.root.unlink()
            elif self.root.exists():
                shutil.rmtree(self.root)

    def put(self, data: bytes) -> str:
        """Stage ``data``; returns its sha256 (staging the same bytes twice keeps one file)."""
        digest = sha256(data)
        self._make()
        path = self.root / digest
        if path.exists():
            return digest
        tmp = self.root / f".{digest}.{os.getpid()}.tmp"
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise OutputProblem(_cannot_write(exc, self.root)) from None
        return digest

    def read(self, digest: str) -> bytes:
        return (self.root / digest).read_bytes()

    def size(self, digest: str) -> int:
        return (self.root / digest).stat().st_size


def _cannot_write(exc: OSError, path: Path) -> str:
    from .outdir import describe_os_error

    words = describe_os_error(exc, path).split(": ", 1)[-1]
    return f"cannot write {path}: {words}. Nothing was written."


@dataclass
class _Worker:
    """What a process needs to convert documents: the house style, the page shell, the staging folder."""

    writer: DocxWriter
    shell: str | None
    staging: Staging


_WORKER: _Worker | None = None


def _start(reference_docx: Path | None, shell: str | None, out_dir: Path) -> None:
    """A worker's initializer: parse the house style once for all the documents it will convert."""
    global _WORKER
    from .write import DocxWriter

    _watch_parent()
    _WORKER = _Worker(DocxWriter(reference_docx), shell, Staging(out_dir))


def _watch_parent() -> None:
    """End this worker as soon as the build that started it is gone (killed, say): an orphaned worker would
    wait for work forever, holding the build's terminal or pipes open."""
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="protocolgen-parent-watch", daemon=True).start()


def _convert_in_worker(task: Conversion) -> Converted:
    assert _WORKER is not None, "the worker was not started"
    return convert(task, _WORKER.writer, _WORKER.shell, _WORKER.staging)


def convert(task: Conversion, writer: DocxWriter, shell: str | None, staging: Staging) -> Converted:
    """Parse the Markdown once; write the Word document and (if asked) the web page from the same tokens;
    check coverage on them; stage the files. The same in a worker as in the build's own process."""
    from . import coverage
    from .write import markdown as mdx
    from .write import render_html

    try:
        tokens = mdx.parse(task.markdown)
        # The coverage check and the Word writer only read the tokens; the page writer annotates them, so last.
        covered = coverage.to_record(coverage.check(task.id, task.kind, tokens))
        docx = writer.render(task.markdown, task.meta, tokens)
        page = render_html(task.markdown, task.meta, shell, tokens).encode("utf-8") if task.html else None
    except ValueError as exc:  # Markdown the writers cannot lay out, e.g. an unknown ::: container
        return Converted(task.id, error=str(exc))
    files = {f"{task.id}.docx": staging.put(docx)}
    if page is not None:
        files[f"{task.id}.html"] = staging.put(page)
    review = {f"{task.id}.md": staging.put(task.markdown.encode("utf-8"))} if task.emit_markdown else {}
    return Converted(task.id, files, review, covered)


class Converter:
    """Converts documents in this process or in ``jobs`` worker processes, and calls back with each result.

    ``submit`` may call back at once (in this process) or later; ``drain`` waits for every result. Results
    are delivered in any order: what the build does with them is keyed by document, so order cannot matter.
    """

    def __init__(self, jobs: int, expected: int, staging: Staging, reference_docx: Path | None, shell: str | None,
                 local_writer: Callable[[], DocxWriter]):
        self.jobs = max(1, jobs)
        self.expected = expected  # documents the build may convert at most (its jobs), to decide on a pool
        self.staging = staging
        self.reference_docx = reference_docx
        self.shell = shell
        self._local_writer = local_writer
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._waiting: deque[tuple[concurrent.futures.Future[Converted], Callable[[Converted], None]]] = deque()

    def submit(self, task: Conversion, done: Callable[[Converted], None]) -> None:
        if self.jobs == 1 or self.expected < POOL_THRESHOLD:
            done(convert(task, self._local_writer(), self.shell, self.staging))
            return
        if self._pool is None:
            self.staging._make()  # before the workers stage into it
            try:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_start,
                    initargs=(self.reference_docx, self.shell, self.staging.root.parent))
            except (OSError, NotImplementedError, ImportError):
                # No processes to be had here (a locked-down system): the same work, in this process.
                self.jobs = 1
                done(convert(task, self._local_writer(), self.shell, self.staging))
                return
        while len(self._waiting) >= self.jobs * IN_FLIGHT_PER_WORKER:
            self._collect_one()
        try:
            future = self._pool.submit(_convert_in_worker, task)  # the first one starts the processes
        except (OSError, NotImplementedError) as exc:
            if self._waiting:
                raise ProtocolgenError(f"cannot start a worker process ({exc}); nothing was written. "
                                       "Build again with --jobs 1.") from None
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool, self.jobs = None, 1
            done(convert(task, self._local_writer(), self.shell, self.staging))
            return
        self._waiting.append((future, done))

    def _collect_one(self) -> None:
        future, done = self._waiting.popleft()
        try:
            result = future.result()
        except concurrent.futures.process.BrokenProcessPool:
            raise ProtocolgenError("a worker process stopped unexpectedly (out of memory?); nothing was written. "
                                   "Build again, with --jobs 1 to use one process.") from None
        done(result)

    def drain(self) -> None:
        while self._waiting:
            self._collect_one()

    def close(self) -> None:
        if self._pool is not None:
            for future, _done in self._waiting:
                future.cancel()
            self._waiting.clear()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
