"""One contract drives every stage: expectations, settings the notebooks receive, redaction, and the
fingerprints that decide when a parse or the warehouse is stale."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines import history
from pipelines.contract import CONFIG_DIR, load_contract
from pipelines.report.render import render_set
from pipelines.validate.run import validate
from tests.conftest import DEMO_AS_OF

ROOT = Path(__file__).resolve().parents[1]


def contract_with(tmp_path: Path, edit, settings: dict | None = None):
    """A copy of the packaged contract changed by edit(raw yaml dict), with optional extra settings."""
    raw = yaml.safe_load((CONFIG_DIR / "contract.yaml").read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "contract.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    extra = []
    if settings:
        sp = tmp_path / "settings.yaml"
        sp.write_text(yaml.safe_dump(settings), encoding="utf-8")
        extra = [sp]
    return load_contract(path, settings_paths=[CONFIG_DIR / "settings.yaml", *extra])


def last_run(db: Path) -> tuple[int, int]:
    with duckdb.connect(str(history.path_for(db)), read_only=True) as con:
        return con.execute("SELECT files_parsed, files_cached FROM ingest_runs ORDER BY started_at DESC LIMIT 1"
                           ).fetchone()


# ---------------------------------------------------------------- fingerprints

INGEST = """
import sys
from pipelines.ingest.build import ingest
ingest(sys.argv[1], sys.argv[2])
"""


@pytest.mark.parametrize("changed", ["ingest/resolve.py", "ingest/schema.py", "contract.py",
                                     "config/contract.yaml"])
def test_a_change_to_ingest_code_or_the_contract_invalidates_the_parse_cache(registers, tmp_path, changed):
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "pipelines", pkg / "pipelines", ignore=shutil.ignore_patterns("__pycache__"))
    db = tmp_path / "wh.duckdb"
    env = {**os.environ, "PYTHONPATH": str(pkg), "PYTHONDONTWRITEBYTECODE": "1"}

    def run(*, new_file: str) -> tuple[int, int]:
        (registers / new_file).write_text(f"会议时间,会议名称,议题\n2019-01-01,书记专题会议,{new_file}\n", encoding="utf-8")
        p = subprocess.run([sys.executable, "-c", INGEST, str(registers), str(db)], env=env, cwd=tmp_path,
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stderr[-2000:]
        return last_run(db)

    assert run(new_file="a.csv") == (2, 0)
    assert run(new_file="b.csv") == (1, 2)  # unchanged code: the two earlier files come from the cache
    target = pkg / "pipelines" / changed
    target.write_text(target.read_text(encoding="utf-8") + "\n# 一处无关的修改\n", encoding="utf-8")
    assert run(new_file="c.csv") == (4, 0)  # every file parsed again


def test_settings_are_in_the_contract_fingerprint(tmp_path):
    from pipelines import workspace

    cfg = tmp_path / "config"
    cfg.mkdir()
    base = workspace.load(cfg).fingerprint
    (cfg / "settings.yaml").write_text("lead_open_days_alert: 30\n", encoding="utf-8")
    with_settings = workspace.load(cfg).fingerprint
    assert base != with_settings
    # the answers workbook's part (what the answers say, not the file's bytes) is pinned by
    # tests/test_answers.py::test_answers_change_the_fingerprint_only_when_an_answer_changes


# ---------------------------------------------------------------- expectations from the contract


def test_expectations_follow_the_contract_declaration(demo_db, tmp_path):
    from pipelines.contract import default_contract

    plain = validate(demo_db, tmp_path / "a")
    vocab_cols = {(k, c) for k, kind in default_contract().kinds.items() for c, s in kind.columns.items()
                  if s.type == "vocab"}
    # every vocabulary column the warehouse keeps raw text for has its rule, named after its label
    for kind, col in vocab_cols:
        with duckdb.connect(str(demo_db), read_only=True) as con:
            has_raw = con.execute("SELECT count(*) FROM duckdb_columns() WHERE table_name = ? AND column_name = ?",
                                  [f"stg_{kind}", f"{col}_raw"]).fetchone()[0]
        assert (f"vocab_{kind}_{col}" in plain["counts"]) == bool(has_raw), (kind, col)
    assert plain["titles"]["vocab_problems_status"] == "词表外的值（巡察反馈问题整改台账·整改情况）"
    assert "required_problems_responsible_leader" not in plain["counts"]
    # declaring 责任领导 required (no code change) gives a rule, and a finding for each row without one
    strict = contract_with(tmp_path, lambda c: c["kinds"]["problems"]["columns"]["responsible_leader"].update(required=True))
    res = validate(demo_db, tmp_path / "b", contract=strict)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        missing = {(f, s, r) for f, s, r in con.execute(
            "SELECT src_file, src_sheet, src_row FROM stg_problems WHERE responsible_leader IS NULL").fetchall()}
    found = {(f["file"], f["sheet"], f["row"]) for f in res["findings"] if f["rule"] == "required_problems_responsible_leader"}
    assert missing and found == missing
    assert res["titles"]["required_problems_responsible_leader"] == "必填项为空（巡察反馈问题整改台账·责任领导）"


# ---------------------------------------------------------------- settings and redaction in the pages


def _long_open_rows(html: str, days: int) -> int:
    m = re.search(rf"移交超过 {days} 天仍未办结的线索 (\d+) 件", html)
    assert m, f"no long-open sentence for {days} days"
    return int(m.group(1))


def test_lead_open_days_alert_from_the_settings_changes_the_brief(demo_db, tmp_path):
    short = contract_with(tmp_path, lambda c: None, settings={"lead_open_days_alert": 30})
    a = render_set(demo_db, tmp_path / "a", as_of=DEMO_AS_OF, notebooks=["monthly_brief"], record_history=False)
    b = render_set(demo_db, tmp_path / "b", as_of=DEMO_AS_OF, notebooks=["monthly_brief"], record_history=False,
                   contract=short)
    with duckdb.connect(str(demo_db), read_only=True) as con:
        def n_open(days):
            return con.execute("SELECT count(*) FROM mart_leads(?) WHERE counted AND NOT closed AND days_open > ?",
                               [DEMO_AS_OF, days]).fetchone()[0]
        n180, n30 = n_open(180), n_open(30)
    assert n30 > n180  # the demo has leads open between 30 and 180 days: the threshold matters
    assert _long_open_rows(Path(a["files"][0]).read_text(encoding="utf-8"), 180) == n180
    assert _long_open_rows(Path(b["files"][0]).read_text(encoding="utf-8"), 30) == n30


def test_a_personal_column_added_to_another_kind_is_redacted_in_every_page(demo_db, tmp_path):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        texts = [r[0] for r in con.execute("SELECT DISTINCT description FROM stg_problems").fetchall()]
    plain = render_set(demo_db, tmp_path / "a", as_of=DEMO_AS_OF, notebooks=["rectification"],
                       record_history=False)
    shown = Path(plain["files"][0]).read_text(encoding="utf-8")
    assert any(t in shown for t in texts)  # without the declaration the page shows problem texts
    personal = contract_with(tmp_path, lambda c: c["kinds"]["problems"].update(personal=["description"]))
    out = tmp_path / "b"
    validate(demo_db, out, contract=personal)
    res = render_set(demo_db, out, as_of=DEMO_AS_OF, record_history=False, contract=personal)
    pages = [Path(p).read_text(encoding="utf-8") for p in res["files"]]
    pages.append((out / "quality" / "index.html").read_text(encoding="utf-8"))
    leaked = sorted({t for t in texts for html in pages if t in html})
    assert leaked == [] and "＊＊" in pages[2]
    named = render_set(demo_db, tmp_path / "c", as_of=DEMO_AS_OF, notebooks=["rectification"],
                       record_history=False, contract=personal, redact=False)
    assert any(t in Path(named["files"][0]).read_text(encoding="utf-8") for t in texts)  # --show-names


def test_the_scrubber_masks_the_longest_value_in_every_written_form():
    from pipelines.redact import Scrubber

    s = Scrubber(["王伟", "王伟国", "县委书记林静", "A&B", "甲", None])
    assert s("王伟国、王伟与县委书记林静谈话；王某") == "＊＊、＊＊与＊＊谈话；王某"
    assert s("<td>A&amp;B</td>") == "<td>＊＊</td>"  # as the page escapes it
    assert s("甲乙") == "甲乙" and s(None) is None  # one character is too short to be a name
    assert not Scrubber([None, "", "甲"])
