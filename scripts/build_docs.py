"""Regenerate the generated parts of docs/ from the files the program itself reads.

    python scripts/build_docs.py          # rewrite docs/data-contract.md and docs/cli.md in place
    python scripts/build_docs.py --check  # exit 1 when a doc is out of date (tests/test_docs.py runs this)

The prose of each doc is written by hand; the blocks between `<!-- BEGIN generated:NAME -->` and
`<!-- END generated:NAME -->` are produced here from pipelines/config/contract.yaml, settings.yaml,
pipelines/validate/rules.yaml, the Great Expectations checks and the Typer app, so they cannot drift.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- BEGIN generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END generated:(?P=name) -->)", re.S)

TYPE_ZH = {"text": "文本", "id": "编号", "date": "日期", "deadline": "期限（日期或文字，如“长期坚持”）", "int": "整数",
           "count": "计数", "number": "数值", "period": "期间（年度等）", "vocab": "词表", "daterange": "起止日期（拆成两列）"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _raw_contract() -> dict:
    import yaml

    from pipelines.contract import CONFIG_DIR

    return yaml.safe_load((CONFIG_DIR / "contract.yaml").read_text(encoding="utf-8"))


def gen_kinds() -> str:
    from pipelines.contract import default_contract

    c = default_contract()
    raw = _raw_contract()["kinds"]
    out = []
    for name, kind in c.kinds.items():
        kd = raw[name]
        ident = kd.get("identify", {})
        out.append(f"### `{name}` — {kind.label}\n")
        rule = "、".join(f"`{x}`" for x in ident.get("all", []))
        if ident.get("any"):
            rule += "，且至少有 " + "、".join(f"`{x}`" for x in ident["any"]) + " 之一"
        out.append(f"- 识别：表头中有 {rule}")
        tc = kd.get("title_contradicts") or {}
        if tc.get("words"):
            unless = "、".join(f"“{w}”" for w in tc.get("unless") or [])
            out.append(f"- 标题中有 {'、'.join(f'“{w}”' for w in tc['words'])}" + (f"而没有 {unless}" if unless else "")
                       + " 时判为“类型待确认”（这张表可能是别的台账），行暂存待分析员确认")
        out.append(f"- 记录主键：{'、'.join(f'`{k}`' for k in kind.key) or '（无）'}")
        if kind.personal:
            out.append(f"- 个人信息列（默认报告不显示）：{'、'.join(f'`{k}`' for k in kind.personal)}")
        if kind.dimensions:
            out.append("- 宽表：未识别的数值列视为评价维度（也可用 `dimension`/`score` 两列的长表）")
            if kd.get("not_dimensions"):
                out.append(f"- 表头含 {'、'.join(kd['not_dimensions'])} 的数值列不是评价维度，不计入总分（列入待确认事项）")
            if kd.get("deductions"):
                out.append(f"- 表头含 {'、'.join(kd['deductions'])} 的维度是扣分，从总分中减去（写成正数也按负数计；“加减分”这类列按所写的正负号计）")
        out.append("")
        out.append("| 列 | 表头写法（靠前的优先） | 类型 | 必填 | 说明 |")
        out.append("|---|---|---|---|---|")
        for col, cd in kd["columns"].items():
            notes = []
            if cd.get("vocab"):
                notes.append(f"词表 `{cd['vocab']}`")
            if cd.get("context"):
                notes.append("可从标题、工作表名或文件夹名推得")
            if cd.get("fill_down"):
                notes.append("纵向合并单元格视为“同上”")
            if cd.get("from_subheading"):
                notes.append("为空时取上方的小标题行")
            if cd.get("unit"):
                notes.append(f"按量词“{cd['unit']}”取数")
            if cd.get("into"):
                notes.append("拆入 " + "、".join(f"`{x}`" for x in cd["into"]))
            out.append(f"| `{col}` | {_cell('、'.join(cd.get('synonyms', [])))} | {TYPE_ZH.get(cd.get('type', 'text'), cd.get('type'))} "
                       f"| {'是' if cd.get('required') else ''} | {_cell('；'.join(notes))} |")
        out.append("")
    return "\n".join(out)


def gen_vocabularies() -> str:
    raw = _raw_contract()["vocabularies"]
    out = []
    for name, vd in raw.items():
        vd = dict(vd)
        labels = vd.pop("labels", None) or {}
        fallback = vd.pop("fallback", None)
        vd.pop("dominant", None)
        out.append(f"### `{name}`\n")
        if fallback:
            out.append(f"未匹配的写法归入 `{fallback}`。\n")
        else:
            out.append("没有兜底：未匹配的写法保留原文（`<列>_raw`），由校验 `vocab_*` 报告为错误。\n")
        out.append("| 代码 | 显示名称 | 认得的写法（按顺序匹配） |")
        out.append("|---|---|---|")
        for code, syns in vd.items():
            out.append(f"| `{code}` | {_cell(labels.get(code, ''))} | {_cell('、'.join(str(s) for s in syns))} |")
        out.append("")
    return "\n".join(out)


def gen_settings() -> str:
    from pipelines.contract import CONFIG_DIR

    text = (CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8").rstrip()
    return f"```yaml\n{text}\n```\n"


class _Expectation:
    """Stands in for a Great Expectations class so the checks can be listed without importing GX."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, **kw):
        return SimpleNamespace(name=self.name, kw=kw)


class _Expectations:
    def __getattr__(self, name: str):
        return _Expectation(name)


def _describe(exp) -> str:
    kw = exp.kw
    if exp.name == "ExpectColumnValuesToBeInSet":
        return "值属于词表代码：" + "、".join(f"`{v}`" for v in kw["value_set"])
    if exp.name == "ExpectColumnValuesToBeBetween":
        lo, hi = kw.get("min_value"), kw.get("max_value")
        return f"`{kw['column']}` 在 {lo:g} 到 {hi:g} 之间" if hi is not None else f"`{kw['column']}` ≥ {lo:g}"
    if exp.name in ("ExpectCompoundColumnsToBeUnique", "ExpectColumnValuesToBeUnique"):
        cols = kw.get("column_list") or [kw["column"]]
        return "主键唯一：" + " + ".join(f"`{c}`" for c in cols)
    return exp.name


def _ddl(cols) -> str:
    return ", ".join('"' + c + '" ' + t for c, t in cols)


def gen_rules() -> str:
    from pipelines.contract import default_contract
    from pipelines.validate.gx_suites import build_checks
    from pipelines.validate.run import ingest_rules, load_rules

    out = ["#### 入库时发现的问题\n", "| 规则 | 严重程度 | 含义 |", "|---|---|---|"]
    for rule, (sev, text) in ingest_rules().items():
        out.append(f"| `{rule}` | {sev} | {_cell(text)} |")
    out += ["", "#### 列与行的检查（Great Expectations）\n", "| 规则 | 严重程度 | 表 | 检查 |", "|---|---|---|---|"]
    seen = set()
    import duckdb

    from pipelines.ingest import schema as S
    from pipelines.validate.run import load_catalog

    contract = default_contract()
    con = duckdb.connect()  # the staging tables' shapes, empty: the checks follow from the contract alone
    for kind in contract.kinds:
        cols = S.ASSESS_COLS if kind == "assessments" else S.stg_columns(contract, kind)
        con.execute(f"CREATE TABLE stg_{kind} ({_ddl(cols)})")
    con.execute(f"CREATE TABLE stg_assessment_scores ({_ddl(S.SCORE_COLS)})")
    checks = build_checks(con, contract, SimpleNamespace(expectations=_Expectations()), load_catalog()["expectations"])
    con.close()
    for chk in checks:
        line = f"| `{chk.rule}` | {chk.severity} | `{chk.table}` | {_cell(_describe(chk.expectation))} |"
        if line not in seen:
            seen.add(line)
            out.append(line)
    out += ["", "#### 跨表规则（SQL，`pipelines/validate/rules.yaml`）\n",
            "每条规则的 SQL 返回违反规则的每一行（文件、工作表、行号、值）；`{run_date}` 是运行当天。\n"]
    for r in load_rules():
        out.append(f"##### `{r['id']}`（{r['severity']}）\n")
        out.append(f"提示：{r['message']}\n")
        out.append("```sql\n" + r["sql"].rstrip() + "\n```\n")
    return "\n".join(out)


def _opt_text(param) -> tuple[str, str, str]:
    if param.param_type_name == "argument":
        return f"`{param.name.upper()}`", "（必填）" if param.required else "", getattr(param, "help", "") or ""
    names = " / ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
    default = ""
    if not getattr(param, "is_flag", False) and param.default is not None and not callable(param.default):
        default = f"`{param.default}`"
    return names, default, param.help or ""


def gen_commands() -> str:
    import typer.main

    from pipelines.cli import app

    group = typer.main.get_command(app)
    out = []
    for name, cmd in group.commands.items():
        out.append(f"### `xuncha {name}`\n")
        out.append(_cell(cmd.help or "").strip() + "\n")
        out.append("| 参数 | 默认值 | 说明 |")
        out.append("|---|---|---|")
        for p in cmd.params:
            if p.name == "help":
                continue
            names, default, help_ = _opt_text(p)
            out.append(f"| {names} | {default} | {_cell(help_)} |")
        out.append("")
    return "\n".join(out)


GENERATORS = {"kinds": gen_kinds, "vocabularies": gen_vocabularies, "settings": gen_settings, "rules": gen_rules,
              "commands": gen_commands}
FILES = ["data-contract.md", "cli.md"]


def render(text: str) -> str:
    def sub(m: re.Match) -> str:
        body = GENERATORS[m["name"]]().rstrip() + "\n"
        return m.group(1) + body + m.group(4)

    return BLOCK.sub(sub, text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="重新生成 docs/ 中由程序配置生成的部分")
    ap.add_argument("--check", action="store_true", help="只检查是否过期，不改文件")
    args = ap.parse_args(argv)
    stale = []
    for name in FILES:
        path = DOCS / name
        old = path.read_text(encoding="utf-8")
        new = render(old)
        if new != old:
            stale.append(name)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    if args.check and stale:
        print(f"docs/ 已过期：{', '.join(stale)}。请运行 python scripts/build_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
