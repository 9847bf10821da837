"""xuncha command line: a thin layer that parses flags, calls one function, prints the result."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipelines.cli_text import ZhCommand, ZhGroup

app = typer.Typer(cls=ZhGroup, add_completion=False, no_args_is_help=True, rich_markup_mode=None, pretty_exceptions_show_locals=False,
                  help="xuncha：县委巡察办台账入库、校验与离线报告。\n\n示例：xuncha demo")

RAW = Path("data_raw")
DB = Path("data_clean/warehouse.duckdb")
OUT = Path("reports")

RawOpt = Annotated[Path, typer.Option("--raw", help="原始台账文件夹")]
DbOpt = Annotated[Path, typer.Option("--db", help="DuckDB 数据仓库文件")]
OutOpt = Annotated[Path, typer.Option("--out", help="报告输出文件夹")]
EXIT_UNUSABLE = 2  # the warehouse is missing, held read-write by another program, or another version's

CountyOpt = Annotated[str, typer.Option("--county", help="数据仓库中有几个县（市、区）时只看其中一个（写全称，如 民乐县）；"
                                                          "不给则为全部县（各县分别计算，另给合计）")]
JsonOpt = Annotated[bool, typer.Option("--json", help="以 JSON 输出结果（供定时任务和脚本使用）")]
CfgOpt = Annotated[Optional[Path], typer.Option("--config", help="配置文件夹（默认：当前文件夹下的 config/，"
                                                 "含 settings.yaml、contract.yaml、本县口径.xlsx）")]


def _echo_json(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _fail(msg: str, code: int = 2) -> None:
    typer.echo(f"错误：{msg}", err=True)
    raise typer.Exit(code)


def _contract(cfg: Optional[Path]):
    """The contract of the working folder (config/ or --config DIR) with the analyst's answers applied."""
    from pipelines import workspace
    from pipelines.contract import ContractError

    try:
        return workspace.load(cfg)
    except ContractError as exc:
        _fail(str(exc))


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
    _print_answers(summary)
    ignored = summary.get("files_ignored", [])
    typer.echo(f"已读取 {summary['files_seen']} 个文件：入库 {summary['files_ingested']} 个，"
               f"重复 {summary['files_duplicate']} 个，失败 {len(summary['files_failed'])} 个"
               + (f"，不是台账已忽略 {len(ignored)} 个" if ignored else ""))
    typer.echo(f"数据行：读取 {summary['rows_read']} 行 = 入库 {summary['rows_loaded']} + 隔离 "
               f"{summary['rows_quarantined']} + 跳过（标题/表头/小标题/表尾）{summary['rows_skipped']}")
    for k, n in summary["loaded_by_kind"].items():
        typer.echo(f"  {c.code_label('kind', k)}：{n} 行")
    counties = summary.get("counties") or {}
    if len(counties) > 1:
        typer.echo(f"{len(counties)} 个县（市、区），各自按本县的名册识别单位和轮次："
                   + "；".join(f"{name} {d['files']} 个文件 {d['rows']} 行" for name, d in counties.items()))
    for f in summary["files_failed"]:
        typer.echo(f"[失败] {f['file']}：{f['error']}")
    if ignored:
        shown = "、".join(ignored[:10]) + (f" 等 {len(ignored)} 个" if len(ignored) > 10 else "")
        typer.echo(f"[{c.code_label('file_status', 'ignored')}] {len(ignored)} 个文件：{shown}")
    for s in summary["sheets_unclassified"]:
        typer.echo(f"[未识别的工作表] {s['file']}「{s['sheet']}」表头：{s['header'][:80]}")
    for s in summary.get("sheets_uncertain", []):
        cands = "或".join(f"「{c.code_label('kind', x['kind'])}」" for x in s["candidates"][:2])
        typer.echo(f"[类型待确认] {s['file']}「{s['sheet']}」可能是{cands}，各行暂不入库：{'；'.join(s['reasons'])[:200]}")
    for s in summary.get("sheets", []):
        if s.get("decision") == "loaded" and s.get("missing_columns"):
            cols = "、".join(f"「{c.label(s['kind'], x)}」" for x in s["missing_columns"])
            typer.echo(f"[缺必填列] {s['file']}「{s['sheet']}」没有{cols}列，各行暂不入库：请在待确认事项的「列名」中确认")
    if summary["rows_quarantined"]:
        reasons = "，".join(f"{c.code_label('reason', k)} {v} 行" for k, v in summary.get("quarantine_by_reason", {}).items())
        typer.echo(f"[隔离] {summary['rows_quarantined']} 行（{reasons}）。运行 `xuncha validate` 生成问题清单 "
                   f"（reports/quality/），或查询 {db} 中的 quarantine 表")


ShrinkOpt = Annotated[bool, typer.Option("--allow-shrink", help="台账明显少于上次（或文件夹为空）时仍然重建数据仓库")]


def _print_questions(result: dict) -> None:
    n = result.get("n_questions") or {}
    if any(n.values()):
        parts = "，".join(f"{k} {v}" for k, v in n.items() if v)
        typer.echo(f"待确认事项：{result['questions']}（{parts}）。在 Excel 中从「确认」列的下拉列表选择答案，保存后运行 "
                   f"`xuncha confirm {result['questions']}`")


def _print_answers(summary: dict) -> None:
    a = summary.get("answers") or {}
    if a.get("n_answers"):
        typer.echo(f"本县口径：{a['n_answers']} 条答案，本次用上 {a['n_applied']} 条（{a['file']}，指纹 {a['sha256']}）")
        for u in a.get("unused", []):
            where = f"（{u['county']}）" if u.get("county") else ""
            typer.echo(f"[未用上的答案]「{u['sheet']}」{u['seen']}{where} → {u['answer']}：本次入库中没有出现，"
                       f"如已不需要可在 config/本县口径.xlsx 中删除这一行")


def _version(value: bool) -> None:
    if value:
        from pipelines import __version__

        typer.echo(f"xuncha {__version__}")
        raise typer.Exit(0)


@app.callback()
def _startup(version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                                   help="显示版本号后退出")] = False) -> None:
    from pipelines.checkout import foreign_environment

    problem = foreign_environment()
    if problem:
        _fail(problem)


@app.command(cls=ZhCommand)
def init(dir: Annotated[Path, typer.Argument(help="要建立的工作文件夹（一个县、市或区一个）")],
         county: Annotated[Optional[str], typer.Option("--county", help="县（市、区）全称，如 山丹县；不给则从名册推断")] = None,
         copy_contract: Annotated[bool, typer.Option("--copy-contract", help="把自带的数据契约 contract.yaml 复制到 config/ 以便修改")] = False
         ) -> None:
    """建立一个县的工作文件夹 data_raw、data_clean、reports、config（县名写入 config/settings.yaml）。示例：xuncha init 山丹县 --county 山丹县"""
    from pipelines.workspace_init import InitError, init_workspace

    try:
        res = init_workspace(dir, county, copy_contract=copy_contract)
    except InitError as exc:
        _fail(str(exc))
    for p in res.created:
        typer.echo(f"已建立 {p}")
    for p in res.kept:
        typer.echo(f"已存在，未改动 {p}")
    typer.echo(f"工作文件夹：{res.root}。下一步：把台账复制到 {res.root / 'data_raw'}，然后在 {res.root} 中运行 "
               "xuncha ingest、xuncha validate、xuncha report（或先运行 xuncha demo 看演示）")


def _unusable(exc: Exception) -> None:
    """A warehouse that is missing, held by another program or another version's: one line, the fix, exit 2."""
    _fail(str(exc), EXIT_UNUSABLE)


@app.command(cls=ZhCommand)
def ingest(raw: RawOpt = RAW, db: DbOpt = DB, json_: JsonOpt = False,
           workers: Annotated[Optional[int], typer.Option(help="并行解析进程数（默认按文件数自动）")] = None,
           allow_shrink: ShrinkOpt = False, config: CfgOpt = None) -> None:
    """把原始台账读入 DuckDB 数据仓库。示例：xuncha ingest --raw data_raw --json"""
    from pipelines.ingest.build import ingest as run

    contract = _contract(config)

    progress = None
    bar = None
    if not json_ and sys.stderr.isatty():
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task("读取台账", total=None)

        def progress(name: str) -> None:
            bar.update(task, advance=1, description=f"读取 {name[-40:]}")
    from pipelines.ingest.build import ShrinkRefused
    from pipelines.warehouse.db import WarehouseLocked, WarehouseUnwritable

    try:
        summary = run(raw, db, contract=contract, workers=workers, progress=progress, allow_shrink=allow_shrink)
    except (FileNotFoundError, NotADirectoryError) as exc:
        _fail(str(exc))
    except ShrinkRefused as exc:
        _fail(str(exc), 3)
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


@app.command(cls=ZhCommand)
def validate(db: DbOpt = DB, out: OutOpt = OUT, json_: JsonOpt = False, config: CfgOpt = None) -> None:
    """运行全部校验规则，写出数据质量页、问题清单与待确认事项（reports/quality/待确认事项.xlsx）。
    示例：xuncha validate --json"""
    from pipelines.contract import default_contract
    from pipelines.validate.run import validate as run
    from pipelines.warehouse.db import WarehouseMissing, WarehouseUnusable

    contract = _contract(config)
    try:
        result = run(db, out, contract=contract)
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
                typer.echo(f"  {result['titles'].get(rule, rule)}：{n} 条")
        typer.echo(f"问题清单：{result['page']}  （Excel：{result['xlsx']}）")
        _print_questions(result)
    raise typer.Exit(1 if result["status"] == "fail" else 0)


@app.command(cls=ZhCommand)
def metrics(db: DbOpt = DB, as_of: Annotated[Optional[str], typer.Option("--as-of", help="统计截至日期 YYYY-MM-DD")] = None,
            period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM（取该月最后一天）")] = None,
            json_: JsonOpt = False, config: CfgOpt = None, county: CountyOpt = "") -> None:
    """计算核心指标（口径见 docs/data-contract.md）；仓库中有几个县时另给各县的指标（by_county）。
    示例：xuncha metrics --as-of 2020-06-30 --json"""
    from pipelines.metrics import metric_rows
    from pipelines.metrics import metrics as run
    from pipelines.warehouse.db import UnknownCounty, WarehouseMissing, WarehouseUnusable

    _contract(config)  # a broken configuration is reported here too, not first in the monthly job

    when = _as_of(period, as_of)
    try:
        m = run(db, when, county=county or None)
    except (WarehouseMissing, WarehouseUnusable) as exc:
        _unusable(exc)
    except UnknownCounty as exc:
        _fail(str(exc))
    if json_:
        _echo_json(m)
        return
    by = m.pop("by_county", None)
    for title, part in ([("合计（各县相加）", m)] + list((by or {}).items())) if by else [("", m)]:
        if title:
            typer.echo(f"\n【{title}】")
        rows = metric_rows(part)
        width = max(len(name) for name, _ in rows)
        typer.echo(f"{'指标'.ljust(width, '　')}  数值")
        for name, text in rows:
            typer.echo(f"{name.ljust(width, '　')}  {text}")


@app.command(cls=ZhCommand)
def report(db: DbOpt = DB, out: OutOpt = OUT,
           period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM")] = None,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="统计截至日期 YYYY-MM-DD")] = None,
           show_names: Annotated[bool, typer.Option("--show-names", help="在线索报告中显示人名（默认隐去）")] = False,
           round_: Annotated[str, typer.Option("--round", help="只看某一轮次：全称或唯一的简称，如 第五轮")] = "",
           unit_type: Annotated[str, typer.Option("--unit-type", help="只看某类单位：乡镇、县直部门、国有企业、事业单位、村、社区")] = "",
           config: CfgOpt = None, county: CountyOpt = "") -> None:
    """渲染一期报告（月度简报、覆盖、整改、线索、政治生态、数据质量）；仓库中有几个县时为每个县各出一套
    （reports/<期间>/<县名>/），另加概览页 reports/<期间>/overview.html。示例：xuncha report --period 2020-06"""
    from pipelines.report.render import BadFilter, ReportError, render_set
    from pipelines.warehouse.db import UnknownCounty, WarehouseMissing, WarehouseUnusable

    contract = _contract(config)
    when = _as_of(period, as_of)
    try:
        res = render_set(db, out, as_of=when, redact=not show_names, round_filter=round_, unit_type_filter=unit_type,
                         contract=contract, county=county)
    except (WarehouseMissing, WarehouseUnusable) as exc:
        _unusable(exc)
    except UnknownCounty as exc:
        _fail(str(exc))
    except BadFilter as exc:
        _fail(str(exc), 2)
    except ReportError as exc:
        _fail(str(exc), 1)
    for p in res["files"]:
        typer.echo(f"已生成 {p}")
    typer.echo(f"索引：{res['index']}")


@app.command(cls=ZhCommand)
def export(db: DbOpt = DB, out: OutOpt = OUT,
           period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM")] = None,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="统计截至日期 YYYY-MM-DD")] = None,
           show_names: Annotated[bool, typer.Option("--show-names", help="汇总台账中包含线索被反映人等人名（默认隐去）")] = False,
           json_: JsonOpt = False, config: CfgOpt = None, county: CountyOpt = "") -> None:
    """写出汇总台账.xlsx、督办清单/（每个有未完成整改问题的单位一个工作簿）和月度简报.docx；仓库中有几个县时
    每个县各写一份到 reports/<期间>/<县名>/。示例：xuncha export --period 2020-06"""
    from pipelines.export import ExportError, run_export
    from pipelines.warehouse.db import UnknownCounty, WarehouseMissing

    contract = _contract(config)
    try:
        res = run_export(db, out, as_of=_as_of(period, as_of), show_names=show_names, contract=contract,
                         county=county)
    except (WarehouseMissing, UnknownCounty) as exc:
        _fail(str(exc))
    except ExportError as exc:
        _fail(str(exc), 1)
    if json_:
        _echo_json(res)
        return
    for part in (res["counties"].values() if "counties" in res else [res]):
        typer.echo(f"已生成 {part['ledger']}（" + "，".join(f"{contract.code_label('kind', k)} {n} 行"
                                                          for k, n in part["rows_by_kind"].items()) + "）")
        typer.echo(f"已生成 {part['supervision']}/：{part['supervision_units']} 个单位，未完成整改 "
                   f"{part['problems_open']} 个，其中逾期 {part['problems_overdue']} 个、长期坚持 "
                   f"{part['problems_long_term']} 个")
        typer.echo(f"已生成 {part['brief_docx']}")


@app.command(cls=ZhCommand)
def template(kind: Annotated[Optional[str], typer.Option("--kind", help="台账类型（英文代码或中文名，如 problems 或 巡察反馈问题整改台账）；默认全部")] = None,
             db: Annotated[Optional[Path], typer.Option("--db", help="数据仓库：给出时单位、轮次列提供名册中的下拉选项")] = None,
             out: Annotated[Path, typer.Option("--out", help="模板写入的文件夹")] = Path("templates"),
             config: CfgOpt = None) -> None:
    """生成空白填报模板（每类台账一个工作簿，带下拉选项和填表说明）。示例：xuncha template --kind problems --db data_clean/warehouse.duckdb"""
    from pipelines.export.templates import TemplateError, write_templates
    from pipelines.warehouse.db import WarehouseMissing

    try:
        paths = write_templates(out, kinds=[kind] if kind else None, db_path=db, contract=_contract(config))
    except TemplateError as exc:
        _fail(str(exc))
    except WarehouseMissing as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"写入 {out} 失败（{exc.strerror or exc}）：请检查磁盘空间和文件夹权限", 1)
    for p in paths:
        typer.echo(f"已生成 {p}")


@app.command(cls=ZhCommand)
def monthly(raw: RawOpt = RAW, db: DbOpt = DB, out: OutOpt = OUT,
            period: Annotated[Optional[str], typer.Option(help="期间 YYYY-MM（默认：上一个自然月）")] = None,
            allow_shrink: ShrinkOpt = False, config: CfgOpt = None, county: CountyOpt = "") -> None:
    """定时任务：入库 → 校验 → 报告 → 索引，可重复运行；仓库中有几个县时出各县的报告和概览页。
    示例：xuncha monthly --period 2020-06"""
    from pipelines.monthly import run_monthly

    code, line = run_monthly(raw, db, out, period, allow_shrink=allow_shrink, contract=_contract(config),
                             county=county)
    typer.echo(line)
    raise typer.Exit(code)


@app.command(cls=ZhCommand)
def demo(dir: Annotated[Path, typer.Option("--dir", help="演示台账写入的文件夹")] = RAW / "demo",
         db: DbOpt = DB, out: OutOpt = OUT,
         seed: Annotated[int, typer.Option(help="随机种子（同一种子生成相同台账）")] = 20200630,
         counties: Annotated[int, typer.Option(help="县的个数（规模测试用）")] = 1,
         problems: Annotated[int, typer.Option(help="每县反馈问题数")] = 1000,
         messy: Annotated[bool, typer.Option("--messy/--tidy", help="是否生成真实台账的各种不规范写法")] = True,
         only_data: Annotated[bool, typer.Option("--only-data", help="只生成台账，不入库、不出报告")] = False,
         plain_names: Annotated[bool, typer.Option("--plain-names", help="几个县时每个县按单独一个县的写法生成"
                                                   "（县财政局、十四届县委第一轮巡察 等名称在各县重复），不加县名前缀")] = False,
         config: CfgOpt = None) -> None:
    """生成山丹县演示台账（与原文数字一致），然后入库 → 校验 → 出月度报告。示例：xuncha demo"""
    from pipelines.demo.generate import generate

    contract = _contract(config)
    exp = generate(dir, seed=seed, counties=counties, problems_per_county=problems, messy=messy,
                   plain_names=plain_names)
    typer.echo(f"演示台账已写入 {dir}（{len(exp['files'])} 个文件，真值见 {dir / 'expected.json'}）")
    if only_data:
        return
    from pipelines.ingest.build import ingest as run_ingest
    from pipelines.report.render import render_set
    from pipelines.validate.run import validate as run_validate

    summary = run_ingest(dir, db, contract=contract)
    _print_ingest(summary, db)
    result = run_validate(db, out, contract=contract)
    from pipelines.contract import default_contract

    status = default_contract().code_label("validation_status", result["status"])
    typer.echo(f"校验：{status}（错误 {result['n_errors']} 条，均来自演示中故意放入的坏行；警告 "
               f"{result['n_warnings']} 条）")
    as_of = dt.date.fromisoformat(exp["as_of"])
    res = render_set(db, out, as_of=as_of)
    typer.echo(f"报告：{res['index']}（{len(res['files'])} 个页面，截至 {as_of}）")


@app.command(cls=ZhCommand)
def confirm(file: Annotated[Optional[Path], typer.Argument(help="填好「确认」列的待确认事项.xlsx")] = None,
            db: DbOpt = DB, config: CfgOpt = None,
            list_: Annotated[bool, typer.Option("--list", help="列出本县口径中的全部答案，以及上次入库是否用上")] = False
            ) -> None:
    """把待确认事项中的答案并入 config/本县口径.xlsx，下次入库生效。
    示例：xuncha confirm reports/quality/待确认事项.xlsx"""
    from pipelines import answers as A
    from pipelines import workspace

    cfg = workspace.config_dir(config)
    if list_:
        _list_answers(cfg, db)
        return
    if file is None:
        _fail("请给出待确认事项文件，例如：xuncha confirm reports/quality/待确认事项.xlsx（或用 --list 查看已有答案）")
    from pipelines.contract import ContractError

    try:
        res = A.confirm(file, cfg, db)
    except (A.AnswerError, ContractError) as exc:
        _fail(str(exc))
    if res["errors"]:
        for e in res["errors"]:
            typer.echo(f"错误：{e}", err=True)
        typer.echo(f"有 {len(res['errors'])} 个答案不能使用，未做任何修改：请在 Excel 中改正后重新运行 xuncha confirm", err=True)
        raise typer.Exit(2)
    for r in res["added"]:
        typer.echo(f"新增「{r.sheet}」{r.get(A.SEEN)} → {r.get(A.ANSWER)}" + (f"（{r.get(A.TYPE)}）" if r.get(A.TYPE) else ""))
    for r in res["changed"]:
        typer.echo(f"修改「{r.sheet}」{r.get(A.SEEN)} → {r.get(A.ANSWER)}")
    typer.echo(f"已写入 {res['file']}：新增 {len(res['added'])} 条，修改 {len(res['changed'])} 条，"
               f"未变 {res['unchanged']} 条；还有 {res['pending']} 条未回答（留待以后）。下次 xuncha ingest 时生效")


def _list_answers(cfg: Path, db: Path) -> None:
    from pipelines import answers as A
    from pipelines import workspace
    from pipelines.contract import ContractError

    try:
        rows = A.read_answers(workspace.answers_file(cfg))
    except ContractError as exc:
        _fail(str(exc))
    if not rows:
        typer.echo(f"{workspace.answers_file(cfg)} 中还没有答案")
        return
    uses = {}
    if Path(db).exists():
        from pipelines.warehouse import db as W

        with W.connect_ro(Path(db)) as con:
            got = con.execute("SELECT summary FROM warehouse_meta LIMIT 1").fetchone()
        for u in (json.loads(got[0]).get("answers") or {}).get("uses", []) if got else []:
            uses[(u["sheet"], u["seen"], u.get("county", ""))] = u["used"]
    typer.echo(f"{workspace.answers_file(cfg)}：{len(rows)} 条答案")
    for r in rows:
        county = r.get(A.COUNTY) if r.sheet == A.NAME else ""
        n = uses.get((r.sheet, r.get(A.SEEN), county))
        state = "上次入库未运行" if n is None else f"上次入库用上 {n} 处" if n else "上次入库没有用上（台账中已不出现）"
        typer.echo(f"「{r.sheet}」{r.get(A.SEEN)}{f'（{county}）' if county else ''} → {r.get(A.ANSWER)}：{state}")


def main() -> None:
    """The `xuncha` program: the commands, with the argument parser's own errors in Chinese."""
    from pipelines.cli_text import show_error

    clk = typer.core._click
    try:
        rv = app(standalone_mode=False)
    except clk.exceptions.ClickException as exc:
        sys.exit(show_error(exc, lambda s: typer.echo(s, err=True)))
    except clk.exceptions.Abort:
        typer.echo("已中止。", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
