"""Looking at outputs the way an office does: LibreOffice (headless) prints a workbook or a document to PDF, and
pdftotext reads each page back. Tests that need them skip only when LibreOffice or poppler-utils is missing
(`.ci/run` installs both)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(SOFFICE is None or shutil.which("pdftotext") is None,
                                  reason="LibreOffice (soffice) or pdftotext is not installed; .ci/run installs them")


def to_pdf(path: Path, out_dir: Path) -> Path:
    """Print `path` to PDF with LibreOffice, with a profile of its own (so runs in parallel do not collide)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    profile = (out_dir / "lo-profile").resolve().as_uri()
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
                    str(out_dir), str(path)], check=True, capture_output=True, timeout=300)
    pdf = out_dir / (path.stem + ".pdf")
    assert pdf.exists(), f"LibreOffice wrote no PDF for {path}"
    return pdf


def page_texts(pdf: Path) -> list[str]:
    """The text of each page, in order."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True).stdout.decode("utf-8")
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def squeeze(text: str) -> str:
    """Text without any white space (pdftotext puts spaces between Chinese and digits, and breaks wrapped cells)."""
    return re.sub(r"\s+", "", text)


def shows(heading: str, page: str) -> bool:
    """Whether a (possibly wrapped) heading is printed on a page: whole, or its first and last three characters
    (a heading wrapped in its cell is read back line by line)."""
    h, p = squeeze(heading), squeeze(page)
    return h in p or (len(h) > 6 and h[:3] in p and h[-3:] in p)
