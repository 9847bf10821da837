"""Header search passes over candidate rows that cannot beat the header already found (structure._upper_bound);
the bound must never pass over one that could: with it and without it every sheet gets the same header."""

from __future__ import annotations

import math

from pipelines.contract import load_contract
from pipelines.ingest import structure as ST
from pipelines.ingest.read import read_file
from tests.conftest import write_xlsx

# two-row headers (the layouts of tests/test_ingest_messy.py): a group cell merged over its sub headers, the
# cells beside it merged down, and the first data row right under the sub headers
PROBLEMS = [
    ["十四届县委第二轮巡察反馈问题整改台账"],
    ["序 号", "被巡察\n单位", "问题\n描述", "整改落实情况", None, None, "责任人（签字）"],
    [None, None, None, "整改措施", "整改情况", "完成时间", None],
    [1, "山丹县教育局", "违规收费", "清退", "已整改", 43800, "王五"],
    [2, "山丹县财政局", "会议记录不全", "补记", "整改中", None, "李四"],
]
# a group cell whose sub headers say nothing alone: 整改 over 时限 and 进展 are the columns 整改时限 and 整改进展,
# beside columns merged down that already make a header on their own
GROUP_ONLY_WITH_SUB = [
    ["问题整改台账"], ["序号", "被巡察单位", "问题描述", "整改措施", "整改", None, "责任人"],
    [None, None, None, None, "时限", "进展", None],
    [1, "山丹县教育局", "违规收费", "清退", "2019-12-01", "已整改", "王五"],
    [2, "山丹县财政局", "会议记录不全", "补记", "2020-01-01", "整改中", "李四"]]
GROUP_ONLY_MERGES = ["E2:F2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "G2:G3"]
WIDE = [["2021年度政治生态建设评价得分表"], ["序号", "单位", "政治生态", None, None, "总得分", "评价等次"],
        [None, None, "政治建设（30分）", "作风建设（30分）", "纪律建设（40分）", None, None],
        [1, "县财政局", 28, 27.5, 36, 91.5, "好（优秀）"],
        [2, "清泉镇", 25, "24分", 30, None, None]]


def _workbooks(demo_dir, tmp_path) -> list:
    """The demo's ledgers and one workbook of the two-row layouts above (a real xlsx, merged cells included)."""
    two = write_xlsx(tmp_path / "两行表头.xlsx", {"整改": PROBLEMS, "分组": GROUP_ONLY_WITH_SUB, "生态": WIDE},
                     merges={"整改": ["D2:F2", "A2:A3", "B2:B3", "C2:C3", "G2:G3", "A1:G1"],
                             "分组": GROUP_ONLY_MERGES,
                             "生态": ["C2:E2", "A2:A3", "B2:B3", "F2:F3", "G2:G3", "A1:G1"]})
    return [*sorted(p for p in demo_dir.rglob("*") if p.suffix in (".xlsx", ".xls", ".csv")), two]


def _guess(g):
    return None if g is None else (g.kind, g.row, g.n_rows, tuple(g.texts), tuple(sorted(g.mapping.items())),
                                   round(g.score, 6))


def test_passing_over_candidates_that_cannot_win_changes_no_header(demo_dir, tmp_path, monkeypatch):
    c = load_contract()
    files = _workbooks(demo_dir, tmp_path)
    sheets = [sh for p in files for sh in read_file(p)]
    evaluated = []
    real = ST._evaluate
    monkeypatch.setattr(ST, "_evaluate", lambda *a: evaluated.append(a) or real(*a))
    got = [_guess(ST.find_header(sh, c)) for sh in sheets]
    with_bound = len(evaluated)
    monkeypatch.setattr(ST, "_upper_bound", lambda *a: math.inf)  # nothing passed over
    evaluated.clear()
    want = [_guess(ST.find_header(sh, c)) for sh in sheets]
    assert got == want
    assert with_bound < len(evaluated)  # the bound did pass candidates over
    assert sum(1 for g in got if g is not None) > 20
    assert got[-2][:3] == ("problems", 2, 2) and "整改时限" in got[-2][3]  # the group cell over its subs


def test_the_bound_is_never_below_a_score_any_kind_gives(demo_dir, tmp_path, monkeypatch):
    """Wherever header search consults the bound, no kind scores the candidate above it (the period in a title
    can only make more kinds count, so the candidate is scored with it)."""
    c = load_contract()
    files = _workbooks(demo_dir, tmp_path)
    real_bound, real_eval = ST._upper_bound, ST._evaluate
    checked = {"one": 0, "two": 0}

    def bound(contract, ntop, pair):
        b = real_bound(contract, ntop, pair)
        scores = [sc + (0.01 if pair is not None else 0) for *_, sc in
                  real_eval(contract, ntop, pair, 1 if pair is None else 2, frozenset({"period"}), None)]
        assert b >= max(scores, default=0) - 1e-9, (ntop, pair, b, scores)
        checked["one" if pair is None else "two"] += 1
        return b

    monkeypatch.setattr(ST, "_upper_bound", bound)
    for p in files:
        for sh in read_file(p):
            ST.find_header(sh, c)
    assert checked["one"] > 50 and checked["two"] > 50, checked
