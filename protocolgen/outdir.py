"""The output folder (OUT): where it may be, how a build holds it, and how paths inside it are reached.

- ``check_folders``: OUT may not be the area folder, lie inside it, or hold it; a dangling link or a file
  named as OUT is said as such.
- ``holding(out)``: a build holds OUT with a lock file (``.protocolgen.lock``, holding the pid, host and
  start time) for as long as it writes; a second build is told who holds it, and a lock left by a build
  that was killed is noticed (its process is gone) and taken over.
- ``target(out, rel)`` / ``check_targets``: every path protocolgen reads or writes inside OUT is a plain
  relative path, and no part of it is a symbolic link (or a Windows junction): protocolgen never follows a
  link out of OUT, and refuses naming the link. A folder where a file should be, or a file where a folder
  should be, is named too.
- ``describe_os_error``: an ``OSError`` in the user's words (read-only folder, disk full, a file in the way).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import OutputProblem

LOCK_NAME = ".protocolgen.lock"
# A lock file that cannot be read (a build killed between creating and filling it) is taken as held for
# this long, so two builds starting together do not both take it.
_UNREADABLE_LOCK_GRACE = 30.0
_SEGMENT_FORBIDDEN = set('<>:"|?*\\\0')


def _same_or_inside(inner: Path, outer: Path) -> bool:
    a, b = os.path.normcase(str(inner)), os.path.normcase(str(outer))
    return a == b or a.startswith(b.rstrip(os.sep) + os.sep)


def check_folders(out: Path, area: Path | None) -> None:
    """Refuse an OUT that is a file, a dangling link, the area folder, inside it, or around it."""
    if out.is_symlink() and not out.exists():
        raise OutputProblem(f"{out}: is a symbolic link to {os.readlink(out)}, which does not exist; create that "
                            "folder or give another output folder with -o")
    if out.exists() and not out.is_dir():
        raise OutputProblem(f"{out}: exists and is not a folder; give an output folder with -o")
    if area is None:
        return
    real_out, real_area = out.resolve(), area.resolve()
    if _same_or_inside(real_out, real_area):
        where = "is the area folder" if os.path.normcase(str(real_out)) == os.path.normcase(str(real_area)) \
            else f"is inside the area folder {area}"
        raise OutputProblem(f"{out}: the output folder {where}; generated documents would be mixed with the "
                            "profiles. Give another folder with -o, e.g. -o output")
    if _same_or_inside(real_area, real_out):
        raise OutputProblem(f"{out}: the area folder {area} is inside the output folder; keep the profiles "
                            "out of it, e.g. -o output beside the area folder")


def _is_link(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(info.st_mode):
        return True
    # A Windows junction is a link too, though not a symbolic one.
    attributes = getattr(info, "st_file_attributes", 0)
    return bool(attributes & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0))


def _link_problem(path: Path) -> OutputProblem:
    try:
        to = f" (to {os.readlink(path)})"
    except OSError:
        to = ""
    return OutputProblem(f"{path}: is a link{to}; protocolgen never reads or writes through a link inside the "
                         "output folder. Remove the link, or give another output folder.")


def target(out: Path, rel: str) -> Path:
    """``out / rel`` after checking that ``rel`` stays inside OUT and that nothing on the way is a link."""
    parts = rel.split("/")
    if not rel or rel.startswith("/") or any(p in ("", ".", "..") or _SEGMENT_FORBIDDEN & set(p) for p in parts):
        raise OutputProblem(f"{rel!r} is not a path inside the output folder")
    current = out
    for index, part in enumerate(parts):
        current = current / part
        if _is_link(current):
            raise _link_problem(current)
        last = index == len(parts) - 1
        if not last and current.exists() and not current.is_dir():
            raise OutputProblem(f"{current}: is a file where protocolgen needs a folder; move it away")
        if last and current.is_dir():
            raise OutputProblem(f"{current}: is a folder where protocolgen writes a file; move it away")
    temporary = current.with_name(f".{current.name}.tmp")  # atomic_write's temporary file
    if _is_link(temporary):
        raise _link_problem(temporary)
    return current


def check_targets(out: Path, rels: Iterable[str]) -> None:
    """``target`` for every path a build is about to read or write, before it reads or writes any."""
    if _is_link(out) and not out.exists():
        raise _link_problem(out)
    for rel in sorted(set(rels)):
        target(out, rel)


# --- the lock ------------------------------------------------------------------------------------------


def _running(pid: int) -> bool:
    """Whether a process with this id runs on this computer (a reused id counts as running)."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process on Windows
        import ctypes

        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel.GetLastError() == 5  # access denied: it exists
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _holder(lock: Path) -> dict | None:
    try:
        data = json.loads(lock.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _stale(lock: Path, holder: dict | None) -> bool:
    if holder is None:
        try:
            return time.time() - lock.stat().st_mtime > _UNREADABLE_LOCK_GRACE
        except OSError:
            return True
    pid, host = holder.get("pid"), holder.get("host")
    if host != socket.gethostname():
        return False  # another computer's build: it cannot be checked from here
    return not (isinstance(pid, int) and _running(pid))


def _take(lock: Path) -> bool:
    try:
        fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    body = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(body, handle)
    return True


@contextmanager
def holding(out: Path) -> Iterator[None]:
    """Hold OUT for one build. An OUT that did not exist and is still empty afterwards is removed again, so a
    build that stops before writing (an area with errors) leaves nothing behind."""
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputProblem(describe_os_error(exc, out)) from None
    lock = out / LOCK_NAME
    try:
        if _is_link(lock):
            raise _link_problem(lock)
        if not _take(lock):
            holder = _holder(lock)
            if not _stale(lock, holder):
                who = (f"process {holder.get('pid')} on {holder.get('host')}, started {holder.get('started')}"
                       if holder else "a build that is just starting")
                raise OutputProblem(f"{out}: another protocolgen build ({who}) is writing to this folder; wait for "
                                    f"it to finish and run again. If no build is running, delete {lock}")
            lock.unlink(missing_ok=True)  # left by a build that was stopped: its process is gone
            if not _take(lock):
                raise OutputProblem(f"{out}: another protocolgen build started writing to this folder just now; "
                                    "wait for it to finish and run again")
    except OSError as exc:
        if created:
            with suppress(OSError):
                out.rmdir()
        raise OutputProblem(describe_os_error(exc, lock)) from None
    try:
        yield
    finally:
        holder = _holder(lock)
        if holder is not None and holder.get("pid") == os.getpid():
            with suppress(OSError):
                lock.unlink()
        if created:
            with suppress(OSError):
                out.rmdir()  # only if empty


# --- OS errors in words ---------------------------------------------------------------------------------

_ERRNO_WORDS = {
    errno.EACCES: "permission denied: protocolgen may not write there; check the folder's permissions or give "
                  "another folder",
    errno.EPERM: "not permitted: check the folder's permissions or give another folder",
    errno.EROFS: "the folder is on a read-only disk; give another folder",
    errno.ENOSPC: "the disk is full; free some space and run again",
    errno.EISDIR: "a folder stands where protocolgen writes a file; move it away",
    errno.ENOTDIR: "a file stands where protocolgen needs a folder; move it away",
    errno.EEXIST: "something is already there; move it away",
    errno.ENAMETOOLONG: "the path is too long for this computer; use a shorter output folder",
    errno.ENOENT: "no such file or folder",
}
if hasattr(errno, "EDQUOT"):
    _ERRNO_WORDS[errno.EDQUOT] = "your disk quota is used up; free some space and run again"


def describe_os_error(exc: OSError, path: Path | str | None = None) -> str:
    """'out/x.docx: permission denied: ...' from an OSError, naming the file it was about."""
    where = exc.filename if exc.filename else path
    words = _ERRNO_WORDS.get(exc.errno or 0) or (exc.strerror or str(exc)).rstrip(".")
    return f"{where}: {words}" if where else words
