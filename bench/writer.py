"""Benchmark the Word and HTML writers on a synthetic ~7-page protocol.

    python bench/writer.py            # 200 renders
    python bench/writer.py -n 50 --out /tmp/sample.docx

Prints mean/min milliseconds per document for DocxWriter.render and render_html, the one-off cost of
DocxWriter() (parsing the reference), and peak memory (tracemalloc) of one render. The document has a table of
contents, three levels of headings, bullet and numbered lists (nested), links, a note, three 15-row tables, a
signature block and a form: about 300 paragraphs.
"""

from __future__ import annotations

import argparse
import datetime
import io
import re
import statistics
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from protocolgen.write import DocMeta, DocxWriter, render_html

META = DocMeta(
    title="Information Sharing Protocol: Children with Complex Needs",
    subject="Multi-agency information sharing to safeguard children",
    author="Westshire Safeguarding Children Partnership",
    keywords=("safeguarding", "information sharing", "protocol"),
    created=datetime.date(2026, 4, 1),
    version="1.0",
    issue_date_text="1 April 2026",
    reference="WSCP-ISP-COMPLEX-NEEDS",
)

AGENCIES = [
    "Westshire County Council Children's Services",
    "Westshire Police",
    "Westshire Integrated Care Board",
    "Westshire Community Health NHS Trust",
    "Westshire Schools Partnership",
    "Westshire Probation Service",
    "Westshire Youth Justice Service",
    "Westshire Housing Partnership",
    "Westshire Mental Health Foundation Trust",
    "Westshire Ambulance Service",
    "Westshire Early Years Network",
    "Westshire Fire and Rescue",
    "Westshire Voluntary Sector Forum",
    "Westshire Adult Social Care",
    "Westshire Public Health",
]

SENTENCE = (
    "Practitioners share information that is necessary, proportionate, relevant, adequate, accurate, timely "
    "and secure, and record what they shared, with whom and why, in line with "
    "[Working Together to Safeguard Children](https://www.gov.uk/government/publications/working-together-to-safeguard-children--2) "
    "and the *Data Protection Act 2018*. **Consent is not the lawful basis** for most safeguarding sharing."
)


def synthetic_protocol(sections: int = 3) -> str:
    """Markdown shaped like a rendered protocol template, about seven A4 pages."""
    out = ["::: toc", ":::", ""]
    table_no = 0
    for s in range(1, sections + 1):
        out += [f"# Section {s}: purpose and scope of sharing", "", SENTENCE, "", SENTENCE, ""]
        for sub in range(1, 3):
            out += [f"## Subsection {s}.{sub} responsibilities", "", SENTENCE, ""]
            out += [f"- {AGENCIES[(s + k) % 15]} keeps a record of each disclosure" for k in range(3)]
            out += ["  - nested point about retention and secure transfer", ""]
            out += [f"{k}. Step {k}: check the lawful basis and the need to share" for k in range(1, 4)]
            out += ["", f"### Detail {s}.{sub}.1 escalation", "", SENTENCE, ""]
        if s == 2:
            out += ["::: note", "Where a child is at risk of significant harm, share without delay.", ":::", ""]
        if s <= 3:
            table_no += 1
            out += [f"Table {table_no} lists the signatory agencies and their contacts.", ""]
            out += ["| Agency | Role | Contact | Lawful basis |", "| --- | --- | --- | --- |"]
            out += [
                f"| {a} | Designated lead \\| deputy | [safeguarding@example.org](mailto:safeguarding@example.org) "
                f"| UK GDPR Art. 6(1)(e) and Art. 9(2)(g) |"
                for a in AGENCIES
            ]
            out += [""]
    out += ["::: pagebreak", ":::", "", "# Signatures", ""]
    out += ["::: signatures", "| Agency | Name | Signature | Date |", "| --- | --- | --- | --- |"]
    out += [f"| {a} |  |  |  |" for a in AGENCIES[:6]]
    out += [":::", "", "# Information request form", "", "::: form", "| Question | Answer |", "| --- | --- |"]
    out += [f"| {q} |  |" for q in ("Name of child", "Date of birth", "Reason for request", "Requested by")]
    out += [":::", ""]
    return "\n".join(out)


def time_it(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=200, help="renders per writer (default 200)")
    parser.add_argument("--out", type=Path, help="also write the sample .docx here")
    args = parser.parse_args(argv)

    markdown = synthetic_protocol()
    start = time.perf_counter()
    writer = DocxWriter()
    setup_ms = (time.perf_counter() - start) * 1000
    data = writer.render(markdown, META)
    if args.out:
        args.out.write_bytes(data)
    for _ in range(5):  # warm up
        writer.render(markdown, META)
        render_html(markdown, META)

    docx_ms = time_it(lambda: writer.render(markdown, META), args.n)
    html_ms = time_it(lambda: render_html(markdown, META), args.n)

    tracemalloc.start()
    writer.render(markdown, META)
    _, docx_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    render_html(markdown, META)
    _, html_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        document = archive.read("word/document.xml")
    paragraphs, tables = len(re.findall(rb"<w:p[ >]", document)), document.count(b"<w:tbl>")
    print(f"markdown: {len(markdown)} chars -> docx {len(data)} bytes: {paragraphs} paragraphs "
          f"(including table cells), {tables} tables")
    print(f"DocxWriter() setup: {setup_ms:.1f} ms (once)")
    print(f"DocxWriter.render: mean {statistics.mean(docx_ms):.2f} ms, min {min(docx_ms):.2f} ms "
          f"over {args.n} runs; peak memory {docx_peak / 1024:.0f} KiB")
    print(f"render_html:       mean {statistics.mean(html_ms):.2f} ms, min {min(html_ms):.2f} ms "
          f"over {args.n} runs; peak memory {html_peak / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
