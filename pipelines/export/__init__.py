"""The documents analysts used to make by hand, written into the period folder:
汇总台账.xlsx (ledger.py), 督办清单/ (supervision.py), 月度简报.docx (brief_docx.py);
and blank fill-in templates (templates.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

LEDGER_FILE = "汇总台账.xlsx"
SUPERVISION_DIR = "督办清单"
BRIEF_DOCX = "月度简报.docx"


class ExportError(RuntimeError):
    pass


def run_export(db_path: Path, out_dir: Path, *, as_of: dt.date | None = None, show_names: bool = False,
               contract=None, county: str = "") -> dict:
    """Write the period's documents under out_dir/<YYYY-MM>/. Returns what was written and its counts.

    A warehouse of several counties: `county` writes that county's documents (its rows only) under
    out_dir/<YYYY-MM>/<县名>/; without it every county's are written, each in its folder, and the result
    adds `counties` (county → its result) to the summed counts."""
    from pipelines.warehouse.db import connect_ro, counties

    with connect_ro(Path(db_path)) as con:
        names = counties(con)
    if len(names) > 1 and not county:
        parts = {c: run_export(db_path, out_dir, as_of=as_of, show_names=show_names, contract=contract, county=c)
                 for c in names}
        first = next(iter(parts.values()))
        rows: dict[str, int] = {}
        for r in parts.values():
            for k, n in r["rows_by_kind"].items():
                rows[k] = rows.get(k, 0) + n
        return {"period": first["period"], "as_of": first["as_of"], "folder": str(Path(first["folder"]).parent),
                "rows_by_kind": dict(sorted(rows.items())),
                **{k: sum(r[k] for r in parts.values()) for k in
                   ("supervision_units", "problems_open", "problems_overdue", "problems_long_term")},
                "validation_status": first["validation_status"], "counties": parts}
    return _export_one(db_path, out_dir, as_of=as_of, show_names=show_names, contract=contract,
                       county=county, own_folder=len(names) > 1)


def _export_one(db_path: Path, out_dir: Path, *, as_of: dt.date | None, show_names: bool, contract,
                county: str, own_folder: bool) -> dict:
    from pipelines import history
    from pipelines.contract import default_contract
    from pipelines.export.brief_docx import write_brief_docx
    from pipelines.export.ledger import write_ledger
    from pipelines.export.supervision import write_supervision
    from pipelines.metrics import default_as_of
    from pipelines.report.kit import validation_status
    from pipelines.report.render import ReportError, _county_dir, _safe_out
    from pipelines.warehouse.db import connect_county

    contract = contract or default_contract()
    out_dir = Path(out_dir)
    with connect_county(Path(db_path), county or None) as con:
        as_of = as_of or default_as_of(con)
        period = as_of.strftime("%Y-%m")
        try:
            target = _safe_out(out_dir, period)
            if own_folder:
                target = _county_dir(target, county)
        except ReportError as exc:
            raise ExportError(str(exc)) from None
        v = validation_status(con)
        try:
            target.mkdir(parents=True, exist_ok=True)
            quality = (out_dir / "quality").as_posix() + "/"
            counts = write_ledger(con, contract, target / LEDGER_FILE, as_of, v, show_names=show_names,
                                  quality_page=quality)
            sup = write_supervision(con, contract, target / SUPERVISION_DIR, as_of)
            brief = write_brief_docx(con, contract, target / BRIEF_DOCX, as_of, v, history.previous(con, period))
        except OSError as exc:
            raise ExportError(f"写入 {target} 失败（{exc.strerror or exc}）：请检查磁盘空间和文件夹权限，"
                              "或用 --out 指定其他位置") from None
    return {"period": period, "as_of": as_of.isoformat(), "folder": str(target),
            "ledger": str(target / LEDGER_FILE), "rows_by_kind": counts,
            "supervision": str(target / SUPERVISION_DIR), "supervision_units": sup["units"],
            "problems_open": sup["open"], "problems_overdue": sup["overdue"], "problems_long_term": sup["long_term"],
            "brief_docx": brief["path"], "validation_status": v["status"]}
