"""The exported documents in a real office application: LibreOffice (headless) opens every exported
workbook, every template and 月度简报.docx, saves the workbooks again as xlsx and prints the brief to PDF;
nothing may be lost on the way (sheets, row counts, dropdowns, the brief's figures). Excel and WPS are
what users have; LibreOffice is the stand-in that runs here (scripts/install-system-deps.sh installs it)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipelines.contract import default_contract
from pipelines.export.templates import write_templates
from tests.conftest import ARTIFACTS
from tests.test_export import DEMO_BRIEF, _choices

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed: run scripts/install-system-deps.sh")


def soffice_convert(files: list[Path], fmt: str, outdir: Path) -> list[Path]:
    """Convert a batch of files in one LibreOffice run, with a private profile (no lock clash with others)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"xuncha-lo-{uuid.uuid4().hex}"
    try:
        res = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                              "--convert-to", fmt, "--outdir", str(outdir), *map(str, files)],
                             capture_output=True, text=True, timeout=600)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    ext = fmt.split(":")[0]
    out = [outdir / f"{f.stem}.{ext}" for f in files]
    missing = [p.name for p in out if not p.exists()]
    assert not missing, (missing, res.stdout[-2000:], res.stderr[-2000:])
    return out


def _rows(ws) -> int:
    return sum(1 for r in ws.iter_rows(values_only=True) if any(v not in (None, "") for v in r))


def _same_workbook(original: Path, converted: Path) -> None:
    a, b = load_workbook(original), load_workbook(converted)
    assert a.sheetnames == b.sheetnames, converted
    for ws in a:
        wb_ = b[ws.title]
        assert _rows(ws) == _rows(wb_), (converted.name, ws.title)
        for row in wb_.iter_rows():
            for c in row:
                assert c.data_type != "f", (converted.name, ws.title, c.coordinate, c.value)


def test_exported_workbooks_survive_libreoffice(exported, tmp_path):
    folder = exported["folder"]
    books = [folder / "汇总台账.xlsx", *sorted((folder / "督办清单").glob("*.xlsx"))]
    ledger, *_ = soffice_convert(books[:1], "xlsx", tmp_path / "ledger")
    sup = soffice_convert(books[1:], "xlsx", tmp_path / "sup")
    for orig, conv in zip(books, [ledger, *sup]):
        _same_workbook(orig, conv)
    contract = default_contract()
    wb = load_workbook(ledger)
    for kind, n in exported["summary"]["loaded_by_kind"].items():
        assert _rows(wb[contract.kinds[kind].label]) - 1 == n  # the header row, then one row per loaded row


def test_templates_keep_their_dropdowns_in_libreoffice(demo_db, tmp_path):
    paths = write_templates(tmp_path / "tpl", db_path=demo_db)
    converted = soffice_convert(paths, "xlsx", tmp_path / "lo")
    n_lists = 0
    for orig, conv in zip(paths, converted):
        _same_workbook(orig, conv)
        a, b = load_workbook(orig), load_workbook(conv)
        before, after = _choices(a, a.worksheets[0]), _choices(b, b.worksheets[0])
        assert after == before, conv.name  # every dropdown, same column, same choices
        n_lists += len(before)
        dates = [c.column for c in a.worksheets[0][3] if c.number_format == "yyyy-mm-dd"]
        for col in dates:
            assert "yy" in b.worksheets[0].cell(3, col).number_format.lower(), (conv.name, col)
    assert n_lists >= 20  # vocabularies, units and rounds across the kinds (the checklist has none)


def test_brief_docx_prints_to_pdf_with_its_figures(exported, tmp_path):
    docx = exported["folder"] / "月度简报.docx"
    (pdf,) = soffice_convert([docx], "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout \
        if shutil.which("pdftotext") else None
    if text is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    flat = "".join(text.split())
    for sentence in DEMO_BRIEF:
        assert sentence in flat
    for fig in ["83.3%", "94.0%", "80/96", "3人", "29人", "运行清单"]:
        assert fig in flat, fig
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "月度简报.pdf")
