"""Reading spreadsheets: every sheet of an xlsx/xlsm/xls/csv file as rows of raw cell values.

Cells are returned as the reader gives them (python-calamine for Excel, the csv
module for text), never inferred by pandas, so "0123" stays "0123". A file that
cannot be read raises ReadError with a reason an analyst understands.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import python_calamine as pc

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
SUPPORTED = EXCEL_SUFFIXES | {".csv", ".tsv"}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


class ReadError(Exception):
    """A whole file could not be read; the message says why and what to do."""


@dataclass
class Sheet:
    name: str
    rows: list[list[object]]
    # merged ranges as (first_row, first_col, last_row, last_col), 0-based inclusive
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    hidden: bool = False
    has_merge_info: bool = True


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: UTF-16 with a BOM (Excel's "Unicode text"), UTF-8 (with or without BOM), else
    GB18030 (a superset of GBK/GB2312)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ReadError("无法识别文本编码（既不是 UTF-8 也不是 GBK/GB18030）：请在 Excel 中另存为 .xlsx 或 UTF-8 CSV")


DEFAULT_MAX_ROWS = 500_000


def _too_many(name: str, limit: int) -> ReadError:
    return ReadError(f"工作表「{name}」超过 {limit:,} 行数据：请按轮次或单位拆分成多个文件后再放入"
                     f"（上限可在 settings.yaml 的 max_rows_per_sheet 调整）")


def _is_blank_row(row) -> bool:
    return all(v is None or v == "" for v in row)


def read_csv(path: Path, data: bytes | None = None, max_rows: int = DEFAULT_MAX_ROWS) -> list[Sheet]:
    data = path.read_bytes() if data is None else data
    text, _enc = decode_text(data)
    if "\x00" in text:
        raise ReadError("文件包含二进制内容，不是文本 CSV：请确认文件类型")
    sample = text[:4096]
    delim = "\t" if path.suffix.lower() == ".tsv" or (sample.count("\t") > sample.count(",")) else ","
    rows: list[list[object]] = []
    n = 0
    for r in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
        if _is_blank_row(r):
            rows.append([])
            continue
        n += 1
        if n > max_rows:
            raise _too_many(path.stem, max_rows)
        rows.append(r)
    while rows and not rows[-1]:
        rows.pop()
    return [Sheet(name=path.stem, rows=rows, merged=[], has_merge_info=False)]


def _sniff_mismatch(path: Path, head: bytes) -> str | None:
    """For an 'Excel' file whose bytes are not Excel, say what it really is."""
    if head.startswith(ZIP_MAGIC) or head.startswith(OLE2_MAGIC):
        return None
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")):
        return (f"扩展名是 {path.suffix}，但内容是 HTML/XML 网页（常见于系统导出的“假 Excel”）："
                "请用 Excel 打开后“另存为” .xlsx")
    try:
        head.decode("utf-8")
        is_text = True
    except UnicodeDecodeError:
        try:
            head.decode("gb18030")
            is_text = True
        except UnicodeDecodeError:
            is_text = False
    if is_text and head:
        return f"扩展名是 {path.suffix}，但内容是纯文本（CSV）：请把扩展名改为 .csv，或在 Excel 中另存为 .xlsx"
    return f"扩展名是 {path.suffix}，但文件不是 Excel 格式（文件头无法识别）：请确认文件未损坏"


def read_excel(path: Path, max_rows: int = DEFAULT_MAX_ROWS) -> list[Sheet]:
    size = path.stat().st_size
    if size == 0:
        raise ReadError("文件为空（0 字节）：请重新导出或从原始来源复制")
    with open(path, "rb") as fh:
        head = fh.read(4096)
    mismatch = _sniff_mismatch(path, head)
    if mismatch:
        raise ReadError(mismatch)
    if head.startswith(OLE2_MAGIC) and path.suffix.lower() in {".xlsx", ".xlsm"}:
        with open(path, "rb") as fh:
            blob = fh.read(min(size, 1 << 20))
        if "EncryptedPackage".encode("utf-16-le") in blob or b"EncryptedPackage" in blob:
            raise ReadError("工作簿设置了打开密码（已加密）：请在 Excel 中取消密码后另存，再放入 data_raw")
    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several error types
        msg = str(exc)
        low = msg.lower()
        if "password" in low or "encrypt" in low:
            raise ReadError("工作簿设置了密码保护：请在 Excel 中取消密码后另存") from exc
        if "zip" in low or "eof" in low or "invalid" in low or "corrupt" in low:
            raise ReadError(f"文件已损坏或不完整（{msg[:120]}）：请重新复制或从原始来源导出") from exc
        raise ReadError(f"无法作为 Excel 打开（{msg[:160]}）：请在 Excel 中打开确认后另存为 .xlsx") from exc
    sheets: list[Sheet] = []
    try:
        meta = {m.name: m for m in wb.sheets_metadata}
        for name in wb.sheet_names:
            m = meta.get(name)
            if m is not None and "WorkSheet" not in str(m.typ):
                continue  # chart sheets and macro sheets hold no cells
            try:
                sh = wb.get_sheet_by_name(name)
            except Exception as exc:
                raise ReadError(f"工作表「{name}」无法读取（{str(exc)[:120]}）：文件可能已损坏") from exc
            # absolute coordinates: calamine's rows start at sh.start; pad so row i is Excel row i+1
            start_row, start_col = sh.start if sh.start else (0, 0)
            rows: list[list[object]] = [[] for _ in range(start_row)]
            pad = [None] * start_col
            n = 0
            if sh.total_height > max_rows:  # counts blank rows too: only then are non-blank rows counted
                for r in sh.iter_rows():
                    if not _is_blank_row(r):
                        n += 1
                        if n > max_rows:
                            raise _too_many(name, max_rows)
            for r in sh.to_python():
                if not any(r) and _is_blank_row(r):  # any(): most rows have a truthy cell, 0.0 does not
                    rows.append([])  # formatting-only rows cost nothing
                    continue
                rows.append(pad + r if start_col else r)
            while rows and not rows[-1]:
                rows.pop()
            merged = []
            try:
                for (r0, c0), (r1, c1) in sh.merged_cell_ranges or []:
                    merged.append((r0, c0, r1, c1))
            except Exception:
                merged = []
            hidden = m is not None and "Visible" not in str(m.visible).split(".")[-1]
            sheets.append(Sheet(name=name, rows=rows, merged=merged, hidden=hidden))
    finally:
        try:
            wb.close()
        except Exception:
            pass
    return sheets


def read_file(path: Path, max_rows: int = DEFAULT_MAX_ROWS) -> list[Sheet]:
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return read_excel(path, max_rows)
    if suffix in CSV_SUFFIXES:
        data = path.read_bytes()
        if not data.strip():
            raise ReadError("文件为空：请重新导出")
        if data.startswith(ZIP_MAGIC) or data.startswith(OLE2_MAGIC):
            raise ReadError(f"扩展名是 {suffix}，但内容是 Excel 工作簿：请把扩展名改为 .xlsx")
        return read_csv(path, data, max_rows)
    raise ReadError(f"不支持的文件类型 {suffix}：请存为 .xlsx、.xls 或 .csv")
