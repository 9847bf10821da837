"""Shared fixtures: the demo corpus and its warehouse are built once per test session, for real."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipelines.demo.generate import generate
from pipelines.ingest.build import ingest

ARTIFACTS = Path(os.environ.get("XUNCHA_TEST_ARTIFACTS", Path(__file__).parent / "artifacts"))
DEMO_AS_OF = dt.date(2020, 6, 30)


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("demo") / "raw"
    generate(d)
    return d


@pytest.fixture(scope="session")
def expected(demo_dir) -> dict:
    return json.loads((demo_dir / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def demo_ingest(demo_dir, tmp_path_factory) -> tuple[Path, dict]:
    db = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    summary = ingest(demo_dir, db)
    return db, summary


@pytest.fixture(scope="session")
def demo_db(demo_ingest) -> Path:
    return demo_ingest[0]


@pytest.fixture(scope="session")
def exported(demo_ingest, tmp_path_factory):
    """The demo validated and exported (汇总台账, 督办清单, 月度简报.docx) for 2020-06."""
    from pipelines.export import run_export
    from pipelines.validate.run import validate

    db, summary = demo_ingest
    root = tmp_path_factory.mktemp("export")
    db2 = root / "wh.duckdb"
    shutil.copy(db, db2)  # validate writes its run into the warehouse: keep the shared one untouched
    out = root / "reports"
    validate(db2, out)
    res = run_export(db2, out, as_of=DEMO_AS_OF)
    return {"db": db2, "out": out, "res": res, "summary": summary, "folder": Path(res["folder"])}


@pytest.fixture()
def demo_copy(demo_dir, tmp_path) -> Path:
    """A private copy of the demo corpus a test may change."""
    d = tmp_path / "raw"
    shutil.copytree(demo_dir, d)
    return d


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None,
               hidden: tuple[str, ...] = ()) -> Path:
    """A real xlsx file: {sheet name: rows}, optional merged ranges like 'B3:B5'."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
        if name in hidden:
            ws.sheet_state = "hidden"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


REGISTER_UNITS = [
    ["单位名称", "单位类别", "简称"],
    ["山丹县财政局", "县直部门", "县财政局"],
    ["山丹县教育局", "县直部门", None],
    ["中共山丹县委组织部", "县直部门", "组织部"],
    ["清泉镇", "乡镇", None],
    ["位奇镇", "乡镇", None],
    ["南关村", "村", None],
]
REGISTER_ROUNDS = [
    ["轮次名称", "巡察类型", "进驻时间", "撤离时间", "反馈时间"],
    ["十四届县委第一轮巡察", "常规巡察", "2019-03-01", "2019-04-10", "2019-05-20"],
    ["十四届县委第二轮巡察", "常规巡察", "2019-09-01", "2019-10-10", "2019-11-20"],
    ["十四届县委第三轮巡察", "常规巡察", "2020-09-01", None, None],
    ["市委第二轮巡察", "常规巡察", "2019-05-01", "2019-06-10", "2019-07-20"],
]


@pytest.fixture()
def registers(tmp_path) -> Path:
    """A raw folder holding a small unit and round register."""
    raw = tmp_path / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS, "轮次": REGISTER_ROUNDS})
    return raw


def chromium_path() -> str:
    for cand in (os.environ.get("XUNCHA_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                 "/usr/bin/chromium"):
        if cand and Path(cand).exists():
            return cand
    raise RuntimeError("找不到 Chromium：请运行 scripts/install-system-deps.sh（或设置 XUNCHA_CHROMIUM）")
