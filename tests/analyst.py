"""Playing the analyst: a corpus written the way another county writes it, and an analyst who answers the
question workbook by picking from each dropdown's own list."""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

from openpyxl import load_workbook

from pipelines.demo.corpus import save_deterministic

REGISTER_DIR = "基础台账"


def rewrite_corpus(src: Path, dst: Path, cells: dict[str, str], names: dict[str, str]) -> None:
    """Copy the corpus, replacing whole cell texts: `cells` everywhere, `names` outside the registers (a unit
    written differently in the ledgers than in the register). Modification times are kept (the newer-file rule
    depends on them) and the same bytes stay the same bytes (the byte-identical copy stays a copy)."""
    shutil.copytree(src, dst)
    for p in sorted(dst.rglob("*")):
        if not p.is_file() or p.suffix.lower() not in (".xlsx", ".csv"):
            continue
        table = dict(cells)
        if REGISTER_DIR not in p.parts:
            table.update(names)
        st = p.stat()
        if p.suffix.lower() == ".xlsx":
            wb = load_workbook(p)
            changed = False
            for ws in wb.worksheets:
                for row in ws.iter_rows():
                    for c in row:
                        if isinstance(c.value, str) and c.value in table:
                            c.value, changed = table[c.value], True
            if changed:
                save_deterministic(wb, p)
        else:
            raw = p.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            rows = list(csv.reader(io.StringIO(text)))
            new = [[table.get(v, v) for v in r] for r in rows]
            if new != rows:
                buf = io.StringIO()
                csv.writer(buf, lineterminator="\r\n").writerows(new)
                p.write_bytes(buf.getvalue().encode(enc))
        os.utime(p, (st.st_atime, st.st_mtime))


def dropdown(ws, ref: str) -> list[str] | None:
    """The options of the list data validation covering cell ref, read from the validation itself (an
    inline list, or a range on another sheet of the same workbook)."""
    from openpyxl.worksheet.cell_range import CellRange

    for dv in ws.data_validations.dataValidation:
        if dv.type != "list" or not any(ref in rng for rng in dv.sqref.ranges):
            continue
        f = (dv.formula1 or "").strip()
        if f.startswith('"'):
            return f.strip('"').split(",")
        sheet, _, rng = f.lstrip("=").rpartition("!")
        target = ws.parent[sheet.strip("'")]
        cr = CellRange(rng.replace("$", ""))
        return [str(target.cell(r, c).value) for r in range(cr.min_row, cr.max_row + 1)
                for c in range(cr.min_col, cr.max_col + 1) if target.cell(r, c).value is not None]
    return None


def answer_workbook(path: Path, truth: dict, out: Path | None = None, wrong: bool = False) -> list[tuple]:
    """Fill 「确认」 (and 「类型」) for every question the analyst knows the answer to: truth maps
    (sheet, seen text) → the answer's label, or (label, type label) for 新增到名册. The answer must be one
    of the dropdown's own options. Returns the (sheet, row, answer) written."""
    wb = load_workbook(path)
    written = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible" or ws.max_row < 2:
            continue
        head = [c.value for c in ws[1]]
        if "确认" not in head:
            continue
        seen_col, ans_col = head.index("看到的") + 1, head.index("确认") + 1
        type_col = head.index("类型") + 1 if "类型" in head else None
        for r in range(2, ws.max_row + 1):
            seen = ws.cell(r, seen_col).value
            if ws.title == "表类型":  # the analyst knows a sheet by its tab, not by its header text
                seen = ws.cell(r, head.index("工作表") + 1).value
            want = truth.get((ws.title, seen))
            if want is None:
                continue
            label, type_label = want if isinstance(want, tuple) else (want, None)
            ref = ws.cell(r, ans_col).coordinate
            options = dropdown(ws, ref)
            assert options, f"{ws.title}!{ref} has no dropdown"
            if wrong:
                choice = "随便写的答案"
                assert choice not in options
            else:
                assert label in options, f"{label} not offered for {ws.title} {seen}: {options}"
                choice = options[options.index(label)]
            ws.cell(r, ans_col).value = choice
            if type_label is not None:
                topts = dropdown(ws, ws.cell(r, type_col).coordinate)
                assert topts and type_label in topts
                ws.cell(r, type_col).value = topts[topts.index(type_label)]
            written.append((ws.title, r, choice))
    wb.save(out or path)
    return written
