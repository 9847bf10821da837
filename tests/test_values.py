import datetime as dt

import pytest

from pipelines.ingest import values as V

D = dt.date


@pytest.mark.parametrize("raw,expected", [
    (D(2023, 5, 10), D(2023, 5, 10)),
    (dt.datetime(2023, 5, 10, 8, 30), D(2023, 5, 10)),
    (45056.0, D(2023, 5, 10)),
    (45056, D(2023, 5, 10)),
    ("45056", D(2023, 5, 10)),
    ("2023年5月10日", D(2023, 5, 10)),
    ("2023 年 5 月 10 日", D(2023, 5, 10)),
    ("2023年5月", D(2023, 5, 1)),
    ("2023.5.10", D(2023, 5, 10)),
    ("2023/05/10", D(2023, 5, 10)),
    ("2023-5-10", D(2023, 5, 10)),
    ("２０２３－０５－１０", D(2023, 5, 10)),
    ("20230510", D(2023, 5, 10)),
    ("2023年5月10日上午", D(2023, 5, 10)),
    ("2023年5月10日下午3:00", D(2023, 5, 10)),
    ("2023.5.10（周三）", D(2023, 5, 10)),
    ("2023/5/10 星期三", D(2023, 5, 10)),
    ("2023-05-10 14:30:00", D(2023, 5, 10)),
    ("2023-05-10T14:30", D(2023, 5, 10)),
    ("2023.05.10.", D(2023, 5, 10)),
    ("二〇二三年五月十日", D(2023, 5, 10)),
    ("二〇二三年十二月", D(2023, 12, 1)),
])
def test_dates_in_every_form(raw, expected):
    assert V.parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw, expected", [(2021.09, D(2021, 9, 1)), (2021.11, D(2021, 11, 1)), (2021.3, D(2021, 3, 1)),
                                           (44519, D(2021, 11, 19))])
def test_a_year_month_typed_as_a_number_is_that_month_not_a_day_of_1905(raw, expected):
    # 进驻时间 2021.09 in a cell Excel stores as the number 2021.09 (a published 巡察安排表's way of writing it)
    assert V.parse_date(raw) == (expected, None)


@pytest.mark.parametrize("raw", [2021, 2021.1, 2021.13, 3, 30.0])
def test_a_number_that_is_no_date_is_a_finding(raw):
    # 2021.1: Excel keeps 2021.10 as 2021.1, so January and October cannot be told apart
    d, problem = V.parse_date(raw)
    assert d is None and "日期" in problem


@pytest.mark.parametrize("raw", ["2023年13月5日", "2023-02-30", "明年", "abc", True])
def test_bad_dates_say_what_was_expected(raw):
    d, problem = V.parse_date(raw)
    assert d is None and "日期" in problem


@pytest.mark.parametrize("raw", [None, "", "—", "/", "无"])
def test_empty_dates_are_not_findings(raw):
    assert V.parse_date(raw) == (None, None)


@pytest.mark.parametrize("raw,date,term", [
    ("长期坚持", None, "长期坚持"),
    ("立行立改", None, "立行立改"),
    ("2023年底前", D(2023, 12, 31), "2023年底前"),
    ("2023年6月底前", D(2023, 6, 30), "2023年6月底前"),
    ("2023年6月", D(2023, 6, 30), None),
    (D(2023, 1, 5), D(2023, 1, 5), None),
    # part of a month or of a year, as rectification plans write them ("2023年5月上旬前完成", "上半年"): the
    # last day of that part; 上旬 read as the month's end would hide three weeks of being overdue
    ("2023年5月上旬", D(2023, 5, 10), "2023年5月上旬"),
    ("2023年5月中旬前", D(2023, 5, 20), "2023年5月中旬前"),
    ("2023年5月下旬", D(2023, 5, 31), "2023年5月下旬"),
    ("2023年上半年", D(2023, 6, 30), "2023年上半年"),
    ("2023年下半年", D(2023, 12, 31), "2023年下半年"),
    ("2023年第三季度", D(2023, 9, 30), "2023年第三季度"),
    ("2023年一季度末前", D(2023, 3, 31), "2023年一季度末前"),
])
def test_deadlines(raw, date, term):
    d, t, problem = V.parse_deadline(raw)
    assert (d, t, problem) == (date, term, None)


def test_deadline_garbage_is_a_finding():
    d, t, problem = V.parse_deadline("看情况")
    assert d is None and problem
    assert V.parse_deadline("2023年第五季度")[2]  # no such quarter


@pytest.mark.parametrize("raw,unit,expected", [
    (3, None, 3), (3.0, None, 3), ("3", None, 3), ("3人", None, 3), ("2件3人", "件", 2), ("2件3人", "人", 3),
    ("无", None, 0), ("—", None, None), ("/", None, None), ("12个", None, 12), ("1,200", None, 1200),
    ("三人", None, 3), ("十二个", None, 12), ("两人", None, 2), ("3（人）", None, 3), ("3人（其中处级1人）", None, 3),
    ("2件/3人", "人", 3), ("2件、3人", "件", 2), ("3人次", None, 3), ("共3例", None, 3),
])
def test_counts(raw, unit, expected):
    assert V.parse_count(raw, unit=unit) == (expected, None)


@pytest.mark.parametrize("raw,unit", [("3人", "件"), ("3名", "件"), ("3件", "人"), ("2个", "人")])
def test_a_count_of_people_is_no_count_of_cases(raw, unit):
    # "3人" under 移交问题线索（件）: the persons involved, not the leads; a finding, not 3 leads
    n, problem = V.parse_count(raw, unit=unit)
    assert n is None and f"“{unit}”" in problem


def test_any_counter_of_things_fits_a_column_of_things():
    assert V.parse_count("3个", unit="件") == (3, None) and V.parse_count("3条", unit="件") == (3, None)


@pytest.mark.parametrize("raw,unit", [("2/1", None), ("2/1", "人"), ("2人、1人", "人"), ("2人、1人", None),
                                      ("3人，2名", "人"), ("1件 2件", "件")])
def test_several_counts_of_one_thing_in_a_cell_are_asked_not_cut_to_the_first(raw, unit):
    # 处分人数 "2/1" or "2人、1人" (probed: read as 2, silently): a sum or a breakdown, the cell does not say
    n, problem = V.parse_count(raw, unit=unit)
    assert n is None and "几个数" in problem


@pytest.mark.parametrize("raw", ["约3人", "2.5", "很多", "-3x", "第一批3人"])
def test_bad_counts(raw):
    n, problem = V.parse_count(raw)
    assert n is None and problem


def test_cell_text_keeps_text_ids_and_prints_whole_floats():
    assert V.cell_text("0123") == "0123"
    assert V.cell_text(3.0) == "3"
    assert V.cell_text(2.5) == "2.5"
    assert V.cell_text(D(2020, 1, 2)) == "2020-01-02"


@pytest.mark.parametrize("raw,label", [
    (2019, "2019"), ("2019年度", "2019"), ("2020年上半年", "2020H1"), ("2020年第一季度", "2020Q1"), ("2020年5月", "2020-05"),
])
def test_periods(raw, label):
    p, problem = V.parse_period(raw)
    assert problem is None and p[0] == label and p[1] <= p[2]


def test_chinese_numerals():
    assert [V.cn_to_int(s) for s in ["三", "十", "十二", "二十一", "7"]] == [3, 10, 12, 21, 7]


@pytest.mark.parametrize("vocab,word,code", [
    ("problem_status", "部分完成", "in_progress"), ("problem_status", "未开始", "not_started"),
    ("problem_status", "未销号", "not_started"), ("problem_status", "已销号", "rectified"),
    ("problem_status", "已完成阶段性目标", "long_term"), ("problem_status", "未完成整改", "not_started"),
    ("lead_status", "未结", "open"), ("lead_status", "已处理", "closed"), ("lead_status", "未办结", "open"),
    ("round_kind", "村级巡察", "extension"), ("round_kind", "专项巡察回头看", "lookback"),
    ("unit_type", "街道", "township"), ("unit_type", "垂管单位", "department"), ("disposal", "初核", "preliminary_verification"),
])
def test_vocabulary_words_seen_in_other_counties_ledgers(vocab, word, code):
    from pipelines.contract import default_contract

    assert default_contract().vocabularies[vocab].lookup(word) == code


@pytest.mark.parametrize("raw,start,end", [
    ("2021年3月15日至4月30日", D(2021, 3, 15), D(2021, 4, 30)),
    ("2021.8.1-2021.9.15", D(2021, 8, 1), D(2021, 9, 15)),
    ("2021-03-15-2021-04-30", D(2021, 3, 15), D(2021, 4, 30)),
    ("2021/3/15～2021/4/30", D(2021, 3, 15), D(2021, 4, 30)),
    ("2021年3月15日-30日", D(2021, 3, 15), D(2021, 3, 30)),
    ("2021年3月15日—5月", D(2021, 3, 15), D(2021, 5, 31)),
    ("2021.3.15", D(2021, 3, 15), None),
])
def test_date_ranges_in_one_cell(raw, start, end):
    assert V.parse_date_range(raw) == (start, end, None)


@pytest.mark.parametrize("raw", ["3月至4月", "2021.8.1-2021.7.15", "上半年"])
def test_bad_date_ranges_say_what_was_expected(raw):
    start, end, problem = V.parse_date_range(raw)
    assert start is None and end is None and "起止日期" in problem
