"""Pure value normalisers: cell → text, dates, deadlines, counts, numbers, periods.

Each parser takes the raw cell value (what the reader gave: str, float, int, bool,
date, datetime, time or None) and returns ``(value, problem)``: the typed value or
None, and a short Chinese description of what was expected when the cell is not
empty but does not parse. None of them raises on any input.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re

from pipelines.contract import cn_to_int, nfkc  # noqa: F401 (cn_to_int: also imported from here)

EXCEL_EPOCH = dt.date(1899, 12, 30)
_EMPTY = {"", "—", "-", "--", "——", "/", "\\", "－", "–", "无", "暂无", "null", "none", "nan", "n/a"}
_ZERO_WORDS = {"无", "暂无", "0"}


def cell_text(v: object) -> str:
    """The text a person sees in the cell: floats that are whole print without '.0', dates as ISO."""
    cls = v.__class__
    if cls is str:
        return v.replace("\r\n", "\n").strip() if "\r" in v else v.strip()
    if cls is float:
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        if math.isnan(v) or math.isinf(v):
            return ""
        return repr(v)
    if cls is int:
        return str(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return str(v)
    return str(v).replace("\r\n", "\n").strip()


def is_blank(v: object) -> bool:
    return cell_text(v) == ""


def _safe_date(y: int, m: int, d: int) -> dt.date | None:
    try:
        if not (1900 <= y <= 2100):
            return None
        return dt.date(y, m, d)
    except ValueError:
        return None


def _month_end(y: int, m: int) -> dt.date | None:
    if not (1 <= m <= 12):
        return None
    return _safe_date(y, m, calendar.monthrange(y, m)[1]) if 1900 <= y <= 2100 else None


_DATE_YMD = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_YM = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*月?(?:份)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR_END = re.compile(r"^(\d{4})\s*年?\s*(?:年底|底|年末|末|12月底)\s*(?:前|之前)?$")
_MONTH_END = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(底|末|中旬|上旬|下旬)?\s*(?:前|之前)?$")
_PART_DAY = {"上旬": 10, "中旬": 20}  # the last day of that part of the month (下旬, 底, 末: the month's end)
# 2023年上半年, 2023年第三季度（三季度）: the last day of that part of the year
_YEAR_PART = re.compile(r"^(\d{4})\s*年\s*(上半年|下半年|第?[一二三四1-4]季度)\s*(?:末|底)?\s*(?:前|之前)?$")
_YMD_BEFORE = re.compile(r"^(.+?)\s*(?:前|之前|以前)$")


_TIME_OF_DAY = re.compile(r"(?:[T\s]+|(?<=[日号\d]))\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?\s*$")
_DATE_NOISE = re.compile(r"[(（]?(?:星期|周|礼拜)[一二三四五六日天][)）]?|上午|下午|中午|晚上|早上|凌晨|全天")
_CN_DATE = re.compile(r"^([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月(?:([一二三四五六七八九十]{1,3})[日号])?$")
_CN_YEAR_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")


def _strip_date_noise(s: str) -> str:
    """2021年2月3日上午, 2021.2.3（周三）, 2021-02-03 14:30:00, 2021.02.03., 二〇二一年二月三日 → a plain date text."""
    s = _TIME_OF_DAY.sub("", _DATE_NOISE.sub("", s)).replace(" ", "").rstrip(".。")
    m = _CN_DATE.match(s)
    if m:
        month, day = cn_to_int(m[2]), cn_to_int(m[3]) if m[3] else None
        if month:
            s = f"{m[1].translate(_CN_YEAR_DIGITS)}年{month}月" + (f"{day}日" if day else "")
    return s


def parse_date(v: object, *, month_end: bool = False) -> tuple[dt.date | None, str | None]:
    """Real dates, Excel serials, 2023年5月10日, 2023年5月, 2023.5.10, 2023/05/10, 2023-5-10, 20230510.

    "2023年5月" (no day) gives the first of the month, or its last day with month_end=True.
    """
    expected = "日期（如 2023-05-10、2023年5月10日 或 Excel 日期）"
    if v is None:
        return None, None
    if isinstance(v, dt.datetime):
        return v.date(), None
    if isinstance(v, dt.date):
        return v, None
    if isinstance(v, bool):
        return None, expected
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None, None
        if 1900 <= v < 2100:  # a year (2021) or year.month typed as a number (2021.09), never a day of 1905
            return _year_month_number(v, month_end, expected)
        if FIRST_SERIAL <= v < 80000:
            return EXCEL_EPOCH + dt.timedelta(days=int(v)), None
        return None, expected  # a small number (3, 30) is a count or a typing slip, not a day of 1900
    s = nfkc(str(v)).strip()
    if s.lower() in _EMPTY:
        return None, None
    s = _strip_date_noise(s)
    m = _DATE_YMD.match(s)
    if m:
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        return (d, None) if d else (None, expected)
    m = _DATE_YM.match(s)
    if m:
        y, mo = int(m[1]), int(m[2])
        d = _month_end(y, mo) if month_end else _safe_date(y, mo, 1) if 1 <= mo <= 12 else None
        return (d, None) if d else (None, expected)
    m = _DATE_COMPACT.match(s)
    if m:
        d = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        return (d, None) if d else (None, expected)
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return parse_date(float(s), month_end=month_end)
    return None, expected


FIRST_SERIAL = 18264  # 1950-01-01: an Excel serial below it is no date an inspection ledger records


def _year_month_number(v: float, month_end: bool, expected: str) -> tuple[dt.date | None, str | None]:
    """2021.09 or 2021.3 typed as a number: that month (its first day, or last with month_end). A bare year, and
    2021.1 (Excel drops the 0 of 2021.10, so January and October read the same), are not dates."""
    y = int(v)
    m = round((v - y) * 100)
    if m % 10 == 0:
        m //= 10  # one decimal: 2021.3 is March
        if m == 1:
            return None, expected
    if not 1 <= m <= 12:
        return None, expected
    return (_month_end(y, m) if month_end else dt.date(y, m, 1)), None


DEADLINE_WORDS = ("长期坚持", "立行立改", "持续整改", "长期", "常态化")


def parse_deadline(v: object) -> tuple[dt.date | None, str | None, str | None]:
    """A deadline: a date, or a text term. Returns (date, text_term, problem).

    "2023年底前" → 2023-12-31; "2023年6月底前" → 2023-06-30; "长期坚持" / "立行立改" → text term.
    """
    if v is None:
        return None, None, None
    d, problem = parse_date(v, month_end=True)
    if d or problem is None:
        return d, None, None
    s = nfkc(str(v)).strip().replace(" ", "")
    for w in DEADLINE_WORDS:
        if w in s:
            return None, s, None
    m = _YEAR_END.match(s)
    if m:
        return _safe_date(int(m[1]), 12, 31), s, None
    m = _MONTH_END.match(s)
    if m:
        d = _month_end(int(m[1]), int(m[2]))
        if d and m[3] in _PART_DAY:
            d = d.replace(day=_PART_DAY[m[3]])
        if d:
            return d, s, None
    m = _YEAR_PART.match(s)
    if m:
        part = m[2]
        month = 6 if part == "上半年" else 12 if part == "下半年" else 3 * (cn_to_int(part.strip("第季度")) or 0)
        d = _month_end(int(m[1]), month) if 1 <= month <= 12 else None
        if d:
            return d, s, None
    m = _YMD_BEFORE.match(s)
    if m:
        d, p = parse_date(m[1], month_end=True)
        if d:
            return d, s, None
    return None, s, "整改时限：日期，或“长期坚持”“立行立改”“2023年底前”等"


_PEOPLE = frozenset({"人", "名", "人次"})  # counters of people; the others (件, 个, 条 …) count things
_COUNT_UNIT = re.compile(r"(\d+(?:\.\d+)?)\s*(人次|[件人个条项次起名份例户家]?)")
_NOTE = re.compile(r"\([^()]*\)")  # "3人(其中处级1人)", "3(人)": the bracket is a note
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十]+")
_COUNT_JOINERS = "/、，,;；和及 "


def parse_count(v: object, *, unit: str | None = None) -> tuple[int | None, str | None]:
    """A non-negative whole count: 3, "3", "3人", "2件3人" (→ the 件 figure, or `unit`'s), "无" → 0, "—" → None."""
    expected = "非负整数（如 3 或“3人”）"
    if v is None or isinstance(v, bool):
        return None, None if v is None else expected
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None, None
        if float(v).is_integer():
            return int(v), None
        return None, expected
    s = nfkc(str(v)).strip().replace(",", "")
    if s in _ZERO_WORDS:
        return 0, None
    if s.lower() in _EMPTY:
        return None, None
    if "(" in s:
        s = _NOTE.sub("", s).strip()
    if not s.isascii():
        s = _CN_NUMBER.sub(lambda m: str(n) if (n := cn_to_int(m[0])) is not None else m[0], s)  # 三人
    parts = _COUNT_UNIT.findall(s)
    rest = _COUNT_UNIT.sub("", s).strip(_COUNT_JOINERS)
    if not parts or rest not in ("", "共", "计", "合计"):
        return None, expected
    several = "一个计数（这一格写了几个数，如“2/1”“2人、1人”，不知道是合计还是分项：请只写合计，如 3）"
    if unit:
        same = [num for num, u in parts if u == unit or (u in _PEOPLE and unit in _PEOPLE)]
        if len(same) > 1:
            return None, several
        for num, u in parts:
            if u == unit:
                return (int(float(num)), None) if float(num).is_integer() else (None, expected)
        people = unit in _PEOPLE
        fits = [num for num, u in parts if not u or (u in _PEOPLE) == people]
        if not fits:  # "3人" in a column counted in 件: people are not cases
            return None, f"以“{unit}”计的非负整数（如 3 或“3{unit}”）"
        if len(fits) > 1:
            return None, several
        parts = [(fits[0], "")]
    elif len({u for _num, u in parts}) < len(parts):  # 2件3人 names two things; 2/1 or 2人、1人 two of one
        return None, several
    num = parts[0][0]
    if not float(num).is_integer():
        return None, expected
    return int(float(num)), None


def parse_int(v: object) -> tuple[int | None, str | None]:
    n, p = parse_count(v)
    if p:
        return None, "整数"
    return n, None


def parse_number(v: object) -> tuple[float | None, str | None]:
    """A number: 92.5, "92.5", "92.5分"."""
    expected = "数值（如 92.5）"
    if v is None or isinstance(v, bool):
        return None, None if v is None else expected
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            return None, None
        return float(v), None
    s = nfkc(str(v)).strip().replace(",", "")
    if s.lower() in _EMPTY:
        return None, None
    if "(" in s:
        s = _NOTE.sub("", s).strip()  # "92.5(满分100)"
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*分?", s)
    if m:
        return float(m[1]), None
    return None, expected


_PERIOD_Y = re.compile(r"^(\d{4})\s*年?度?$")
_PERIOD_H = re.compile(r"^(\d{4})\s*年?度?\s*(上|下)半年$")
_PERIOD_Q = re.compile(r"^(\d{4})\s*年?度?\s*第?([一二三四1-4])季度$")


def parse_period(v: object) -> tuple[tuple[str, dt.date, dt.date] | None, str | None]:
    """An assessment period → (label, start, end): 2019, "2019年度", "2020年上半年", "2020年第一季度", "2020年5月"."""
    expected = "评价期间（如 2019、2019年度、2020年上半年）"
    if v is None:
        return None, None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and (math.isnan(v) or not v.is_integer()):
            return None, expected
        v = str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        d = v if isinstance(v, dt.date) and not isinstance(v, dt.datetime) else v.date()
        return (str(d.year), dt.date(d.year, 1, 1), dt.date(d.year, 12, 31)), None
    s = nfkc(str(v)).strip().replace(" ", "")
    if not s or s.lower() in _EMPTY:
        return None, None
    m = _PERIOD_Y.match(s)
    if m and 1900 <= int(m[1]) <= 2100:
        y = int(m[1])
        return (str(y), dt.date(y, 1, 1), dt.date(y, 12, 31)), None
    m = _PERIOD_H.match(s)
    if m and 1900 <= int(m[1]) <= 2100:
        y = int(m[1])
        if m[2] == "上":
            return (f"{y}H1", dt.date(y, 1, 1), dt.date(y, 6, 30)), None
        return (f"{y}H2", dt.date(y, 7, 1), dt.date(y, 12, 31)), None
    m = _PERIOD_Q.match(s)
    if m and 1900 <= int(m[1]) <= 2100:
        y, q = int(m[1]), cn_to_int(m[2])
        start = dt.date(y, 3 * q - 2, 1)
        return (f"{y}Q{q}", start, _month_end(y, 3 * q)), None
    m = _DATE_YM.match(s)
    if m and 1900 <= int(m[1]) <= 2100 and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        return (f"{y}-{mo:02d}", dt.date(y, mo, 1), _month_end(y, mo)), None
    return None, expected


_PERIOD_IN_TEXT = re.compile(r"((?:19|20)\d{2})\s*年?\s*度?\s*(?:上半年|下半年|第?[一二三四1-4]季度)?")


def find_period(text: str) -> tuple[str, dt.date, dt.date] | None:
    """The first assessment period named in a title or sheet name ("2021年度政治生态评价", "2021")."""
    for m in _PERIOD_IN_TEXT.finditer(nfkc(text or "")):
        p, _problem = parse_period(m.group(0).replace(" ", ""))
        if p:
            return p
    return None


_RANGE_WORDS = ("至", "到", "~", "—", "–")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[月./\-]\s*(\d{1,2})\s*[日号]?$")
_DAY = re.compile(r"^(\d{1,2})\s*[日号]$")
_MONTH_ONLY = re.compile(r"^(\d{1,2})\s*月\s*(?:底|末)?$")


def _range_end(text: str, start: dt.date | None) -> dt.date | None:
    d, _ = parse_date(text, month_end=True)
    if d or start is None:
        return d
    m = _MONTH_DAY.match(text)
    if m:
        return _safe_date(start.year, int(m[1]), int(m[2]))
    m = _DAY.match(text)
    if m:
        return _safe_date(start.year, start.month, int(m[1]))
    m = _MONTH_ONLY.match(text)
    return _month_end(start.year, int(m[1])) if m else None


def parse_date_range(v: object) -> tuple[dt.date | None, dt.date | None, str | None]:
    """A period in one cell: "2021年3月15日至4月30日", "2021.8.1-2021.9.15", "2021/3/15~2021/4/30".
    Returns (start, end, problem); a single date gives the start only."""
    expected = "起止日期（如 2021年3月15日至4月30日、2021.8.1-2021.9.15）"
    if v is None or not isinstance(v, str):
        d, problem = parse_date(v)
        return d, None, problem
    s = nfkc(v).strip().replace(" ", "")
    if s.lower() in _EMPTY:
        return None, None, None
    for word in _RANGE_WORDS:
        if word in s:
            left, right = s.split(word, 1)
            start, _ = parse_date(left)
            end = _range_end(right, start)
            return (start, end, None) if start and end and end >= start else (None, None, expected)
    for i, ch in enumerate(s):  # a hyphen between two dates (hyphens may also be inside them)
        if ch == "-" and i:
            start, _ = parse_date(s[:i])
            end = _range_end(s[i + 1:], start) if start else None
            if start and end and end >= start:
                return start, end, None
    d, problem = parse_date(s)
    return (d, None, None) if d else (None, None, expected)
