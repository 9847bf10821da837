"""Rebuild one county's part of a several-county warehouse when only that county's files changed.

A city or province warehouse holds every county's rows, and a county's rows depend only on that county's own
files (its registers, its ledgers, its de-duplication: pipelines/ingest/counties.py). So when the files that
changed since the last build all lie in one county's top folder, the other counties' rows are kept as they
are: that county's files are resolved again (unchanged ones from the parse cache) by the same stages and the
same per-county function (build.resolve_county) a full build runs for each county, its rows are replaced in every
table where they changed (each table's county rows are read back and compared first: a changed meetings ledger
rewrites raw_rows, files, sheets and stg_meetings, not stg_problems), and the summary is the old one with that
county's part replaced. The result is the warehouse a full
rebuild would write (the same rows in every table; tests compare the two), and it is written as atomically as a
full build: a copy of the warehouse is changed and swapped in, so a kill at any moment leaves the old one.

Whenever that cannot be shown from what the last build recorded, the answer is None and the caller rebuilds
everything. That is when:
- the last build was made by other code, another contract or settings (the config fingerprint differs), or the
  analyst's answers apply (their use is counted over the whole warehouse);
- the warehouse holds one county, or a file no county folder or register placed (its rows were placed one by
  one against every county's register);
- a changed file is not inside a county's top folder, or the folder's files are not all that county's, or the
  county has files in another folder;
- a byte-identical copy of a file of that county exists elsewhere (which copy is read depends on both).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import duckdb

from pipelines import fingerprint
from pipelines.contract import Contract
from pipelines.ingest import counties as CT
from pipelines.ingest import schema as S


def config_fingerprint(parser_fp: str) -> str:
    """What a build's rows depend on besides the files: the parse cache's key (the contract with its settings
    and answers, the parse code) and every module and SQL file of the package."""
    return hashlib.sha256((parser_fp + fingerprint.all_code()).encode()).hexdigest()


def _modified(f) -> dt.datetime:
    return dt.datetime.fromtimestamp(f.mtime).replace(microsecond=0)


class Plan:
    """The county to rebuild: its name, its top folder, its files now (FileRec), the paths it had, and the
    SHA-256 of the files that changed (new content)."""

    def __init__(self, county: str, folder: str, files: list, old_paths: set[str], old: dict,
                 changed_shas: frozenset[str] = frozenset()):
        self.county, self.folder, self.files, self.old_paths, self.old = county, folder, files, old_paths, old
        self.changed_shas = changed_shas


def plan(con: duckdb.DuckDBPyConnection, old_summary: dict, old_config_fp: str | None, files: list,
         contract: Contract, config_fp: str) -> Plan | None:
    """The one county whose folder holds every change since the last build, or None (rebuild everything).
    con: the warehouse (read-only); old_summary, old_config_fp: what it records of the build it holds."""
    if (contract.answers_info or {}).get("items"):
        return None
    if old_config_fp != config_fp or not old_summary:
        return None
    if len(old_summary.get("counties") or {}) < 2:
        return None
    try:
        old_files = con.execute("SELECT path, sha256, size_bytes, modified_at, status, error, county "
                                "FROM files").fetchall()
    except duckdb.Error:
        return None
    if any(r[6] is None for r in old_files):
        return None
    old = {r[0]: r for r in old_files}
    now = {f.rel: f for f in files}
    changed = set(old.keys() - now.keys())
    for rel, f in now.items():
        o = old.get(rel)
        if o is None or o[1] != (f.sha256 or None) or o[2] != f.size or o[3] != _modified(f) or \
                (f.status in ("failed", "ignored")) != (o[4] in ("failed", "ignored")) or \
                (f.status == "failed" and o[5] != f.error):
            changed.add(rel)
    if not changed:
        return None
    folders = {CT.top_folder(rel) for rel in changed}
    if len(folders) != 1 or None in folders:
        return None
    folder = folders.pop()
    in_folder_old = {rel for rel in old if CT.top_folder(rel) == folder}
    counties = {old[rel][6] for rel in in_folder_old}
    if len(counties) != 1:
        return None  # a new folder, or a folder of two counties
    county = counties.pop()
    if any(r[6] == county and CT.top_folder(r[0]) != folder for r in old_files):
        return None  # the county's files are not all in its folder
    part = [f for f in files if CT.top_folder(f.rel) == folder]
    shas_in = {f.sha256 for f in part if f.sha256} | {old[r][1] for r in in_folder_old if old[r][1]}
    shas_out = {f.sha256 for f in files if f.sha256 and CT.top_folder(f.rel) != folder}
    if shas_in & shas_out:
        return None  # a copy inside and one outside: which is read as the original depends on both
    changed_shas = frozenset(now[rel].sha256 for rel in changed if rel in now and now[rel].sha256) - \
        {r[1] for r in old_files if r[1]}  # content the last build never had
    return Plan(county, folder, part, in_folder_old, {"summary": old_summary, "files": old,
                                                      "counts": _old_counts(con, county)}, changed_shas)


def _old_counts(con: duckdb.DuckDBPyConnection, county: str) -> dict:
    """The county's part of the figures the summary sums (read while the old warehouse is open, in one query)."""
    rows = con.execute(
        "SELECT 'kind', kind, count(*) FROM raw_rows WHERE county = $1 AND row_class = 'data' AND outcome = 'loaded' "
        "GROUP BY 2 "
        "UNION ALL SELECT 'reason', reason_code, count(*) FROM quarantine WHERE county = $1 GROUP BY 2 "
        "UNION ALL SELECT 'conflicts', NULL, count(*) FROM conflicts WHERE county = $1 "
        "UNION ALL SELECT 'findings', NULL, count(*) FROM findings WHERE county = $1 "
        + "".join(f"UNION ALL SELECT '{c}', NULL, coalesce(sum({c}), 0) FROM files WHERE county = $1 "
                  for c in _FILE_COUNTS), [county]).fetchall()
    one = {part: int(n) for part, _, n in rows if part not in ("kind", "reason")}
    return {
        "rows": tuple(one[c] for c in _FILE_COUNTS),
        "kinds": {k: int(n) for part, k, n in rows if part == "kind"},
        "reasons": {k: int(n) for part, k, n in rows if part == "reason"},
        "conflicts": one["conflicts"],
        "findings": one["findings"],
    }


_FILE_COUNTS = ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")


def merged_summary(p: Plan, files, part_files, part_summary: dict, part_tables: dict) -> dict:
    """The last build's summary with the county's part replaced by its new one (every figure of the summary is
    a sum or a list over files, so the other counties' parts are kept as they were). files: every file now;
    part_files: the county's files as this build read them (ingested or failed)."""
    old = p.old["summary"]
    gone = p.old_paths | {f.rel for f in p.files}
    order = {f.rel: i for i, f in enumerate(files)}
    counts = p.old["counts"]
    old_rows, old_kinds, old_reasons = counts["rows"], counts["kinds"], counts["reasons"]
    old_conflicts, old_findings = counts["conflicts"], counts["findings"]
    status = {rel: r[4] for rel, r in p.old["files"].items() if rel not in gone}
    status.update({f.rel: f.status for f in part_files})

    def listed(key: str, rel_of) -> list:
        keep = [x for x in old.get(key, []) if rel_of(x) not in gone] + list(part_summary.get(key, []))
        return sorted(keep, key=lambda x: order.get(rel_of(x), len(order)))

    def counted(key: str, old_part: dict) -> dict:
        out = dict(old.get(key) or {})
        for k, n in old_part.items():
            out[k] = out.get(k, 0) - n
        for k, n in (part_summary.get(key) or {}).items():
            out[k] = out.get(k, 0) + n
        return {k: n for k, n in out.items() if n}

    s = dict(old)
    s.update({
        "files_seen": len(files),
        "files_ingested": sum(1 for v in status.values() if v == "ingested"),
        "files_duplicate": sum(1 for v in status.values() if v == "duplicate"),
        "files_failed": listed("files_failed", lambda x: x["file"]),
        "files_ignored": listed("files_ignored", lambda x: x),
        "sheets_unclassified": listed("sheets_unclassified", lambda x: x["file"]),
        "sheets_uncertain": listed("sheets_uncertain", lambda x: x["file"]),
        "sheets": listed("sheets", lambda x: x["file"]),
    })
    for i, key in enumerate(("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")):
        s[key] = old[key] - old_rows[i] + part_summary[key]
    s["loaded_by_kind"] = dict(sorted(counted("loaded_by_kind", old_kinds).items()))
    reasons = counted("quarantine_by_reason", old_reasons)
    s["quarantine_by_reason"] = reasons
    s["conflicts"] = old["conflicts"] - old_conflicts + part_summary["conflicts"]
    s["cell_findings"] = old["cell_findings"] - old_findings + part_summary["cell_findings"]
    counties = {c: v for c, v in (old.get("counties") or {}).items() if c != p.county}
    counties.update(S.county_summary(part_tables))
    s["counties"] = dict(sorted(counties.items()))
    return s


def apply(db_path: Path, tmp: Path, p: Plan, tables: dict, run: dict, crash) -> list[str]:
    """Write the county's new rows into a copy of the warehouse at tmp (the caller swaps it in). A table whose
    county rows are already exactly the new ones is left as it is (a changed meetings ledger touches
    raw_rows, files, sheets and stg_meetings, not stg_problems). Returns the tables rewritten."""
    from pipelines.warehouse.db import attached, create_table, refresh_intermediate

    shutil.copyfile(db_path, tmp)
    rewritten: list[str] = []
    with attached(tmp) as con:
        con.execute("BEGIN")
        gone = sorted(p.old_paths | {f.rel for f in p.files})
        where = {name: ("county = ? OR list_contains(?, path)", [p.county, gone]) if name == "files" else
                 ("county = ?", [p.county]) for name in tables}
        # the county's rows in every table, counted in one query: a table whose count differs is rewritten
        # without reading its rows back
        n_old = dict(con.execute(" UNION ALL ".join(f"SELECT {i}, count(*) FROM \"{name}\" WHERE {where[name][0]}"
                                                    for i, name in enumerate(tables)),
                                 [x for name in tables for x in where[name][1]]).fetchall())
        for i, (name, (cols, rows)) in enumerate(tables.items()):
            cond, params = where[name]
            if n_old[i] != len(rows) or _has_new_content(cols, rows, p.changed_shas) or \
                    not _same_rows(con, name, cols, rows, cond, params):
                con.execute(f'DELETE FROM "{name}" WHERE {cond}', params)
                if rows:
                    create_table(con, name, cols, rows, create=False)
                rewritten.append(name)
            crash(name)
        refresh_intermediate(con, rewritten)  # made from staging tables: again, when one they read has new rows
        con.execute("""UPDATE warehouse_meta SET
            data_hash = (SELECT sha256(string_agg(coalesce(sha256, path) || ':' || status, ',' ORDER BY path)) FROM files),
            built_at = ?, code_version = ?, input_fingerprint = ?, summary = ?, config_fingerprint = ?""",
                    [run["finished_at"], run["code_version"], run["input_fingerprint"], run["summary"],
                     run["config_fingerprint"]])
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    return rewritten


def _has_new_content(cols: list, rows: list, shas: frozenset[str]) -> bool:
    """Whether a row comes from a file whose content the last build never had (its SHA-256 column says so):
    then the table's rows differ for certain, and are not read back to be compared."""
    at = next((i for i, (c, _) in enumerate(cols) if c in ("sha256", "src_sha256")), None)
    return bool(shas) and at is not None and any(r[at] in shas for r in rows)


def _same_rows(con: duckdb.DuckDBPyConnection, name: str, cols: list, rows: list, where: str, params: list) -> bool:
    """Whether the table's rows selected by `where` are these rows, in the order they were written. Python
    equality of each value read back with the value about to be cast and stored is enough: equal values cast
    to the column's type store the same (a date written as text, or any other type that differs from what is
    read back, is never equal: the table is then rewritten, which is only slower)."""
    if not rows:
        return True
    names = ", ".join(f'"{c}"' for c, _ in cols)
    return con.execute(f'SELECT {names} FROM "{name}" WHERE {where}', params).fetchall() == \
        [tuple(r) for r in rows]

