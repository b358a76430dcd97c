"""Web pages on a 320 px wide screen, in a real browser: nothing makes the page scroll sideways.

Headless Chromium loads each page in a 320 px iframe of a small harness page and reports the document's
scroll width against its client width. Skipped, with a reason, where Chromium is not installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from protocolgen.write import render_html

sys.path.insert(0, str(Path(__file__).parent))
from test_write_html import META

CHROMIUM = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")
                 if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")

LONG = "information.governance.team@westmarsh-borough-council-childrens-services.example"
PAGES = {
    "long-words.html": (
        f"# Contact {LONG}\n\nWrite to {LONG} or see "
        "<https://www.example.org/a/very/long/path/that/never/breaks/on/its/own/because/it/has/no/spaces>.\n"),
    "wide-table.html": (
        "Table 1 lists them.\n\n| Agency | Contact | Telephone | Address | Lawful basis | Retention |\n"
        "|---|---|---|---|---|---|\n"
        f"| Westmarsh Borough Council | {LONG} | 01632 960000 | Marsh House, 14 Quay Street | "
        "Article 6(1)(e) public task | Six years after the case closes |\n"),
    "flowchart.html": (
        "::: flowchart Deciding\n| Step | Box | Yes | No |\n|---|---|---|---|\n| 1 | Is a child at risk? | 2 | 3 |\n"
        "| 2 | Share now | | |\n| 3 | Ask for agreement | | |\n:::\n"),
}
HARNESS = """<!DOCTYPE html><html><body><div id="out"></div><script>
const pages = PAGES, results = {};
function next(i) {
  if (i >= pages.length) { document.getElementById("out").dataset.result = JSON.stringify(results); return; }
  const frame = document.createElement("iframe");
  frame.width = 320; frame.height = 640;
  frame.onload = () => setTimeout(() => {
    const root = frame.contentDocument.documentElement;
    results[pages[i]] = [root.scrollWidth, root.clientWidth];
    frame.remove(); next(i + 1);
  }, 50);
  frame.src = pages[i];
  document.body.appendChild(frame);
}
next(0);
</script></body></html>
"""
UNSTYLED = "<!DOCTYPE html><html lang='en'><head><title>{{ title }}</title></head><body>{{ body }}</body></html>"


def widths(folder: Path, pages: dict[str, str], shell: str | None = None) -> dict[str, list[int]]:
    for name, markdown in pages.items():
        (folder / name).write_text(render_html(markdown, META, shell=shell), encoding="utf-8")
    harness = folder / "harness.html"
    harness.write_text(HARNESS.replace("PAGES", json.dumps(sorted(pages))), encoding="utf-8")
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", f"--user-data-dir={folder / 'profile'}",
         "--allow-file-access-from-files", "--virtual-time-budget=20000", "--dump-dom", harness.as_uri()],
        capture_output=True, text=True, timeout=120, check=True)
    found = re.search(r'data-result="([^"]*)"', result.stdout)
    assert found, result.stdout[-2000:]
    return json.loads(found.group(1).replace("&quot;", '"'))


def test_no_page_scrolls_sideways_at_320_px(tmp_path):
    for name, (scroll, client) in widths(tmp_path, PAGES).items():
        assert client <= 320 and scroll <= client, f"{name}: {scroll} px of content in {client} px"


def test_the_check_sees_a_page_that_does_scroll_sideways(tmp_path):
    # the same long address without protocolgen's stylesheet overflows: the test above can fail
    scroll, client = widths(tmp_path, {"unstyled.html": PAGES["long-words.html"]}, shell=UNSTYLED)["unstyled.html"]
    assert scroll > client
