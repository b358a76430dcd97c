"""LibreOffice, the real client: convert Word documents to PDF headless, the way every PDF test does it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

needs_soffice = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")


def convert_to_pdf(documents: list[Path], outdir: Path, timeout: int = 180) -> subprocess.CompletedProcess[str]:
    """Convert ``documents`` into ``outdir`` with a private LibreOffice profile (no clash with another soffice
    running); raises if LibreOffice fails. Its log names one 'convert' line per document converted."""
    profile = outdir / "lo-profile"
    return subprocess.run(
        ["soffice", f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, documents)],
        check=True, capture_output=True, text=True, timeout=timeout,
    )
