"""The LibreOffice side of PDF conversion: a small program run by an interpreter that has LibreOffice's UNO
bridge (``import uno``), which is usually *not* protocolgen's own Python (on Debian it is ``/usr/bin/python3``
with the ``python3-uno`` package; on Windows and macOS, the ``python`` inside LibreOffice's program folder).

:mod:`protocolgen.write.pdf` starts one ``soffice`` listening on a private pipe, then runs this file::

    PYTHON _soffice_worker.py --pipe NAME --jobs JOBS.json --connect-timeout SECONDS

``JOBS.json`` is a list of ``[source .docx, target .pdf]`` pairs. For each, this program loads the document
hidden and read-only (no lock file beside it, no macros, no link updates), updates every index (the contents
list gets its page numbers) and field, and exports it with ``writer_pdf_Export`` as tagged PDF with the
document's title shown by viewers. It reports on stdout, one line each, prefixed with :data:`PREFIX` and
followed by JSON: ``{"event": "ready"}`` once connected, then ``start``, and ``done`` or ``failed`` (with
``error``) per job index, and ``finished`` at the end. Every document is tried even when one fails; when
LibreOffice itself goes away the program says so and exits with status 3, so the caller can start a fresh
one for the rest.

It imports nothing from protocolgen and keeps to the standard library and ``uno``, so that any Python 3 that
LibreOffice ships can run it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import Any

PREFIX = "PROTOCOLGEN-PDF "

# An index's page numbers come from the layout, and filling them in can itself move text (a longer contents
# list pushes headings down a page), so it is updated until its text stops changing, at most this often.
_INDEX_PASSES = 4

EXIT_OFFICE_GONE = 3


class _Refused(Exception):
    """A document this program will not convert; the message is for the user as it stands."""


def _say(event: str, **fields: Any) -> None:
    sys.stdout.write(PREFIX + json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def _props(uno: Any, **values: Any) -> tuple[Any, ...]:
    result = []
    for name, value in values.items():
        prop = uno.createUnoStruct("com.sun.star.beans.PropertyValue")
        prop.Name = name
        prop.Value = value
        result.append(prop)
    return tuple(result)


def _connect(uno: Any, pipe: str, timeout: float) -> Any:
    """The office's desktop, retrying while soffice is still starting (a fresh profile takes seconds)."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + timeout
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _update_indexes(document: Any) -> None:
    indexes = document.getDocumentIndexes()
    before = None
    for _ in range(_INDEX_PASSES):
        for i in range(indexes.getCount()):
            indexes.getByIndex(i).update()
        after = [indexes.getByIndex(i).getAnchor().getString() for i in range(indexes.getCount())]
        if after == before:
            break
        before = after


def _convert(uno: Any, desktop: Any, source: str, target: str) -> None:
    # The filter is named: left to guess, LibreOffice opens a file that is not a Word document as plain text.
    load = _props(uno, Hidden=True, ReadOnly=True, FilterName="MS Word 2007 XML",
                  MacroExecutionMode=0,  # com.sun.star.document.MacroExecMode.NEVER_EXECUTE
                  UpdateDocMode=0)  # com.sun.star.document.UpdateDocMode.NO_UPDATE: never follow links
    document = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, load)
    if document is None:
        raise _Refused("LibreOffice could not open it as a Word document")
    try:
        if not document.supportsService("com.sun.star.text.TextDocument"):
            raise _Refused("LibreOffice did not read it as a text document")
        # Fields first (their text can change lengths), then the indexes, whose page numbers need the final
        # layout; the page number fields in headers and footers are filled in by the layout itself.
        document.getTextFields().refresh()
        _update_indexes(document)
        filter_data = uno.Any("[]com.sun.star.beans.PropertyValue", _props(
            uno,
            UseTaggedPDF=True,  # structure tags, reading order, /Lang: the accessible PDF
            ExportBookmarks=True,  # headings as the PDF outline
            DisplayPDFDocumentTitle=True,  # viewers show the title, not the file name
            ExportNotes=False,
            # A link to a file beside the document (a notice's web page) stays relative: an absolute
            # file:// link would point into the build machine's folders wherever the PDF is published.
            ExportLinksRelativeFsys=True,
        ))
        document.storeToURL(uno.systemPathToFileUrl(target),
                            _props(uno, FilterName="writer_pdf_Export", FilterData=filter_data, Overwrite=True))
    finally:
        try:
            document.close(True)
        except Exception:
            document.dispose()


def _office_alive(desktop: Any) -> bool:
    try:
        desktop.getComponents()
    except Exception:
        return False
    return True


def _message(error: BaseException) -> str:
    if isinstance(error, _Refused):
        return str(error)
    # UNO exceptions carry their text in .Message; their type name says what kind of trouble it was.
    text = (getattr(error, "Message", "") or str(error)).strip()
    return f"LibreOffice failed ({type(error).__name__}{': ' + text if text else ''})"



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipe", required=True)
    parser.add_argument("--jobs", required=True)
    parser.add_argument("--connect-timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    with open(args.jobs, encoding="utf-8") as handle:
        jobs = json.load(handle)

    import uno  # only here: the caller checks this interpreter has it before running the program

    try:
        desktop = _connect(uno, args.pipe, args.connect_timeout)
    except Exception as error:
        _say("unreachable", error=_message(error))
        return EXIT_OFFICE_GONE
    _say("ready")
    for index, (source, target) in enumerate(jobs):
        _say("start", index=index)
        try:
            _convert(uno, desktop, source, target)
        except Exception as error:
            _say("failed", index=index, error=_message(error))
            if not _office_alive(desktop):
                return EXIT_OFFICE_GONE
        else:
            _say("done", index=index)
    _say("finished")
    with contextlib.suppress(Exception):  # the office quitting closes the bridge under us: that is the point
        desktop.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
