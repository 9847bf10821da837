"""Write a World as the messy spreadsheets a county inspection office really receives.

Every messiness item of DATA_CONTRACT section 3 appears somewhere: title rows, merged
cells, two-row headers, header variants, sub-heading rows, footers, mixed date forms,
numbers as text, unit-name variants, a GBK CSV, a byte-identical copy, an unclassified
sheet, text IDs with leading zeros, and a handful of planted bad rows. The writer
records the ground truth (rows per kind, planted bad rows) as it goes.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipelines.demo.world import CATEGORY_HEADINGS, CATEGORY_WORDS, DIMENSIONS, World

D = dt.date
FIXED_ZIP_TIME = (2020, 6, 30, 0, 0, 0)
CN_NUM = "一二三四五六七八九十"
STATUS_WORDS = {"rectified": ["已完成", "已整改", "整改完成", "已销号"], "in_progress": ["整改中", "正在推进", "基本完成"],
                "long_term": ["长期坚持", "持续整改"], "not_started": ["未整改", "未启动"]}


@dataclass
class Truth:
    rows_by_kind: dict[str, int] = field(default_factory=dict)
    bad_rows: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)
    unclassified: list[dict] = field(default_factory=list)
    messiness: dict[str, list[str]] = field(default_factory=dict)
    personal: set[str] = field(default_factory=set)  # every personal value written (must never reach a default page)

    def add(self, kind: str, n: int = 1) -> None:
        self.rows_by_kind[kind] = self.rows_by_kind.get(kind, 0) + n

    def mess(self, item: str, where: str) -> None:
        self.messiness.setdefault(item, [])
        if where not in self.messiness[item]:
            self.messiness[item].append(where)


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save an openpyxl workbook with fixed timestamps, so the same seed gives the same bytes."""
    buf = io.BytesIO()
    wb.properties.creator = "xuncha demo"
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"<dcterms:(created|modified)([^>]*)>[^<]*</dcterms:\1>",
                              rb"<dcterms:\1\2>2020-06-30T00:00:00Z</dcterms:\1>", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(zi, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


class Sheet:
    """A worksheet being written row by row, remembering Excel row numbers."""

    def __init__(self, ws, width: int):
        self.ws, self.width, self.r = ws, width, 0

    def title(self, text: str) -> None:
        self.r += 1
        self.ws.cell(self.r, 1, text).font = Font(bold=True, size=14)
        self.ws.cell(self.r, 1).alignment = Alignment(horizontal="center")
        if self.width > 1:
            self.ws.merge_cells(start_row=self.r, start_column=1, end_row=self.r, end_column=self.width)

    def row(self, values: list) -> int:
        self.r += 1
        for c, v in enumerate(values, start=1):
            if v is not None:
                self.ws.cell(self.r, c, v)
        return self.r

    def merge_down(self, col: int, first: int, last: int) -> None:
        """Vertically merge column `col` (1-based) over rows first..last, keeping only the top value."""
        if last > first:
            for r in range(first + 1, last + 1):
                self.ws.cell(r, col).value = None
            self.ws.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)

    def merge_runs(self, col: int, first: int, keys: list) -> None:
        """Vertically merge column `col` over each run of equal keys, the rows written from `first` on."""
        start = 0
        for i in range(1, len(keys) + 1):
            if i == len(keys) or keys[i] != keys[start]:
                self.merge_down(col, first + start, first + i - 1)
                start = i

    def merge_across(self, row: int, c0: int, c1: int) -> None:
        self.ws.merge_cells(start_row=row, start_column=c0, end_row=row, end_column=c1)


def _date_forms(d: D, style: str, rng: random.Random):
    """A date written the many ways real ledgers write it."""
    if d is None:
        return None
    if style == "excel":
        return d
    if style == "serial":
        return (d - D(1899, 12, 30)).days
    if style == "cn":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "dot":
        return f"{d.year}.{d.month}.{d.day}"
    if style == "slash":
        return f"{d.year}/{d.month:02d}/{d.day:02d}"
    if style == "dash":
        return f"{d.year}-{d.month}-{d.day}"
    if style == "mixed":
        return _date_forms(d, rng.choice(["excel", "cn", "dot", "slash", "dash"]), rng)
    raise ValueError(style)


def _deadline(dl, style: str, rng: random.Random):
    if isinstance(dl, D):
        if style != "excel" and rng.random() < 0.08 and dl.month == 12 and dl.day == 31:
            return f"{dl.year}年底前"
        return _date_forms(dl, style, rng)
    return dl


class Writer:
    def __init__(self, world: World, root: Path, seed: int, messy: bool = True):
        self.w, self.root, self.messy, self.seed = world, root, messy, seed
        self.rng = random.Random(seed + 1)
        self.t = Truth()
        self.units = {u.name: u for u in world.units}
        self.rounds = {r.name: r for r in world.rounds}
        self.county = world.county
        self.exact_names = False  # multi-county corpora write register names only (short forms would collide)

    # ---------------------------------------------------------------- helpers
    def _wb(self) -> Workbook:
        wb = Workbook()
        wb.remove(wb.active)
        return wb

    def _save(self, wb: Workbook, rel: str) -> None:
        save_deterministic(wb, self.root / rel)
        self.t.files.append(rel)

    def _bad(self, rel: str, sheet: str, row: int, reason: str, kind: str) -> None:
        self.t.bad_rows.append({"file": rel, "sheet": sheet, "row": row, "kind": kind, "reason": reason})

    def variant(self, unit_name: str) -> str:
        """A written form of a unit's name: 县财政局 / 山丹县财政局 / 中共山丹县财政局党组 / 财政局."""
        u = self.units[unit_name]
        if not self.messy or self.exact_names:
            return u.name
        if u.code in ("village", "community"):
            return u.name
        if u.code == "township":
            return self.rng.choice([u.name, u.name + "党委", "中共" + u.name + "委员会"])
        short = u.short
        forms = [u.name, short]
        if short.startswith("县") and not short.startswith("县委"):
            forms += [short[1:], "中共" + self.county + short[1:] + "党组"]
        return self.rng.choice(forms)

    def _status_text(self, status: str) -> str:
        return self.rng.choice(STATUS_WORDS[status]) if self.messy else STATUS_WORDS[status][0]

    def _title(self, sh: Sheet, text: str, where: str) -> None:
        if self.messy:
            sh.title(text)
            self.t.mess("title_rows", where)

    def _footer(self, sh: Sheet, where: str) -> None:
        if self.messy:
            sh.row([])
            sh.row(["填表人：李明          审核人：王芳          联系电话：0936-2812345"])
            sh.row(["注：本表由被巡察单位填报，县委巡察办汇总。"])
            self.t.mess("footer_rows", where)

    # ---------------------------------------------------------------- registers
    def registers(self) -> None:
        rel = "基础台账/党组织名册.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("党组织名册")
        sh = Sheet(ws, 5)
        self._title(sh, f"{self.county}党组织名册", rel)
        sh.row(["序号", "单位名称", "单位类别", "简称", "是否纳入巡察范围"])
        n = 0
        for u in self.w.units:
            if u.code in ("village", "community"):
                continue
            n += 1
            aliases = u.short if u.short != u.name else None
            if aliases and u.code == "department" and self.messy and n % 3 == 0:
                aliases = f"{u.short}、{u.short[1:]}" if u.short.startswith("县") and not u.short.startswith("县委") \
                    else aliases
            sh.row([n, u.name, u.unit_type, aliases, "是"])
            self.t.add("units")
        ws2 = wb.create_sheet("村（社区）")
        sh2 = Sheet(ws2, 4)
        self._title(sh2, f"{self.county}村（社区）党组织名册", rel)
        sh2.row(["序号", "所属乡镇", "党组织名称", "类别"])
        n = 0
        vill = sorted([u for u in self.w.units if u.code in ("village", "community")], key=lambda u: u.parent)
        first = sh2.r + 1
        for u in vill:
            n += 1
            sh2.row([n, u.parent, u.name, u.unit_type])
            self.t.add("units")
        if self.messy:
            sh2.merge_runs(2, first, [u.parent for u in vill])
            self.t.mess("merged_cells", f"{rel}「村（社区）」")
        if self.messy:
            ws3 = wb.create_sheet("填报说明")
            ws3["A1"] = "填报说明"
            ws3["A2"] = "1. 本名册由县委组织部、县委巡察办共同维护，单位名称以机构编制部门核定为准。"
            ws3["A3"] = "2. 村（社区）党组织不纳入县委常规巡察范围，通过延伸巡察覆盖。"
            self.t.unclassified.append({"file": rel, "sheet": "填报说明"})
        self._save(wb, rel)

        rel = "基础台账/巡察轮次登记表.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("巡察轮次")
        sh = Sheet(ws, 7)
        self._title(sh, f"中共{self.county}委巡察轮次登记表", rel)
        sh.row(["轮次名称", "巡察类型", "巡察主体", "巡察重点", "进驻时间", "撤离时间", "反馈时间"])
        styles = ["excel", "cn", "dot", "slash", "dash", "serial"]
        for i, r in enumerate(self.w.rounds):
            st = styles[i % len(styles)] if self.messy else "excel"
            sh.row([r.name, r.kind_text, r.level, r.topic, _date_forms(r.start, st, self.rng),
                    _date_forms(r.end, st, self.rng), _date_forms(r.feedback, st, self.rng)])
            self.t.add("rounds")
        self.t.mess("mixed_date_formats", rel)
        self._save(wb, rel)

        rel = "基础台账/监督重点细化清单.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("监督重点清单")
        sh = Sheet(ws, 3)
        self._title(sh, f"{self.county}“四个紧盯”“三个聚焦”监督重点细化清单", rel)
        sh.row(["序号", "类别", "监督重点"])
        first = sh.r + 1
        for no, focus, content in self.w.checklist:
            sh.row([no, focus, content])
            self.t.add("checklist")
        if self.messy:
            sh.merge_runs(2, first, [focus for _, focus, _ in self.w.checklist])
        self._footer(sh, rel)
        self._save(wb, rel)

        rel = "基础台账/会议台账.csv"
        lines = ["会议时间,会议名称,议题"]
        for d, mt, topic in self.w.meetings:
            ds = _date_forms(d, "cn" if self.rng.random() < 0.5 else "dash", self.rng)
            lines.append(f"{ds},{mt},{topic}")
            self.t.add("meetings")
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
        self.t.files.append(rel)
        self.t.mess("gbk_csv", rel)

    # ---------------------------------------------------------------- inspections
    def inspections(self) -> None:
        by_round: dict[str, list] = {}
        for rn, un, g in self.w.inspections:
            by_round.setdefault(rn, []).append((un, g))
        city = [r for r in self.w.rounds if r.level == "市委"]
        for r in self.w.rounds:
            if r.level == "市委":
                continue
            rel = f"{r.folder}/被巡察单位名单.xlsx"
            wb = self._wb()
            ws = wb.create_sheet("名单")
            sh = Sheet(ws, 5)
            sh.title(f"{r.name}被巡察单位名单")  # the round comes from this title
            sh.row(["序号", "巡察组", "被巡察单位", "进驻时间", "反馈时间"])
            rows = sorted(by_round.get(r.name, []), key=lambda x: x[1])
            first = sh.r + 1
            for i, (un, g) in enumerate(rows):
                sh.row([i + 1, g, self.variant(un), _date_forms(r.start, "excel", self.rng),
                        _date_forms(r.feedback, "excel", self.rng)])
                self.t.add("inspections")
            if self.messy:
                sh.merge_runs(2, first, [g for _, g in rows])
            if r.ordinal == 4 and self.messy:
                rr = sh.row([len(rows) + 1, "第三巡察组", "县旅游局", None, None])
                self._bad(rel, "名单", rr, "unknown_unit: 县旅游局 is not in the unit register", "inspections")
            self._save(wb, rel)
        rel = "市委巡察/市委巡察被巡察单位名单.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("Sheet1")
        sh = Sheet(ws, 4)
        sh.row(["巡察轮次", "被巡察单位", "巡察组", "进驻时间"])
        for r in city:
            for un, g in by_round.get(r.name, []):
                sh.row([r.name, self.units[un].name, g, _date_forms(r.start, "cn", self.rng)])
                self.t.add("inspections")
        self._save(wb, rel)

    # ---------------------------------------------------------------- problems
    def _problem_groups(self):
        by_round: dict[str, list] = {}
        for p in self.w.problems:
            by_round.setdefault(p.round, []).append(p)
        return by_round

    def problems(self) -> None:
        groups = self._problem_groups()
        layouts = {1: self._problems_by_category, 2: self._problems_sheet_per_unit, 3: self._problems_csv,
                   4: self._problems_two_row_header, 5: self._problems_ids, 6: self._problems_by_category}
        for r in self.w.rounds:
            ps = groups.get(r.name, [])
            if not ps:
                continue
            if r.level == "市委":
                continue
            if not self.messy:
                self._problems_plain(r, ps)
            elif r.ordinal in layouts and r.kind == "regular":
                layouts[r.ordinal](r, ps)
            else:
                self._problems_category_column(r, ps)
        city = [p for r in self.w.rounds if r.level == "市委" for p in groups.get(r.name, [])]
        if city:
            self._problems_plain(None, city, rel="市委巡察/市委巡察反馈问题整改台账.xlsx")

    def _problem_row_values(self, p, style: str) -> dict:
        return {
            "status": self._status_text(p.status),
            "deadline": _deadline(p.deadline, style, self.rng),
            "rect": _date_forms(p.rectified_date, style, self.rng) if p.rectified_date else None,
        }

    def _problems_plain(self, r, ps, rel: str | None = None) -> None:
        rel = rel or f"{r.folder}/反馈问题整改台账.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("整改台账")
        sh = Sheet(ws, 11)
        sh.row(["问题编号", "巡察轮次", "被巡察单位", "问题类别", "问题描述", "整改措施", "责任领导", "责任人", "整改时限",
                "整改情况", "完成时间"])
        for p in ps:
            v = self._problem_row_values(p, "excel")
            sh.row([p.no, p.round, self.units[p.unit].name, CATEGORY_WORDS[p.category], p.description, p.measures,
                    p.leader, p.person, v["deadline"], v["status"], v["rect"]])
            self.t.add("problems")
        self._save(wb, rel)

    def _problems_by_category(self, r, ps) -> None:
        """Sub-heading rows per category, 序号 restarting under each, unit cells merged, title + footer."""
        rel = f"{r.folder}/第{CN_NUM[r.ordinal - 1]}轮巡察反馈问题整改台账.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("整改台账")
        sh = Sheet(ws, 10)
        sh.title(f"中共{self.county}委第{CN_NUM[r.ordinal - 1]}轮巡察反馈问题整改台账")
        sh.row([f"填报单位：县委巡察办（盖章）    统计截至：{self.w.as_of.year}年{self.w.as_of.month}月{self.w.as_of.day}日"])
        sh.merge_across(sh.r, 1, 10)
        sh.row(["序号", "被巡察单位", "问题描述", "整改措施", "责任领导", "责任人", "整改时限", "整改情况", "完成时间",
                "移交部门"])
        self.t.mess("subheading_rows", rel)
        self.t.mess("merged_cells", rel)
        for ci, cat in enumerate(CATEGORY_HEADINGS):
            rows = sorted([p for p in ps if p.category == cat], key=lambda p: p.unit)
            if not rows:
                continue
            sh.row([f"{CN_NUM[ci]}、{CATEGORY_HEADINGS[cat]}"])
            sh.merge_across(sh.r, 1, 10)
            first = sh.r + 1
            for i, p in enumerate(rows):
                v = self._problem_row_values(p, "excel")
                unit = self.variant(p.unit) if i == 0 or rows[i - 1].unit != p.unit else self.units[p.unit].name
                sh.row([i + 1, unit, p.description, p.measures, p.leader, p.person, v["deadline"], v["status"],
                        v["rect"], p.transferred_to])
                self.t.add("problems")
            sh.merge_runs(2, first, [p.unit for p in rows])
        if r.ordinal == 1:
            rr = sh.row([999, "县粮食局", "粮食储备管理不规范", "加强管理", None, None, "2017年12月31日", "整改中", None,
                         None])
            self._bad(rel, "整改台账", rr, "unknown_unit: 县粮食局 is not in the unit register", "problems")
        self._footer(sh, rel)
        self._save(wb, rel)
        if r.ordinal == 6:
            copy = f"{r.folder}/第{CN_NUM[r.ordinal - 1]}轮巡察反馈问题整改台账 - 副本.xlsx"
            (self.root / copy).write_bytes((self.root / rel).read_bytes())
            self.t.files.append(copy)
            self.t.duplicates.append({"file": copy, "duplicate_of": rel})
            self.t.mess("byte_identical_copy", copy)

    def _problems_sheet_per_unit(self, r, ps) -> None:
        """One sheet per unit; the unit only in the title; the round only in the folder name; header variants."""
        rel = f"{r.folder}/各单位整改台账.xlsx"
        wb = self._wb()
        by_unit: dict[str, list] = {}
        for p in ps:
            by_unit.setdefault(p.unit, []).append(p)
        for un, rows in by_unit.items():
            u = self.units[un]
            ws = wb.create_sheet(u.short[:28])
            sh = Sheet(ws, 9)
            sh.title(f"{u.short}巡察反馈问题整改台账")
            sh.row(["序号", "问题类别", "问题\n表现", "整改措施", "分管\n领导", "责任人（签字）", "整改\n时限", "整改进展",
                    "完成时间"])
            for i, p in enumerate(rows):
                v = self._problem_row_values(p, "cn")
                sh.row([i + 1, CATEGORY_WORDS[p.category], p.description, p.measures, p.leader, p.person, v["deadline"],
                        v["status"], v["rect"]])
                self.t.add("problems")
        self.t.mess("header_variants", rel)
        self.t.mess("unit_from_title", rel)
        self.t.mess("round_from_folder", rel)
        self._save(wb, rel)

    def _problems_csv(self, r, ps) -> None:
        rel = f"{r.folder}/第三轮巡察问题整改台账.csv"
        lines = ["序号,轮次,单位,问题类型,存在问题,整改措施,整改时限,整改状态,完成时间"]
        for i, p in enumerate(ps):
            v = self._problem_row_values(p, "slash")
            lines.append(",".join(_csv(x) for x in [f"{i + 1:03d}", "第三轮", self.variant(p.unit),
                                                     CATEGORY_WORDS[p.category], p.description, p.measures,
                                                     v["deadline"], v["status"], v["rect"]]))
            self.t.add("problems")
        lines.append(",".join(_csv(x) for x in [f"{len(ps) + 1:03d}", "第三轮", self.units[ps[0].unit].name,
                                                 "党的建设", "", "完善制度", "2018/09/30", "整改中", ""]))
        self._bad(rel, Path(rel).stem, len(lines), "missing_required: 问题描述 is empty", "problems")
        (self.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.root / rel).write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.t.files.append(rel)
        self.t.mess("leading_zero_ids", rel)
        self.t.mess("unit_name_variants", rel)

    def _problems_two_row_header(self, r, ps) -> None:
        rel = f"{r.folder}/第四轮巡察反馈问题整改台账.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("问题整改")
        sh = Sheet(ws, 8)
        sh.title(f"{r.name}反馈问题整改台账")
        top = sh.row(["序号", "被巡察单位", "问题类别", "问题描述", "整改时限", "整改落实情况", None, None])
        sh.row([None, None, None, None, None, "整改措施", "整改情况", "完成时间"])
        sh.merge_across(top, 6, 8)
        for c in range(1, 6):
            sh.merge_down(c, top, top + 1)
        for i, p in enumerate(ps):
            v = self._problem_row_values(p, "serial")
            sh.row([i + 1, self.variant(p.unit), CATEGORY_WORDS[p.category], p.description,
                    _deadline(p.deadline, "dash", self.rng), p.measures, v["status"], v["rect"]])
            self.t.add("problems")
        self.t.mess("two_row_header", rel)
        self.t.mess("excel_serial_dates", rel)
        self._save(wb, rel)

    def _problems_ids(self, r, ps) -> None:
        rel = f"{r.folder}/第五轮巡察整改台账.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("台账")
        sh = Sheet(ws, 9)
        sh.title("第五轮巡察反馈问题整改清单")
        sh.row(["问题编号", "巡察轮次", "被巡察党组织", "问题分类", "具体问题", "整改措施", "整改期限", "整改状态", "销号时间"])
        for i, p in enumerate(ps):
            v = self._problem_row_values(p, "dot")
            sh.row([f"05{i + 1:04d}", r.name, self.variant(p.unit), CATEGORY_HEADINGS[p.category], p.description,
                    p.measures, v["deadline"], v["status"], v["rect"]])
            self.t.add("problems")
        self.t.mess("leading_zero_ids", rel)
        self._save(wb, rel)

    def _problems_category_column(self, r, ps) -> None:
        rel = f"{r.folder}/反馈问题整改台账.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("整改台账")
        sh = Sheet(ws, 10)
        sh.title(f"县委{r.topic or ''}{r.kind_text if r.kind != 'regular' else ''}反馈问题整改台账")
        sh.row(["序号", "被巡察单位", "问题类别", "清单编号", "问题描述", "整改措施", "整改时限", "整改情况", "完成时间",
                "移交部门"])
        rows = sorted(ps, key=lambda p: p.unit)
        first = sh.r + 1
        for i, p in enumerate(rows):
            v = self._problem_row_values(p, "mixed")
            unit = self.variant(p.unit) if i == 0 or rows[i - 1].unit != p.unit else None
            sh.row([i + 1, unit, CATEGORY_WORDS[p.category], p.checklist_item, p.description, p.measures,
                    v["deadline"], v["status"], v["rect"], p.transferred_to])
            self.t.add("problems")
        sh.merge_runs(2, first, [p.unit for p in rows])
        self._footer(sh, rel)
        self._save(wb, rel)

    # ---------------------------------------------------------------- leads
    def leads(self) -> None:
        rel = "问题线索/问题线索移交台账.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("线索台账")
        sh = Sheet(ws, 14)
        self._title(sh, f"{self.county}巡察移交问题线索台账", rel)
        sh.row(["线索编号", "轮次", "被巡察单位", "被反映人", "职务", "问题摘要", "移交单位", "移交时间", "处置方式", "办理情况",
                "办结时间", "处理结果", "党纪政务处分（人）", "组织处理（人）"])
        leads = sorted(self.w.leads, key=lambda ld: (ld.round, ld.no))
        first = sh.r + 1
        for ld in leads:
            st = "已办结" if ld.status == "closed" else self.rng.choice(["正在办理", "办理中"])
            nd = (f"{ld.n_disciplined}人" if ld.n_disciplined else self.rng.choice(["—", "无", 0])) if self.messy \
                else ld.n_disciplined
            no = (f"{ld.n_org_handled}人" if ld.n_org_handled and self.rng.random() < 0.5 else ld.n_org_handled) \
                if self.messy else ld.n_org_handled
            sh.row([ld.no, ld.round, self.variant(ld.unit), ld.subject, ld.rank, ld.summary, ld.transferred_to,
                    _date_forms(ld.transfer_date, "mixed" if self.messy else "excel", self.rng), ld.disposal, st,
                    _date_forms(ld.closed_date, "excel", self.rng), ld.outcome or None, nd, no])
            self.t.add("leads")
        if self.messy:
            sh.merge_runs(2, first, [ld.round for ld in leads])
            rr = sh.row(["XS2021-900", "第九轮", self.units[leads[0].unit].name, "赵某", "干部", "违规发放补贴",
                         "县纪委监委", "2020-03-01", "初步核实", "办理中", None, None, None, None])
            self._bad(rel, "线索台账", rr, "unknown_round: 第九轮 is not in the round register", "leads")
            rr = sh.row(["XS2021-901", leads[0].round, self.units[leads[0].unit].name, "钱某", "干部", "公车私用", None,
                         "2020-03-02", "谈话函询", "办理中", None, None, None, None])
            self._bad(rel, "线索台账", rr, "missing_required: 移交单位 is empty", "leads")
            self.t.mess("numbers_as_text", rel)
        self._save(wb, rel)

    # ---------------------------------------------------------------- round statistics
    def round_stats(self) -> None:
        rel = "统计/巡察情况统计表.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("统计表")
        sh = Sheet(ws, 7)
        self._title(sh, f"{self.county}巡察工作情况统计表", rel)
        top = sh.row(["轮次", "问题整改", None, "问题线索", None, "处理人员", None])
        sh.row([None, "发现问题（个）", "已整改（个）", "移交线索（件）", "已办结（件）", "党纪政务处分（人）", "组织处理（人）"])
        sh.merge_across(top, 2, 3)
        sh.merge_across(top, 4, 5)
        sh.merge_across(top, 6, 7)
        sh.merge_down(1, top, top + 1)
        for r in self.w.rounds:
            ps = [p for p in self.w.problems if p.round == r.name]
            ls = [ld for ld in self.w.leads if ld.round == r.name]
            if not ps and not ls:
                continue
            nl = len(ls)
            people = sum(ld.n_disciplined + ld.n_org_handled for ld in ls)
            sh.row([r.name, len(ps), sum(1 for p in ps if p.status == "rectified"),
                    f"{nl}件{people}人" if self.messy and r.ordinal == 3 else nl,
                    sum(1 for ld in ls if ld.status == "closed"),
                    sum(ld.n_disciplined for ld in ls), sum(ld.n_org_handled for ld in ls)])
            self.t.add("round_stats")
        self.t.mess("two_row_header", rel)
        self.t.mess("numbers_as_text", rel)
        self._save(wb, rel)

    # ---------------------------------------------------------------- assessments
    def assessments(self) -> None:
        rel = "政治生态/政治生态建设评价表.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("2019年度")
        dims = [d for d, _ in DIMENSIONS]
        sh = Sheet(ws, 5 + len(dims))
        self._title(sh, "2019年度政治生态建设评价结果（“六看”）", rel)
        sh.row(["序号", "单位名称", "评价年度", *dims, "总分", "评价等次"])
        rows = [a for a in self.w.assessments if a["period"] == "2019年度"]
        for i, a in enumerate(rows):
            t = a["total"]
            grade = "好" if t >= 90 else "较好" if t >= 80 else "一般" if t >= 70 else "较差"
            sh.row([i + 1, self.variant(a["unit"]), "2019年度", *[a["scores"][d] for d in dims], t,
                    grade if i % 4 else None])
            self.t.add("assessments")
        ws = wb.create_sheet("2018年度（长表）")
        sh = Sheet(ws, 4)
        sh.row(["单位", "年度", "评价维度", "得分"])
        long_rows = [a for a in self.w.assessments if a["period"] == "2018年度"]
        first = sh.r + 1
        for a in long_rows:
            for j, d in enumerate(dims):
                sh.row([self.units[a["unit"]].name if j == 0 else None, 2018, d, a["scores"][d]])
                self.t.add("assessments")
        sh.merge_runs(1, first, [a["unit"] for a in long_rows for _ in dims])
        self._save(wb, rel)

    # ---------------------------------------------------------------- team
    def team(self) -> None:
        rel = "巡察组/巡察组人员名单.xlsx"
        wb = self._wb()
        ws = wb.create_sheet("人员名单")
        sh = Sheet(ws, 6)
        self._title(sh, "县委巡察组人员名单", rel)
        sh.row(["轮次", "巡察组", "姓名", "组内职务", "抽调单位类别", "人员类别"])
        rows = self.w.team
        first = sh.r + 1
        for t in rows:
            sh.row([t["round"], t["group"], t["name"], t["role"], t["specialty"], t["pool"]])
            self.t.add("team")
        if self.messy:
            sh.merge_runs(2, first, [(t["round"], t["group"]) for t in rows])
            sh.merge_runs(1, first, [t["round"] for t in rows])
        if self.messy:
            rr = sh.row([rows[0]["round"], "第一巡察组", None, "组员", "审计", "专业干部"])
            self._bad(rel, "人员名单", rr, "missing_required: 姓名 is empty", "team")
        self._save(wb, rel)

    # ---------------------------------------------------------------- talks (约谈台账)
    def talks(self) -> None:
        """County leaders' talks with the heads of units behind on rectification (《领导干部转办谈话制度》):
        a few units of each county round with feedback, talked to a few months after it; some twice. Its own
        random stream, so the other ledgers are exactly as before."""
        from pipelines.demo.world import GIVEN, SURNAMES

        rng = random.Random(self.seed + 18)
        rel = "约谈/县级领导干部约谈台账.xlsx"
        leaders = [f"{post}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}" for post in
                   ("县委书记", "县委副书记", "县纪委书记", "县委组织部部长")]
        posts = {"township": "党委书记", "department": "党组书记", "soe": "董事长", "institution": "党支部书记",
                 "village": "党支部书记", "community": "社区党委书记"}
        reasons = ["整改进度滞后", "逾期未完成整改任务", "整改不实、敷衍整改", "问题反弹回潮", "整改推进缓慢"]
        heads: dict[str, str] = {}
        talks = []
        for r in self.w.rounds:
            if r.level != "县委" or r.feedback is None or r.feedback > self.w.as_of:
                continue
            ps = [p for p in self.w.problems if p.round == r.name]
            units = sorted({p.unit for p in ps})
            for unit in rng.sample(units, min(4, len(units))):
                room = (self.w.as_of - r.feedback).days
                first = r.feedback + dt.timedelta(days=rng.randint(min(20, room), min(200, room)))
                open_now = any(p.status != "rectified" for p in ps if p.unit == unit)
                dates = [first]
                if rng.random() < 0.3 and (self.w.as_of - first).days > 40:
                    dates.append(first + dt.timedelta(days=rng.randint(30, min(120, (self.w.as_of - first).days))))
                for i, d in enumerate(dates):
                    last = i == len(dates) - 1
                    follow = (rng.choice(["仍未整改到位", "跟踪督办中", "持续跟踪"]) if open_now else
                              "已整改到位") if last else "仍未整改到位"
                    talks.append((d, r.name, unit, i, rng.choice(reasons), follow, rng.choice(leaders)))
        talks.sort(key=lambda t: (t[0], t[2]))
        wb = self._wb()
        ws = wb.create_sheet("约谈台账")
        sh = Sheet(ws, 10)
        self._title(sh, f"{self.county}县级领导干部约谈台账", rel)
        sh.row(["序号", "约谈\n时间" if self.messy else "约谈时间", "约谈领导", "被约谈单位",
                "被约谈人（签字）" if self.messy else "被约谈人", "职务", "涉及轮次", "约谈次数", "约谈事由", "跟踪情况"])
        year, n = None, 0
        round_col: list[str] = []
        first_row = None
        for d, rname, unit, i, reason, follow, leader in talks:
            if self.messy and d.year != year:
                year = d.year
                sh.row([f"{CN_NUM[len({t[0].year for t in talks if t[0].year <= year}) - 1]}、{year}年约谈情况"])
                self.t.mess("subheading_rows", rel)
                if first_row is not None:
                    sh.merge_runs(7, first_row, round_col)
                round_col, first_row = [], None
            u = self.units[unit]
            person = heads.setdefault(unit, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN))
            n += 1
            times = ["首次", "第一次"][n % 2] if i == 0 else ["第二次", "再次约谈"][n % 2]
            rr = sh.row([n, _date_forms(d, "mixed" if self.messy else "excel", rng), leader, self.variant(unit), person,
                         posts.get(u.code, "负责人"), rname, times if self.messy else ("首次" if i == 0 else "第二次"),
                         reason, follow])
            if first_row is None:
                first_row = rr
            round_col.append(rname)
            self.t.add("talks")
            self.t.personal.update({person, leader})
        if self.messy and first_row is not None:
            sh.merge_runs(7, first_row, round_col)
            self.t.mess("merged_cells", rel)
            self.t.mess("mixed_date_formats", rel)
            self.t.mess("header_variants", rel)
        self._footer(sh, rel)
        self._save(wb, rel)

    def write_all(self) -> Truth:
        self.registers()
        self.inspections()
        self.problems()
        self.leads()
        self.round_stats()
        self.assessments()
        self.team()
        self.talks()
        return self.t


def _csv(x) -> str:
    s = "" if x is None else str(x)
    if any(ch in s for ch in ',"\n'):
        s = '"' + s.replace('"', '""') + '"'
    return s
