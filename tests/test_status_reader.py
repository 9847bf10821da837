"""The status phrase reader (status_reading: in contract.yaml) on real report wording, a property that no
negation/hedge/pending marker can leave a phrase rectified or closed, and ledgers without a status column
loaded from real xlsx files (narrative 整改情况, 完成时间 only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.contract import CONFIG_DIR, default_contract, load_contract
from pipelines.contract import _read_yaml as _load_yaml
from pipelines.ingest.build import ingest
from pipelines.metrics import metrics
from tests.conftest import write_xlsx

D = dt.date
LEXICON = Path(__file__).parent / "data" / "status_lexicon.tsv"


def _lexicon() -> list[dict]:
    rows = []
    header = None
    for n, line in enumerate(LEXICON.read_text(encoding="utf-8").splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        rows.append({**dict(zip(header, cells)), "line": n})
    return rows


ROWS = _lexicon()


def test_lexicon_is_large_sourced_and_covers_problems_and_leads():
    assert len(ROWS) >= 200
    by_vocab = {}
    for r in ROWS:
        assert r["source"].strip(), f"line {r['line']}: no source"
        assert r["expected"] == "unknown" or r["expected"] in default_contract().vocabularies[r["vocab"]].codes
        by_vocab.setdefault(r["vocab"], set()).add(r["expected"])
    # every code of both status vocabularies, and unknown, is exercised
    assert by_vocab["problem_status"] >= {"rectified", "in_progress", "not_started", "long_term", "unknown"}
    assert by_vocab["lead_status"] >= {"open", "closed", "unknown"}
    assert sum(r["source"].startswith("http") for r in ROWS) >= 100


def test_every_lexicon_phrase_reads_as_labelled():
    c = default_contract()
    wrong = []
    for r in ROWS:
        got = c.vocabularies[r["vocab"]].lookup(r["phrase"]) or "unknown"
        if got != r["expected"]:
            wrong.append(f"line {r['line']} {r['vocab']} 「{r['phrase']}」: expected {r['expected']}, got {got}")
    assert not wrong, "\n".join(wrong)


def _markers() -> list[str]:
    sr = _load_yaml(CONFIG_DIR / "contract.yaml")["status_reading"]
    return [w for cls in ("negation", "hedge", "pending") for w in sr["markers"][cls]]


# a tick box drawn in the cell ("☑已完成 □未完成") is read without its unticked option, markers and all
POSITIVE = [r for r in ROWS if r["expected"] in ("rectified", "closed") and not any(b in r["phrase"] for b in "□☐")]


@settings(max_examples=400, deadline=None)
@given(row=st.sampled_from(POSITIVE), marker=st.sampled_from(_markers()), where=st.integers(min_value=0))
def test_no_marker_before_a_positive_word_leaves_it_positive(row, marker, where):
    vocab = default_contract().vocabularies[row["vocab"]]
    phrase = row["phrase"]
    words = [w for code, syns in vocab.entries if code in vocab.reading.positive for w in syns if len(w) >= 2]
    spots = sorted({0} | {i for w in words for i in range(len(phrase)) if phrase.startswith(w, i)})
    i = spots[where % len(spots)]
    text = phrase[:i] + marker + phrase[i:]
    assert vocab.lookup(text) not in vocab.reading.positive, text


def test_which_vocabularies_are_read_is_the_contracts_choice():
    c = default_contract()
    read = {name for name, v in c.vocabularies.items() if v.reading is not None}
    assert read == set(_load_yaml(CONFIG_DIR / "contract.yaml")["status_reading"]["vocabularies"])
    # a vocabulary with a fallback keeps contains-matching and its fallback
    assert c.vocabularies["category"].lookup("其他方面的问题") == "other"
    assert c.vocabularies["category"].lookup("落实全面从严治党主体责任不到位") == "duty"


def test_a_contract_naming_an_unknown_code_is_refused_in_chinese(tmp_path):
    text = (CONFIG_DIR / "contract.yaml").read_text(encoding="utf-8").replace(
        "      negation: not_started\n", "      negation: finished\n", 1)
    bad = tmp_path / "contract.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="不是词表 problem_status 中的代码"):
        load_contract(bad)


def test_added_words_take_effect_and_guess_is_only_a_guess(tmp_path):
    from pipelines.contract import build_contract, read_contract_dict, read_settings

    c = load_contract()
    v = c.vocabularies["problem_status"]
    assert v.lookup("已办毕") is None  # memoised as unknown in this contract …
    raw = read_contract_dict(CONFIG_DIR / "contract.yaml")  # … a county's contract that adds the words
    raw["vocabularies"]["problem_status"]["rectified"] = [*raw["vocabularies"]["problem_status"]["rectified"], "办毕"]
    raw["vocabularies"]["problem_status"]["suspended"] = ["暂缓整改"]
    w = build_contract(raw, read_settings([CONFIG_DIR / "settings.yaml"]), "with 办毕".encode()).vocabularies["problem_status"]
    assert w.lookup("已办毕") == "rectified"  # the other contract's memo does not answer for this one
    assert w.lookup("尚未办毕") == "not_started"  # the reader applies its markers to the new positive word
    assert w.codes[-1] == "suspended" and w.lookup("暂缓整改") == "suspended"
    assert v.lookup("已办毕") is None  # and the first contract is unchanged (configuration is frozen)
    with pytest.raises(AttributeError):
        v.entries = []
    # an unknown phrase stays unknown for loading; guess offers the reader's lenient reading or a close word
    far = "未能按照时限要求在规定的期限内全部完成"
    assert v.lookup(far) is None and v.guess(far) == "not_started"
    assert v.guess("已整该") == "rectified"  # a typo of 已整改
    assert v.guess("见附件") is None


# --- ledgers without a status column, on real xlsx files -------------------------------------------------

NARRATIVE = [
    # wording after the reports cited in tests/data/status_lexicon.tsv
    ["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "整改落实情况"],
    [1, "县财政局", "传达学习不及时", "专题学习", D(2019, 8, 1), "已完成整改，并建立长效机制。"],
    [2, "县财政局", "三会一课不规范", "规范记录", D(2019, 8, 1), "已于2019年7月10日完成整改"],
    [3, "县财政局", "资金使用不规范", "追回资金", D(2019, 8, 1), "已完成整改，但部分资金尚未追回"],
    [4, "清泉镇", "台账不全", "补齐台账", D(2019, 8, 1), "未能按期完成，正在整改"],
    [5, "清泉镇", "制度不健全", "修订制度", D(2019, 8, 1), "基本完成，待销号"],
    [6, "清泉镇", "项目推进慢", "加快推进", "长期坚持", "已整改到位，长期坚持"],
    [7, "清泉镇", "公车管理不严", "规范管理", D(2019, 8, 1), "针对制度不健全问题，已修订制度3项"],
    [8, "清泉镇", "会议记录不全", "补齐记录", D(2019, 8, 1), None],
]


def _q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_narrative_only_ledger_counts_only_what_it_says_and_shows_unknowns(registers, tmp_path):
    write_xlsx(registers / "十四届县委第一轮巡察" / "整改落实情况.xlsx", {"整改": NARRATIVE})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["rows_quarantined"] == 0 and s["loaded_by_kind"]["problems"] == 8, s
    got = _q(db, "SELECT problem_no, status, status_source FROM stg_problems ORDER BY src_row")
    assert got == [
        ("1", "rectified", "narrative"), ("2", "rectified", "narrative"), ("3", "in_progress", "narrative"),
        ("4", "in_progress", "narrative"), ("5", "in_progress", "narrative"), ("6", "long_term", "narrative"),
        ("7", None, None), ("8", None, None),
    ]
    # the unread sentence is kept as written and reported; the empty one is reported as missing
    assert _q(db, "SELECT status_raw FROM stg_problems WHERE problem_no = '7'") == [("针对制度不健全问题，已修订制度3项",)]
    m = metrics(db, D(2019, 12, 31))
    assert (m["problems_total"], m["problems_rectified"], m["problems_status_unknown"]) == (8, 2, 2)
    assert m["rectification_rate"] == 2 / 8
    # counted apart, never in a numerator: overdue counts only known not-done problems (3, 4, 5)
    assert m["problems_overdue"] == 3


def test_ledger_with_only_a_completion_date_derives_status_from_the_date(registers, tmp_path):
    rows = [["序号", "被巡察单位", "问题描述", "整改措施", "整改时限", "完成时间"],
            [1, "县财政局", "甲", "措施", D(2019, 8, 1), D(2019, 7, 1)],
            [2, "县财政局", "乙", "措施", D(2019, 8, 1), "2020年1月15日"],
            [3, "清泉镇", "丙", "措施", D(2019, 8, 1), None]]
    write_xlsx(registers / "十四届县委第一轮巡察" / "问题清单.xlsx", {"清单": rows})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["rows_quarantined"] == 0 and s["loaded_by_kind"]["problems"] == 3, s
    assert _q(db, "SELECT problem_no, status, status_raw, status_source, rectified_date FROM stg_problems "
                  "ORDER BY src_row") == [
        ("1", "rectified", None, "date", D(2019, 7, 1)),
        ("2", "rectified", None, "date", D(2020, 1, 15)),
        ("3", None, None, None, None),
    ]
    # a completion date after the as-of date is not rectified yet at that date
    m = metrics(db, D(2019, 12, 31))
    assert (m["problems_total"], m["problems_rectified"], m["problems_status_unknown"]) == (3, 1, 1)
    assert metrics(db, D(2020, 6, 30))["problems_rectified"] == 2


def test_status_column_wins_over_the_date_and_sources_are_recorded(registers, tmp_path):
    rows = [["序号", "被巡察单位", "问题描述", "整改时限", "整改状态", "完成时间"],
            [1, "县财政局", "甲", D(2019, 8, 1), "已完成", D(2019, 7, 1)],
            [2, "县财政局", "乙", D(2019, 8, 1), "未完成", D(2019, 7, 1)],
            [3, "县财政局", "丙", D(2019, 8, 1), None, D(2019, 7, 2)],
            [4, "县财政局", "丁", D(2019, 8, 1), "待销号", None],
            [5, "县财政局", "戊", D(2019, 8, 1), "见附件", D(2019, 7, 3)]]
    leads = [["线索编号", "巡察轮次", "被巡察单位", "移交单位", "办理情况", "办结时间"],
             ["L1", "十四届县委第一轮巡察", "县财政局", "县纪委监委", "经初核，予以了结", D(2019, 9, 1)],
             ["L2", "十四届县委第一轮巡察", "县财政局", "县纪委监委", "已立案审查", None],
             ["L3", "十四届县委第一轮巡察", "县财政局", "县纪委监委", None, D(2019, 10, 1)],
             ["L4", "十四届县委第一轮巡察", "县财政局", "县纪委监委", "拟予以了结", None],
             ["L5", "十四届县委第一轮巡察", "县财政局", "县纪委监委", None, None]]
    write_xlsx(registers / "十四届县委第一轮巡察" / "台账.xlsx", {"问题": rows, "线索": leads})
    db = tmp_path / "wh.duckdb"
    s = ingest(registers, db)
    assert s["rows_quarantined"] == 0, s
    assert _q(db, "SELECT problem_no, status, status_source FROM stg_problems ORDER BY src_row") == [
        ("1", "rectified", "column"), ("2", "not_started", "column"), ("3", "rectified", "date"),
        ("4", "in_progress", "column"), ("5", None, None)]  # an unreadable word is not rescued by the date
    assert _q(db, "SELECT lead_no, status, status_source FROM stg_leads ORDER BY src_row") == [
        ("L1", "closed", "narrative"), ("L2", "open", "narrative"), ("L3", "closed", "date"),
        ("L4", "open", "narrative"), ("L5", None, None)]
    m = metrics(db, D(2019, 12, 31))
    assert (m["leads_transferred"], m["leads_closed"], m["leads_status_unknown"]) == (5, 2, 1)
    assert (m["problems_total"], m["problems_rectified"], m["problems_status_unknown"]) == (5, 2, 1)


def test_validation_reports_unread_and_missing_statuses_at_their_rows(registers, tmp_path):
    from pipelines.validate.run import validate

    rel = "十四届县委第一轮巡察/整改落实情况.xlsx"
    write_xlsx(registers / rel, {"整改": NARRATIVE})
    db = tmp_path / "wh.duckdb"
    ingest(registers, db)
    result = validate(db, tmp_path / "out")
    hits = {(f["rule"], f["file"], f["sheet"], f["row"]) for f in result["findings"]
            if f["rule"] in ("vocab_problems_status", "status_missing_problems")}
    # item 7 (Excel row 8) has a sentence without a state; item 8 (row 9) has nothing at all
    assert hits == {("vocab_problems_status", rel, "整改", 8), ("status_missing_problems", rel, "整改", 9)}
