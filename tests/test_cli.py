"""The CLI contract of ARCHITECTURE.md: commands, JSON keys, exit codes, help with examples, README coverage."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.metrics import METRIC_KEYS

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()
COMMANDS = ["demo", "ingest", "validate", "metrics", "report", "monthly", "confirm", "export", "template", "init"]
INGEST_KEYS = {"files_seen", "files_ingested", "files_duplicate", "files_failed", "sheets_unclassified", "rows_read",
               "rows_loaded", "rows_quarantined", "rows_skipped", "loaded_by_kind"}


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help_with_an_example_and_is_in_the_readme(cmd):
    res = runner.invoke(app, [cmd, "--help"])
    assert res.exit_code == 0 and "示例" in res.output
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"xuncha {cmd}\b", readme), f"README does not document `xuncha {cmd}`"


def test_ingest_json_keys_and_exit_codes(demo_copy, tmp_path):
    db = tmp_path / "wh.duckdb"
    res = runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert INGEST_KEYS <= set(data)
    (demo_copy / "broken.xlsx").write_bytes(b"not a workbook")
    res = runner.invoke(app, ["ingest", "--raw", str(demo_copy), "--db", str(db), "--json"])
    assert res.exit_code == 1 and json.loads(res.output)["files_failed"][0]["file"] == "broken.xlsx"
    res = runner.invoke(app, ["ingest", "--raw", str(tmp_path / "nope"), "--db", str(db)])
    assert res.exit_code == 2 and "不存在" in res.output


def test_metrics_and_validate_json(demo_db, tmp_path, expected):
    res = runner.invoke(app, ["metrics", "--db", str(demo_db), "--as-of", "2020-06-30", "--json"])
    assert res.exit_code == 0
    m = json.loads(res.output)
    assert list(m) == METRIC_KEYS and m == expected["metrics"]
    res = runner.invoke(app, ["metrics", "--db", str(demo_db), "--period", "2020-06", "--json"])
    assert json.loads(res.output) == expected["metrics"]
    res = runner.invoke(app, ["metrics", "--db", str(demo_db), "--as-of", "30/06/2020", "--json"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["validate", "--db", str(demo_db), "--out", str(tmp_path), "--json"])
    data = json.loads(res.output)
    assert res.exit_code == 1 and data["status"] == "fail" and set(data) == {"status", "counts", "findings"}
    assert all(set(f) == {"rule", "severity", "message", "file", "sheet", "row", "value"} for f in data["findings"])


def test_missing_warehouse_is_a_clear_error(tmp_path):
    res = runner.invoke(app, ["metrics", "--db", str(tmp_path / "none.duckdb"), "--json"])
    assert res.exit_code == 2 and "xuncha ingest" in res.output


def test_report_rejects_path_like_periods(demo_db, tmp_path):
    res = runner.invoke(app, ["report", "--db", str(demo_db), "--out", str(tmp_path), "--period", "../../x"])
    assert res.exit_code == 2 and "YYYY-MM" in res.output
    assert list(tmp_path.iterdir()) == []


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "xuncha"
    p = subprocess.run([str(exe), "--help"], capture_output=True, text=True)
    assert p.returncode == 0 and all(c in p.stdout for c in COMMANDS)


@pytest.mark.parametrize("cmd", [c for c in COMMANDS if c != "init"])  # init makes the folder's config/
def test_every_command_takes_its_configuration_folder(cmd):
    res = runner.invoke(app, [cmd, "--help"])
    assert res.exit_code == 0 and "--config" in res.output
