"""Great Expectations suites for the column and row rules, built from the contract.

GX 1.x's SQL datasource cannot run on DuckDB here, so each staging table is queried
into a pandas frame and validated with GX's pandas datasource; unexpected row indexes
are mapped back to the source file, sheet and row. Imported only by the validate step.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import duckdb
import pandas as pd

from pipelines.contract import Contract

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


def build_checks(contract: Contract, gx) -> list[Check]:
    E = gx.expectations
    checks: list[Check] = []
    vocab_cols = {
        "problems": ["status", "category", "transferred_to"],
        "leads": ["status", "transferred_to", "disposal"],
        "rounds": ["round_kind", "level"],
        "units": ["unit_type"],
        "assessments": ["grade"],
        "meetings": ["meeting_type"],
        "team": ["role", "specialty"],
    }
    for kind, cols in vocab_cols.items():
        table = "stg_assessments" if kind == "assessments" else f"stg_{kind}"
        for col in cols:
            spec = contract.kinds[kind].columns[col]
            codes = contract.vocabularies[spec.vocab].codes
            checks.append(Check(
                rule=f"vocab_{kind}_{col}", severity="error",
                message=f"「{contract.label(kind, col)}」的值「{{value}}」不在词表中：请改用规范写法，"
                        f"或在 contract.yaml 的词表 {spec.vocab} 中补充该写法",
                table=table,
                expectation=E.ExpectColumnValuesToBeInSet(column="_check", value_set=codes),
                value_col=f"{col}_raw", columns=(f"{col}_raw",),
                extra_select=f"CASE WHEN {col} IS NULL AND {col}_raw IS NOT NULL THEN '?' || {col}_raw "
                             f"ELSE {col} END AS _check"))
    for kind in ("problems", "leads", "inspections", "rounds", "checklist", "team"):
        key = list(contract.kinds[kind].key)
        not_null = " AND ".join(f'"{k}" IS NOT NULL' for k in key)
        checks.append(Check(
            rule=f"unique_key_{kind}", severity="error",
            message=f"{contract.kinds[kind].label}中主键（{'、'.join(contract.label(kind, k) for k in key)}）"
                    f"重复：「{{value}}」出现多次且内容不同，请删除重复行或更正编号",
            table=f"stg_{kind}",
            expectation=(E.ExpectCompoundColumnsToBeUnique(column_list=key) if len(key) > 1
                         else E.ExpectColumnValuesToBeUnique(column=key[0])),
            value_col="_key", where=not_null, columns=tuple(key),
            extra_select="concat_ws(' / ', " + ", ".join(f'"{k}"' for k in key) + ") AS _key"))
    for table, cols in (("stg_round_stats", ["problems_found", "problems_rectified", "leads_transferred",
                                             "leads_closed", "n_disciplined", "n_org_handled"]),
                        ("stg_leads", ["n_disciplined", "n_org_handled"])):
        for col in cols:
            checks.append(Check(rule="negative_count", severity="error",
                                message=f"人数或件数不能为负数：{col} = {{value}}",
                                table=table, expectation=E.ExpectColumnValuesToBeBetween(column=col, min_value=0),
                                value_col=col, columns=(col,)))
    smax = float(contract.settings.get("score_max", 100))
    tmax = float(contract.settings.get("total_max", 100))
    checks.append(Check(rule="score_out_of_range", severity="error",
                        message=f"评价维度得分 {{value}} 超出范围 0–{smax:g}",
                        table="stg_assessment_scores",
                        expectation=E.ExpectColumnValuesToBeBetween(column="score", min_value=0, max_value=smax),
                        value_col="score", columns=("score",)))
    checks.append(Check(rule="score_out_of_range", severity="error",
                        message=f"评价总分 {{value}} 超出范围 0–{tmax:g}",
                        table="stg_assessments",
                        expectation=E.ExpectColumnValuesToBeBetween(column="total", min_value=0, max_value=tmax),
                        value_col="total", columns=("total",)))
    return checks


def run_checks(con: duckdb.DuckDBPyConnection, contract: Contract) -> tuple[list[dict], list[str]]:
    """Run every GX check; return one finding per offending source row, and the ids of all GX rules."""
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    try:
        context.variables.progress_bars = gx.data_context.types.base.ProgressBarsConfig(globally=False)
    except Exception:
        pass
    source = context.data_sources.add_pandas("warehouse")
    findings: list[dict] = []
    checks = build_checks(contract, gx)
    for i, chk in enumerate(checks):
        cols = ", ".join(f'"{c}"' for c in ("src_file", "src_sheet", "src_row", *chk.columns))
        sel = cols + (f", {chk.extra_select}" if chk.extra_select else "")
        df: pd.DataFrame = con.execute(f"SELECT {sel} FROM {chk.table} WHERE {chk.where}").df()
        if df.empty:
            continue
        df = df.reset_index(drop=True)
        asset = source.add_dataframe_asset(name=f"a{i}")
        batch = asset.add_batch_definition_whole_dataframe(f"b{i}").get_batch(batch_parameters={"dataframe": df})
        suite = gx.ExpectationSuite(name=f"{chk.rule}_{i}")
        suite.add_expectation(chk.expectation)
        res = batch.validate(suite, result_format={"result_format": "COMPLETE"})
        for r in res.results:
            if r.success:
                continue
            for idx in r.result.get("unexpected_index_list") or []:
                row = df.iloc[idx] if isinstance(idx, int) else df.iloc[int(idx.get("index", idx))]
                value = row.get(chk.value_col)
                value = None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
                findings.append({"rule": chk.rule, "severity": chk.severity,
                                 "message": chk.message.format(value=value if value is not None else ""),
                                 "file": row["src_file"], "sheet": row["src_sheet"], "row": int(row["src_row"]),
                                 "value": value})
    return findings, [c.rule for c in checks]
