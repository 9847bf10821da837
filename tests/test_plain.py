"""Plain Chinese and no surprises (issue 17), through the real CLI in a subprocess: no English code in
anything a user reads (JSON excepted), one-line Chinese errors with the fix, every exit code the README
documents, Word/PDF/images beside the ledgers ignored, filters as analysts type them, a sane period."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.contract import default_contract
from pipelines.report.filters import FilterError, resolve
from pipelines.validate.run import ingest_rules, load_rules
from tests.conftest import REGISTER_ROUNDS, REGISTER_UNITS, chromium_path, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u4e00-\u9fff]")


def contract_codes() -> set[str]:
    """Every English code a user must never read: kinds, vocabulary codes, codes: groups, metric keys, rule ids."""
    c = default_contract()
    codes = set(c.kinds) | set(c.metrics)
    for v in c.vocabularies.values():
        codes |= set(v.codes)
    for g in c.codes.values():
        codes |= set(g)
    return codes | {r["id"] for r in load_rules()} | set(ingest_rules())


CODE_RE = re.compile(r"(?<![A-Za-z0-9_./-])(" + "|".join(sorted(map(re.escape, contract_codes()), key=len, reverse=True))
                     + r")(?![A-Za-z0-9_/-])")


def english_codes(text: str) -> list[str]:
    """The contract codes standing as words in `text` (file paths and URLs, e.g. findings.xlsx, are not words)."""
    return sorted({m.group(1) for m in CODE_RE.finditer(text)})


def xuncha(*args, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The real CLI in its own process, as a user or a scheduler runs it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=str(cwd or ROOT), env=env, timeout=900)


def one_chinese_line(p: subprocess.CompletedProcess) -> str:
    err = p.stderr.strip()
    assert "Traceback" not in p.stdout + p.stderr, p.stdout + p.stderr
    assert len(err.splitlines()) == 1 and err.startswith("错误：") and HAN.search(err), err
    assert english_codes(err) == [], err
    return err


@pytest.fixture(scope="module")
def small_raw(tmp_path_factory) -> Path:
    """A small clean county (passes validation): registers, an inspection list and two problems."""
    raw = tmp_path_factory.mktemp("small") / "raw"
    write_xlsx(raw / "名册.xlsx", {"名册": REGISTER_UNITS, "轮次": REGISTER_ROUNDS})
    write_xlsx(raw / "被巡察单位.xlsx", {"S": [["轮次", "被巡察单位", "巡察组", "进驻时间"],
                                          ["十四届县委第一轮巡察", "山丹县财政局", "第一组", "2019-03-01"],
                                          ["十四届县委第一轮巡察", "清泉镇", "第一组", "2019-03-01"]]})
    write_xlsx(raw / "问题.xlsx", {"S": [["轮次", "被巡察单位", "问题描述", "整改情况", "完成时间"],
                                       ["十四届县委第一轮巡察", "山丹县财政局", "资金管理不规范", "已完成", "2019-08-01"],
                                       ["十四届县委第一轮巡察", "清泉镇", "制度执行不严", "整改中", None]]})
    return raw


@pytest.fixture()
def own_db(demo_db, tmp_path) -> Path:
    """A private copy of the demo warehouse a test may lock or alter."""
    db = tmp_path / "wh" / "warehouse.duckdb"
    db.parent.mkdir()
    shutil.copyfile(demo_db, db)
    return db


class HeldOpen:
    """An analyst's own read-write DuckDB session on the warehouse, in another process."""

    def __init__(self, db: Path):
        self.p = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                                   "con = duckdb.connect(sys.argv[1])\nprint('open', flush=True)\ntime.sleep(600)",
                                   str(db)], stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "open"

    def close(self):
        self.p.kill()
        self.p.wait()


# ---------------------------------------------------------------- non-ledger files


def _office_files(folder: Path) -> list[str]:
    """A real .docx and .pdf (LibreOffice) and a real .jpg (Chromium screenshot) an office keeps beside ledgers."""
    folder.mkdir(parents=True, exist_ok=True)
    note = folder / "巡察工作说明.txt"
    note.write_text("本文件夹为十四届县委第七轮巡察的台账，另附工作照片与反馈意见。", encoding="utf-8")
    for fmt in ("docx", "pdf"):
        subprocess.run(["soffice", "--headless", "--convert-to", fmt, "--outdir", str(folder), str(note)],
                       capture_output=True, timeout=300, check=True)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": 200, "height": 120})
        page.set_content("<h1>巡察进驻会</h1>")
        page.screenshot(path=str(folder / "进驻会照片.jpg"), type="jpeg")
        b.close()
    note.unlink()
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["巡察工作说明.docx", "巡察工作说明.pdf", "进驻会照片.jpg"], names
    assert (folder / "巡察工作说明.docx").read_bytes()[:2] == b"PK"
    assert (folder / "巡察工作说明.pdf").read_bytes()[:5] == b"%PDF-"
    assert (folder / "进驻会照片.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    return names


def test_word_pdf_and_photos_beside_the_ledgers_are_ignored_not_failures(demo_copy, tmp_path):
    names = _office_files(demo_copy / "第七轮附件")
    db = tmp_path / "wh.duckdb"
    p = xuncha("ingest", "--raw", demo_copy, "--db", db)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "不是台账已忽略 3 个" in p.stdout and "[不是台账，已忽略] 3 个文件" in p.stdout
    assert all(n in p.stdout for n in names) and "[失败]" not in p.stdout
    data = json.loads(xuncha("ingest", "--raw", demo_copy, "--db", db, "--json").stdout)
    assert sorted(data["files_ignored"]) == sorted(f"第七轮附件/{n}" for n in names) and data["files_failed"] == []
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM files WHERE status = 'ignored'").fetchone()[0] == 3
    # a spreadsheet that cannot be read is still a failure
    (demo_copy / "损坏的台账.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    p = xuncha("ingest", "--raw", demo_copy, "--db", db)
    assert p.returncode == 1 and "[失败] 损坏的台账.xlsx" in p.stdout and "不是台账已忽略 3 个" in p.stdout


# ---------------------------------------------------------------- errors


def test_warehouse_held_read_write_by_an_analyst_is_one_chinese_line(own_db, tmp_path, demo_copy):
    held = HeldOpen(own_db)
    try:
        for args in (["report", "--db", own_db, "--out", tmp_path / "r", "--period", "2020-06"],
                     ["validate", "--db", own_db, "--out", tmp_path / "r"],
                     ["metrics", "--db", own_db, "--as-of", "2020-06-30"]):
            p = xuncha(*args)
            err = one_chinese_line(p)
            assert p.returncode == 2, (args, p.returncode, err)
            assert "正被另一个程序以读写方式打开" in err and f"进程 {held.p.pid}" in err and "read_only=True" in err
        p = xuncha("ingest", "--raw", demo_copy, "--db", own_db)  # its history cannot be carried over: stop
        assert p.returncode == 1 and "正被另一个程序以读写方式打开" in one_chinese_line(p)
    finally:
        held.close()
    assert xuncha("metrics", "--db", own_db, "--as-of", "2020-06-30").returncode == 0  # closed: works again


@pytest.mark.parametrize("theirs", ["0.0.9", "9.0.0"])
def test_warehouse_of_another_xuncha_version_says_to_reingest(own_db, demo_dir, theirs):
    with duckdb.connect(str(own_db)) as con:
        con.execute("UPDATE warehouse_meta SET code_version = ?", [theirs])
    p = xuncha("metrics", "--db", own_db, "--as-of", "2020-06-30")
    err = one_chinese_line(p)
    assert p.returncode == 2 and f"另一个版本的 xuncha（{theirs}）" in err and "xuncha ingest" in err
    assert xuncha("ingest", "--raw", demo_dir, "--db", own_db).returncode == 0  # the fix the message gives
    assert xuncha("metrics", "--db", own_db, "--as-of", "2020-06-30").returncode == 0


def test_raw_that_is_a_file_is_a_usage_error(demo_dir, tmp_path):
    ledger = next(demo_dir.rglob("*.xlsx"))
    p = xuncha("ingest", "--raw", ledger, "--db", tmp_path / "wh.duckdb")
    err = one_chinese_line(p)
    assert p.returncode == 2 and "是一个文件" in err and str(ledger.parent) in err
    p = xuncha("monthly", "--raw", ledger, "--db", tmp_path / "wh.duckdb", "--out", tmp_path / "r", "--period", "2020-06")
    assert p.returncode == 2 and "是一个文件" in p.stdout and not (tmp_path / "r").exists()


ENGLISH_SCAFFOLD = re.compile(r"Usage:|Options:|Commands:|Show this message|Error:|Try '|for help|No such|Missing|"
                              r"Invalid value|\[default|\[required|Got unexpected|Input should")


def test_help_pages_and_parser_errors_are_chinese(tmp_path):
    for args in (["--help"], ["ingest", "--help"], ["init", "--help"]):
        p = xuncha(*args)
        assert p.returncode == 0 and "用法：" in p.stdout and "显示本帮助后退出" in p.stdout, p.stdout
        assert not ENGLISH_SCAFFOLD.search(p.stdout), p.stdout
    assert "[默认：data_raw]" in xuncha("ingest", "--help").stdout
    assert "查看帮助：python -m pipelines.cli ingest --help" in xuncha("ingest", "--bogus", cwd=tmp_path).stderr
    cases = [(["ingest", "--bogus"], "没有选项 --bogus"), (["ingset"], "是不是要写 'ingest'"),
             (["ingest", "--raw"], "'--raw' 后面要写一个值"), (["ingest", "--workers", "两个"], "应为整数"),
             (["ingest", "多余的"], "多出了参数：多余的"), (["init"], "缺少参数")]
    for args, said in cases:
        p = xuncha(*args, cwd=tmp_path)  # nothing is done: the default data_clean/ is not made
        out = p.stdout + p.stderr
        assert p.returncode == 2, (args, out)
        assert said in p.stderr and p.stderr.strip().splitlines()[-1].startswith("错误："), (args, out)
        assert "Traceback" not in out
        assert not ENGLISH_SCAFFOLD.search(out), (args, out)
        assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the README's exit codes, every one


def documented_exit_codes() -> set[tuple[str, int]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| 命令 | 退出码 |"):]
    out = set()
    for line in table.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cmds, codes = line.split("|")[1], line.split("|")[2]
        for cmd in re.findall(r"`xuncha (\w+)`", cmds):
            out |= {(cmd, int(c)) for c in re.findall(r"(?:^|；)\s*(\d+)", codes.strip())}
    return out


def test_every_documented_exit_code(small_raw, demo_dir, demo_db, tmp_path):
    """Each (command, exit code) of the README's table is produced by a real case, and no case is undocumented."""
    w = tmp_path
    clean_db = w / "clean" / "warehouse.duckdb"
    broken = w / "broken_raw"
    shutil.copytree(small_raw, broken)
    (broken / "坏文件.xlsx").write_bytes(b"PK\x03\x04broken")
    a_file = w / "台账.xlsx"
    shutil.copyfile(small_raw / "问题.xlsx", a_file)
    blocker = w / "blocker"
    blocker.write_text("这是一个文件，不是文件夹", encoding="utf-8")
    demo_own = w / "demo" / "warehouse.duckdb"
    demo_own.parent.mkdir()
    shutil.copyfile(demo_db, demo_own)
    empty_raw = w / "empty_raw"
    empty_raw.mkdir()
    locked_db = w / "locked" / "warehouse.duckdb"
    locked_db.parent.mkdir()
    shutil.copyfile(demo_db, locked_db)

    def monthly_75():
        lock = w / "m75" / ".monthly.lock"
        lock.parent.mkdir()
        lock.write_text(f"{os.getpid()} 2020-07-02T06:30:00", encoding="utf-8")
        return ["monthly", "--raw", small_raw, "--db", lock.parent / "warehouse.duckdb", "--out", w / "m75r",
                "--period", "2020-06"]

    cases = {
        ("ingest", 0): [lambda: ["ingest", "--raw", small_raw, "--db", clean_db]],
        ("ingest", 1): [lambda: ["ingest", "--raw", broken, "--db", w / "b" / "warehouse.duckdb"],
                        lambda: ["ingest", "--raw", small_raw, "--db", locked_db]],
        ("ingest", 2): [lambda: ["ingest", "--raw", w / "没有这个文件夹", "--db", w / "x.duckdb"],
                        lambda: ["ingest", "--raw", a_file, "--db", w / "x.duckdb"]],
        ("validate", 0): [lambda: ["validate", "--db", clean_db, "--out", w / "v0"]],
        ("validate", 1): [lambda: ["validate", "--db", demo_own, "--out", w / "v1"]],
        ("validate", 2): [lambda: ["validate", "--db", w / "没有.duckdb", "--out", w / "v2"],
                          lambda: ["validate", "--db", locked_db, "--out", w / "v2"]],
        ("metrics", 0): [lambda: ["metrics", "--db", demo_own, "--as-of", "2020-06-30"]],
        ("metrics", 2): [lambda: ["metrics", "--db", demo_own, "--as-of", "30/06/2020"],
                         lambda: ["metrics", "--db", w / "没有.duckdb"],
                         lambda: ["metrics", "--db", locked_db]],
        ("report", 0): [lambda: ["report", "--db", clean_db, "--out", w / "r0", "--period", "2020-06"]],
        ("report", 1): [lambda: ["report", "--db", clean_db, "--out", blocker, "--period", "2020-06"]],
        ("report", 2): [lambda: ["report", "--db", clean_db, "--out", w / "r2", "--period", "2020-13"],
                        lambda: ["report", "--db", demo_own, "--out", w / "r2", "--round", "第五轮"],
                        lambda: ["report", "--db", locked_db, "--out", w / "r2"]],
        ("monthly", 0): [lambda: ["monthly", "--raw", small_raw, "--db", w / "m0" / "warehouse.duckdb", "--out", w / "m0r",
                                  "--period", "2020-06"]],
        ("monthly", 1): [lambda: ["monthly", "--raw", broken, "--db", w / "m1" / "warehouse.duckdb", "--out", w / "m1r",
                                  "--period", "2020-06"]],
        ("monthly", 2): [lambda: ["monthly", "--raw", small_raw, "--db", w / "m2.duckdb", "--period", "2020/06"],
                         lambda: ["monthly", "--raw", a_file, "--db", w / "m2.duckdb", "--period", "2020-06"]],
        ("monthly", 3): [lambda: ["monthly", "--raw", demo_dir, "--db", locked_db, "--out", w / "m3r", "--period", "2020-06"]],
        ("monthly", 75): [monthly_75],
        ("demo", 0): [lambda: ["demo", "--dir", w / "demo_raw", "--only-data"]],
        # an empty (unmounted) raw folder never replaces the warehouse built by ("ingest", 0) above
        ("ingest", 3): [lambda: ["ingest", "--raw", empty_raw, "--db", clean_db]],
        ("init", 0): [lambda: ["init", w / "县工作夹", "--county", "山丹县"]],
        ("init", 2): [lambda: ["init", w / "县工作夹2", "--county", "山丹"]],
        ("export", 0): [lambda: ["export", "--db", demo_own, "--out", w / "e0", "--period", "2020-06"]],
        ("export", 1): [lambda: ["export", "--db", demo_own, "--out", blocker, "--period", "2020-06"]],
        ("export", 2): [lambda: ["export", "--db", w / "没有.duckdb", "--out", w / "e2"]],
        ("template", 0): [lambda: ["template", "--out", w / "t0"]],
        ("template", 1): [lambda: ["template", "--out", blocker / "模板"]],
        ("template", 2): [lambda: ["template", "--kind", "没有这种台账", "--out", w / "t2"]],
        ("confirm", 0): [lambda: ["confirm", "--list", "--config", w / "空配置"]],
        ("confirm", 2): [lambda: ["confirm", w / "没有这个文件.xlsx", "--config", w / "空配置", "--db", demo_own]],
    }
    assert set(cases) == documented_exit_codes()
    held = None
    try:
        for (cmd, code), makers in sorted(cases.items(), key=lambda kv: kv[0]):
            for make in makers:
                args = make()
                if locked_db in args and held is None:
                    held = HeldOpen(locked_db)
                p = xuncha(*args)
                assert p.returncode == code, (args, p.returncode, p.stdout[-800:], p.stderr[-800:])
                out = p.stdout + p.stderr
                assert "Traceback" not in out and HAN.search(out), (args, out)
                if p.stderr.strip():  # an error: one Chinese line with the fix
                    one_chinese_line(p)
                if cmd == "monthly":
                    assert len(p.stdout.strip().splitlines()) == 1, p.stdout  # one clear last line for the scheduler
    finally:
        if held:
            held.close()


# ---------------------------------------------------------------- plain output has no English codes


def test_plain_cli_output_has_no_english_codes(demo_copy, tmp_path):
    _ = (demo_copy / "附件").mkdir() or (demo_copy / "附件" / "说明.txt").write_text("说明", encoding="utf-8")
    db = tmp_path / "wh.duckdb"
    outputs = {}
    outputs["ingest"] = xuncha("ingest", "--raw", demo_copy, "--db", db)
    outputs["validate"] = xuncha("validate", "--db", db, "--out", tmp_path / "r")
    outputs["metrics"] = xuncha("metrics", "--db", db, "--as-of", "2020-06-30")
    outputs["metrics_period"] = xuncha("metrics", "--db", db, "--period", "2020-06")
    for name, p in outputs.items():
        text = p.stdout + p.stderr
        assert HAN.search(text) and "Traceback" not in text, (name, text)
        assert english_codes(text) == [], (name, english_codes(text), text)
    ing = outputs["ingest"].stdout
    assert "巡察反馈问题整改台账：1000 行" in ing and "巡察情况统计表" in ing and "缺少必填项 3 行" in ing
    val = outputs["validate"].stdout
    assert "巡察组不符合“3+N”：2 条" in val and "校验结果：未通过" in val
    met = outputs["metrics"].stdout
    assert "巡察覆盖率" in met and "83.3%" in met and "0.8333" not in met and "{" not in met
    assert re.search(r"党纪政务处分\s+3 人", met) and re.search(r"移交问题线索\s+96 件", met)
    assert "常规巡察 6" in met and "县直部门 17" in met
    # JSON keeps its English codes: it is a contract with scripts
    m = json.loads(xuncha("metrics", "--db", db, "--as-of", "2020-06-30", "--json").stdout)
    assert m["coverage_rate"] == pytest.approx(60 / 72) and "regular" in m["rounds_by_kind"]


def test_metric_names_and_units_are_the_contracts():
    from pipelines.metrics import METRIC_KEYS, metric_rows

    c = default_contract()
    assert set(c.metrics) == set(METRIC_KEYS)  # every metric has a Chinese name
    rows = dict(metric_rows({"coverage_rate": 0.8333333333333334, "people_disciplined": 3, "leads_closed": 80,
                             "meetings_by_type": {"leading_group": 8, "secretary": 5}}))
    assert rows == {"巡察覆盖率": "83.3%", "党纪政务处分": "3 人", "已办结线索": "80 件",
                    "召开会议（按类型）": "共 13 次（领导小组会议 8、书记专题会议 5）"}


# ---------------------------------------------------------------- filters


def test_filters_accept_what_analysts_type(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        assert resolve(con, "", "乡镇").unit_type == "township"
        assert resolve(con, "", "township").unit_type == "township"
        assert resolve(con, "", "县直部门").unit_type == "department"
        f = resolve(con, "第七轮", "")
        assert f.round_name == "十四届县委第七轮巡察" and f.text == "轮次：十四届县委第七轮巡察"
        assert resolve(con, "十四届县委第五轮巡察", "乡镇").text == "轮次：十四届县委第五轮巡察 · 单位类别：乡镇"
        with pytest.raises(FilterError, match="同时对上 2 个轮次.*十四届县委第五轮巡察.*市委第五轮巡察"):
            resolve(con, "第五轮", "")
        with pytest.raises(FilterError, match="没有对上任何已登记的轮次。已登记的轮次：十四届县委第一轮巡察"):
            resolve(con, "第九十轮", "")
        with pytest.raises(FilterError, match="可选 乡镇、县直部门、国有企业、事业单位、村、社区"):
            resolve(con, "", "街道办")
        with pytest.raises(FilterError, match="没有对上任何单位或记录"):  # a round with no unit of that type
            resolve(con, "十四届县委食药卫生领域专项巡察", "村")


def test_filtered_page_names_the_filter_and_the_county_in_its_title(demo_db, tmp_path):
    from pipelines.report.render import render_set

    res = render_set(demo_db, tmp_path, as_of=dt.date(2020, 6, 30), notebooks=["rectification"],
                     round_filter="第六轮", unit_type_filter="乡镇", record_history=False)
    html = Path(res["files"][0]).read_text(encoding="utf-8")
    title = "山丹县巡察反馈问题整改情况（轮次：十四届县委第六轮巡察 · 单位类别：乡镇）"
    assert f"<title>{title}（2020-06-30）</title>" in html and f"<h1>{title}</h1>" in html
    p = xuncha("report", "--db", demo_db, "--out", tmp_path / "x", "--round", "第五轮")
    assert p.returncode == 2 and "同时对上 2 个轮次" in one_chinese_line(p) and not (tmp_path / "x").exists()


# ---------------------------------------------------------------- the period


def test_stale_ledgers_are_flagged_in_the_log_and_the_brief(small_raw, demo_dir, tmp_path):
    from pipelines.monthly import run_monthly

    raw, db, out = tmp_path / "raw", tmp_path / "data_clean" / "warehouse.duckdb", tmp_path / "reports"
    shutil.copytree(demo_dir, raw)  # its titles say 统计截至 2020年6月30日
    code, line = run_monthly(raw, db, out, "2020-11")
    assert code == 1, line
    warn = "台账最新数据截至 2020年6月30日，比本期截至日 2020年11月30日 早 153 天"
    assert warn in line
    log = next((db.parent / "logs").glob("monthly-2020-11-*.log")).read_text(encoding="utf-8")
    assert warn in log and "WARNING" in log
    assert warn in (out / "2020-11" / "monthly_brief.html").read_text(encoding="utf-8")
    from pipelines.metrics import data_age_warning

    with duckdb.connect(str(db), read_only=True) as con:  # a period before the ledgers' date is said as well
        assert data_age_warning(con, dt.date(2020, 3, 31)).startswith(
            "台账最新数据截至 2020年6月30日，晚于本期截至日 2020年3月31日")
        assert data_age_warning(con, dt.date(2020, 7, 31)) is None  # a month on is normal


def test_change_is_named_by_the_month_it_compares_with():
    from pipelines import history

    assert history.compare_label("2020-06", "2020-05") == "较上月"
    assert history.compare_label("2021-01", "2020-12") == "较上月"
    assert history.compare_label("2020-06", "2020-03") == "较2020年3月"
    assert history.delta({"x": 5}, {"x": 2}, "x", label="较2020年3月", unit="件") == "较2020年3月 +3 件"


# ---------------------------------------------------------------- labels come from one place


def test_labels_live_only_in_the_contract():
    """No hand-written code → Chinese map left in code: kit and the notebooks read the contract."""
    kit = (ROOT / "pipelines" / "report" / "kit.py").read_text(encoding="utf-8")
    nbs = "\n".join("".join(c["source"]) for p in sorted((ROOT / "notebooks").glob("*.ipynb"))
                    for c in json.loads(p.read_text(encoding="utf-8"))["cells"])  # the cells' code, not JSON
    for text in (kit, nbs):
        # codes that are never a data frame's column name: as a key of a literal they would be a label map
        assert not re.search(r"""["'](township|department|soe|regular|lookback|leading_group|secretary|fairly_good|"""
                             r"""talk_inquiry|not_started|in_progress|long_term)["']\s*:\s*["']""", text)
        assert '{"pass": "通过"' not in text and '{"error": "错误"' not in text
    assert default_contract().code_label("problem_status", "rectified") == "已整改"
    assert default_contract().code_label("file_status", "ignored") == "不是台账，已忽略"

