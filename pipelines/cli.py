"""xuncha command line: a thin layer that parses flags, calls one function, prints the result."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_show_locals=False,
                  help="xuncha：县委巡察办台账入库、校验与离线报告。\n\n示例：xuncha demo")

RAW = Path("data_raw")
DB = Path("data_clean/warehouse.duckdb")
OUT = Path("reports")

RawOpt = Annotated[Path, typer.Option("--raw", help="原始台账文件夹")]
DbOpt = Annotated[Path, typer.Option("--db", help="DuckDB 数据仓库文件")]
OutOpt = Annotated[Path, typer.Option("--out", help="报告输出文件夹")]
EXIT_UNUSABLE = 2  # the warehouse is missing, held read-write by another program, or another version's

JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（供定时任务和脚本使用）")]


def _echo_json(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"错误：{msg}", err=True)
    raise typer.Exit(code)


def _as_of(period: Optional[str], as_of: Optional[str]) -> Optional[dt.date]:
    from pipelines.metrics import BadDate, parse_as_of, period_end

    if period and as_of:
        _fail("--period 与 --as-of 只能二选一")
    try:
        if period:
            return period_end(period)
        if as_of:
            return parse_as_of(as_of)
    except BadDate as exc:
        _fail(str(exc))
    return None


def _print_ingest(summary: dict, db: Path) -> None:
    """The ingest summary for people: every kind, reason and status by its Chinese name (the contract's)."""
    from pipelines.contract import default_contract

    c = default_contract()
    ignored = summary.get("files_ignored", [])
    typer.echo(f"已读取 {summary['files_seen']} 个文件：入库 {summary['files_ingested']} 个，"
               f"重复 {summary['files_duplicate']} 个，失败 {len(summary['files_failed'])} 个"
               + (f"，不是台账已忽略 {len(ignored)} 个" if ignored else ""))
    typer.echo(f"数据行：读取 {summary['rows_read']} 行 = 入库 {summary['rows_loaded']} + 隔离 "
               f"{summary['rows_quarantined']} + 跳过（标题/表头/小标题/表尾）{summary['rows_skipped']}")
    for k, n in summary["loaded_by_kind"].items():
        typer.echo(f"  {c.code_label('kind', k)}：{n} 行")
    for f in summary["files_failed"]:
        typer.echo(f"[失败] {f['file']}：{f['error']}")
    if ignored:
        shown = "、".join(ignored[:10]) + (f" 等 {len(ignored)} 个" if len(ignored) > 10 else "")
        typer.echo(f"[{c.code_label('file_status', 'ignored')}] {len(ignored)} 个文件：{shown}")
    for s in summary["sheets_unclassified"]:
        typer.echo(f"[未识别的工作表] {s['file']}「{s['sheet']}」表头：{s['header'][:80]}")
    if summary["rows_quarantined"]:
        reasons = "，".join(f"{c.code_label('reason', k)} {v} 行" for k, v in summary.get("quarantine_by_reason", {}).items())
        typer.echo(f"[隔离] {summary['rows_quarantined']} 行（{reasons}）。运行 `xuncha validate` 生成问题清单 "
                   f"（reports/quality/），或查询 {db} 中的 quarantine 表")


def _unusable(exc: Exception) -> None:
    """A warehouse that is missing, held by another program or another version's: one line, the fix, exit 2."""
    _fail(str(exc), EXIT_UNUSABLE)


@app.command()
def ingest(raw: RawOpt = RAW, db: DbOpt = DB, json_: JsonOpt = False,
           workers: Annotated[Optional[int], typer.Option(help="并行解析进程数（默认按文件数自动）")] = None) -> None:
    """把原始台账读入 DuckDB 数据仓库。示例：xuncha ingest --raw data_raw --json"""
    from pipelines.ingest.build import ingest as run

    progress = None
    bar = None
    if not json_ and sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("读取台账", total=None)

        def progress(name: str) -> None:
            bar.update(task, advance=1, description=f"读取 {name[-40:]}")
    from pipelines.warehouse.db import WarehouseLocked, WarehouseUnwritable

    try:
        summary = run(raw, db, workers=workers, progress=progress)
    except (FileNotFoundError, NotADirectoryError) as exc:
        _fail(str(exc))
    except WarehouseLocked as exc:
        _fail(str(exc), 1)
    except WarehouseUnwritable as exc:
        _fail(str(exc), 2 if "建立" in str(exc) else 1)
    except OSError as exc:  # e.g. the disk filled up while the new warehouse was written
        _fail(f"写入数据仓库 {db} 失败（{exc.strerror or exc}）：原仓库未改动。请检查磁盘空间和权限后重试", 1)
    finally:
        if bar:
            bar.stop()
    if json_:
        _echo_json(summary)
    else:
        _print_ingest(summary, db)
    raise typer.Exit(1 if summary["files_failed"] else 0)


@app.command()
def validate(db: DbOpt = DB, out: OutOpt = OUT, json_: JsonOpt = False) -> None:
    """运行全部校验规则，写出数据质量页与问题清单。示例：xuncha validate --json"""
    from pipelines.contract import default_contract
    from pipelines.validate.quality import rule_title
    from pipelines.validate.run import validate as run
    from pipelines.warehouse.db import WarehouseMissing, WarehouseUnusable

    try:
        result = run(db, out)
    except (WarehouseMissing, WarehouseUnusable) as exc:
        _unusable(exc)
    except OSError as exc:  # the quality page or the warehouse could not be written
        _fail(f"{exc}：请检查磁盘空间和 {out} 的写权限" if not str(exc).startswith(("无法", "写入")) else str(exc), 1)
    if json_:
        _echo_json({k: result[k] for k in ("status", "counts", "findings")})
    else:
        status = default_contract().code_label("validation_status", result["status"])
        typer.echo(f"校验结果：{status}（错误 {result['n_errors']} 条，警告 {result['n_warnings']} 条）")
        for rule, n in result["counts"].items():
            if n:
                typer.echo(f"  {rule_title(rule)}：{n} 条")
        typer.echo(f"问题清单：{result['page']}  （Excel：{result['xlsx']}）")
    raise typer.Exit(1 if result["status"] == "fail" else 0)


@app.command()
def metrics(db: DbOpt = DB, as_of: Annotated[Optional[str], typer.Option("--as-of", help="统计截至日期 YYYY-MM-DD")] = None,
            period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM（取该月最后一天）")] = None,
            json_: JsonOpt = False) -> None:
    """计算 DATA_CONTRACT 第 6 节的核心指标。示例：xuncha metrics --as-of 2020-06-30 --json"""
    from pipelines.metrics import metric_rows
    from pipelines.metrics import metrics as run
    from pipelines.warehouse.db import WarehouseMissing, WarehouseUnusable

    when = _as_of(period, as_of)
    try:
        m = run(db, when)
    except (WarehouseMissing, WarehouseUnusable) as exc:
        _unusable(exc)
    if json_:
        _echo_json(m)
    else:
        rows = metric_rows(m)
        width = max(len(name) for name, _ in rows)
        typer.echo(f"{'指标'.ljust(width, '　')}  数值")
        for name, text in rows:
            typer.echo(f"{name.ljust(width, '　')}  {text}")


@app.command()
def report(db: DbOpt = DB, out: OutOpt = OUT,
           period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM")] = None,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="统计截至日期 YYYY-MM-DD")] = None,
           show_names: Annotated[bool, typer.Option("--show-names", help="在线索报告中显示人名（默认隐去）")] = False,
           round_: Annotated[str, typer.Option("--round", help="只看某一轮次：全称或唯一的简称，如 第五轮")] = "",
           unit_type: Annotated[str, typer.Option("--unit-type", help="只看某类单位：乡镇、县直部门、国有企业、事业单位、村、社区")] = "",
           ) -> None:
    """渲染一期报告（月度简报、覆盖、整改、线索、政治生态、数据质量）。示例：xuncha report --period 2020-06"""
    from pipelines.report.render import BadFilter, ReportError, render_set
    from pipelines.warehouse.db import WarehouseMissing, WarehouseUnusable

    when = _as_of(period, as_of)
    try:
        res = render_set(db, out, as_of=when, redact=not show_names, round_filter=round_, unit_type_filter=unit_type)
    except (WarehouseMissing, WarehouseUnusable) as exc:
        _unusable(exc)
    except BadFilter as exc:
        _fail(str(exc), 2)
    except ReportError as exc:
        _fail(str(exc), 1)
    for p in res["files"]:
        typer.echo(f"已生成 {p}")
    typer.echo(f"索引：{res['index']}")


@app.command()
def monthly(raw: RawOpt = RAW, db: DbOpt = DB, out: OutOpt = OUT,
            period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM（默认：上一个自然月）")] = None) -> None:
    """定时任务：入库 → 校验 → 报告 → 索引，可重复运行。示例：xuncha monthly --period 2020-06"""
    from pipelines.monthly import run_monthly

    code, line = run_monthly(raw, db, out, period)
    typer.echo(line)
    raise typer.Exit(code)


@app.command()
def demo(dir: Annotated[Path, typer.Option("--dir", help="演示台账写入的文件夹")] = RAW / "demo",
         db: DbOpt = DB, out: OutOpt = OUT,
         seed: Annotated[int, typer.Option(help="随机种子（同一种子生成相同台账）")] = 20200630,
         counties: Annotated[int, typer.Option(help="县的个数（规模测试用）")] = 1,
         problems: Annotated[int, typer.Option(help="每县反馈问题数")] = 1000,
         messy: Annotated[bool, typer.Option("--messy/--tidy", help="是否生成真实台账的各种不规范写法")] = True,
         only_data: Annotated[bool, typer.Option("--only-data", help="只生成台账，不入库、不出报告")] = False) -> None:
    """生成山丹县演示台账（与原文数字一致），然后入库 → 校验 → 出月度报告。示例：xuncha demo"""
    from pipelines.demo.generate import generate

    exp = generate(dir, seed=seed, counties=counties, problems_per_county=problems, messy=messy)
    typer.echo(f"演示台账已写入 {dir}（{len(exp['files'])} 个文件，真值见 {dir / 'expected.json'}）")
    if only_data:
        return
    from pipelines.ingest.build import ingest as run_ingest
    from pipelines.report.render import render_set
    from pipelines.validate.run import validate as run_validate

    summary = run_ingest(dir, db)
    _print_ingest(summary, db)
    result = run_validate(db, out)
    from pipelines.contract import default_contract

    status = default_contract().code_label("validation_status", result["status"])
    typer.echo(f"校验：{status}（错误 {result['n_errors']} 条，均来自演示中故意放入的坏行；警告 "
               f"{result['n_warnings']} 条）")
    as_of = dt.date.fromisoformat(exp["as_of"])
    res = render_set(db, out, as_of=as_of)
    typer.echo(f"报告：{res['index']}（{len(res['files'])} 个页面，截至 {as_of}）")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
