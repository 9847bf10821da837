"""Great Expectations suites for the column and row rules, derived from the contract.

Nothing here names a ledger kind or a column: for every kind in contract.yaml and every staging table that
holds it, the declaration gives the expectations --

- a vocabulary column (``type: vocab``) that keeps its raw text (``<col>_raw``): its codes are in the set;
- a required column (``required: true``): not null;
- the record key (``key:``, unless the kind says ``check_key: false``): unique where it is complete;
- a count (``type: count``): not negative; a number (``type: number``): within ``[min, max]`` of its
  declaration (``max: score_max`` names a setting in settings.yaml).

Rule ids, titles, severities and message texts come from the ``expectations:`` section of rules.yaml.
GX 1.x's SQL datasource cannot run on DuckDB here, so each staging table is queried into a pandas frame
(only the columns its checks read) and validated with GX's pandas datasource in one suite per frame;
unexpected row indexes are mapped back to the source file, sheet and row. Imported only by validate.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.contract import Contract
from pipelines.ingest.schema import BOOLEAN_VOCAB

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ.setdefault("GE_USAGE_STATISTICS_ENABLED", "False")


@dataclass
class Check:
    rule: str
    severity: str
    message: str  # with {value}
    table: str
    expectation: object  # a gx expectation
    value_col: str  # which frame column is the offending value
    where: str = "TRUE"  # SQL filter for the frame
    extra_select: str = ""
    columns: tuple = ()  # the table columns the check reads (with provenance; nothing else is loaded)
    title: str = ""


def kind_tables(con: duckdb.DuckDBPyConnection, contract: Contract) -> dict[str, dict[str, set[str]]]:
    """kind → {staging table → its columns}: stg_<kind>, and for a kind with evaluation dimensions the long
    table of its scores (stg_<kind without s>_scores)."""
    cols: dict[str, set[str]] = {}
    for t, c in con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                            "WHERE database_name = current_database() AND table_name LIKE 'stg\\_%' ESCAPE '\\'"
                            ).fetchall():
        cols.setdefault(t, set()).add(c)
    out: dict[str, dict[str, set[str]]] = {}
    for name, kind in contract.kinds.items():
        names = [f"stg_{name}"] + ([f"stg_{name.removesuffix('s')}_scores"] if kind.dimensions else [])
        out[name] = {t: cols[t] for t in names if t in cols}
    return out


def _table_with(tables: dict[str, set[str]], needed: list[str]) -> str | None:
    for t, cols in tables.items():
        if all(c in cols for c in needed):
            return t
    return None


def _bound(value, settings: dict):
    """A range bound from the contract: a number, or the name of a setting (score_max)."""
    if value is None:
        return None
    if isinstance(value, str):
        return float(settings.get(value, 100))
    return float(value)


def build_checks(con: duckdb.DuckDBPyConnection, contract: Contract, gx, families: dict) -> list[Check]:
    E = gx.expectations
    checks: list[Check] = []
    by_kind = kind_tables(con, contract)

    def add(family: str, kind: str, table: str, expectation, value_col: str, columns: tuple, *, col: str = "",
            where: str = "TRUE", extra: str = "", **fmt) -> None:
        fam = families[family]
        fields = {"kind": contract.kinds[kind].label, "kind_code": kind, "column": contract.label(kind, col) if col
                  else "", "col": col, **fmt}
        checks.append(Check(rule=fam["id"].format(**fields), severity=fam["severity"],
                            title=fam["title"].format(**fields),
                            message=fam["message"].format(**fields, value="{value}"), table=table,
                            expectation=expectation, value_col=value_col, where=where, extra_select=extra,
                            columns=columns))

    for kname, kind in contract.kinds.items():
        tables = by_kind.get(kname) or {}
        if not tables:
            continue
        for cname, spec in kind.columns.items():
            if spec.type == "vocab" and spec.vocab in contract.vocabularies:
                table = _table_with(tables, [cname, f"{cname}_raw"])
                if table:
                    n = len(checks)
                    known = f'"{cname}"'
                    if (kname, cname) in BOOLEAN_VOCAB:  # stored as true/false: its codes are yes/no
                        known = f'CASE WHEN "{cname}" THEN \'yes\' WHEN NOT "{cname}" THEN \'no\' END'
                    add("vocab", kname, table,
                        E.ExpectColumnValuesToBeInSet(column=f"_check{n}",
                                                      value_set=contract.vocabularies[spec.vocab].codes),
                        f"{cname}_raw", (f"{cname}_raw",), col=cname, vocab=spec.vocab,
                        extra=f'CASE WHEN "{cname}" IS NULL AND "{cname}_raw" IS NOT NULL THEN \'?\' || "{cname}_raw" '
                              f'ELSE {known} END AS _check{n}')
            if spec.required and spec.type not in ("daterange",):
                table = _table_with(tables, [cname])
                if table:
                    add("required", kname, table, E.ExpectColumnValuesToNotBeNull(column=cname), cname, (cname,),
                        col=cname)
            if spec.type in ("count", "number"):
                table = _table_with(tables, [cname])
                if not table:
                    continue
                lo = _bound(spec.min if spec.min is not None else 0, contract.settings)
                hi = _bound(spec.max, contract.settings)
                add(spec.type, kname, table,
                    E.ExpectColumnValuesToBeBetween(column=cname, min_value=lo, max_value=hi),
                    cname, (cname,), col=cname, min=f"{lo:g}", max=f"{hi:g}" if hi is not None else "")
        key = list(kind.key)
        if key and kind.check_key:
            table = _table_with(tables, key)
            if table:
                n = len(checks)
                if _several_counties(con, table):
                    key = ["county", *key]  # a key is unique within its county (two counties both have 第一轮)
                add("unique_key", kname, table,
                    E.ExpectCompoundColumnsToBeUnique(column_list=key) if len(key) > 1
                    else E.ExpectColumnValuesToBeUnique(column=key[0]),
                    f"_key{n}", tuple(key), key="、".join(contract.label(kname, k) for k in key if k != "county"),
                    where=" AND ".join(f'"{k}" IS NOT NULL' for k in key),
                    extra="concat_ws(' / ', " + ", ".join(f'"{k}"' for k in key) + f") AS _key{n}")
    return checks


def _several_counties(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        return con.execute(f"SELECT count(DISTINCT county) FROM {table}").fetchone()[0] > 1
    except duckdb.Error:
        return False


def run_checks(con: duckdb.DuckDBPyConnection, contract: Contract, families: dict
               ) -> tuple[list[dict], list[Check]]:
    """Run every GX check; return one finding per offending source row, and the checks (their rules)."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    except Exception:
        pass
    source = context.data_sources.add_pandas("warehouse")
    findings: list[dict] = []
    checks = build_checks(con, contract, gx, families)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, chk in enumerate(checks):
        groups.setdefault((chk.table, chk.where), []).append(i)
    for g, ((table, where), members) in enumerate(groups.items()):
        cols = list(dict.fromkeys(["src_file", "src_sheet", "src_row", *(c for i in members for c in checks[i].columns)]))
        sel = ", ".join([f'"{c}"' for c in cols] + [checks[i].extra_select for i in members if checks[i].extra_select])
        df: pd.DataFrame = con.execute(f"SELECT {sel} FROM {table} WHERE {where}").df()
        if df.empty:
            continue
        df = df.reset_index(drop=True)
        asset = source.add_dataframe_asset(name=f"a{g}")
        batch = asset.add_batch_definition_whole_dataframe(f"b{g}").get_batch(batch_parameters={"dataframe": df})
        suite = gx.ExpectationSuite(name=f"{table}_{g}")
        for i in members:
            exp = checks[i].expectation
            exp.meta = {"check": i}
            suite.add_expectation(exp)
        res = batch.validate(suite, result_format={"result_format": "COMPLETE"})
        for r in res.results:
            if r.success:
                continue
            chk = checks[int(r.expectation_config.meta["check"])]
            for idx in r.result.get("unexpected_index_list") or []:
                row = df.iloc[idx] if isinstance(idx, int) else df.iloc[int(idx.get("index", idx))]
                value = row.get(chk.value_col)
                value = None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
                findings.append({"rule": chk.rule, "severity": chk.severity,
                                 "message": chk.message.format(value=value if value is not None else ""),
                                 "file": row["src_file"], "sheet": row["src_sheet"], "row": int(row["src_row"]),
                                 "value": value})
    return findings, checks
