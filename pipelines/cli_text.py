"""The command line's own words in Chinese: the usage line, section names, the help option and the errors
the argument parser raises (an unknown option, a missing value, a bad date …), which the parser writes in
English. Only words are changed, never what a command does; a message not listed here is shown as it is."""

from __future__ import annotations

import re

import typer
from typer.core import TyperCommand, TyperGroup

_click = typer.core._click  # the parser typer ships (its messages are plain English strings)

SECTIONS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
HELP_TEXT = "显示本帮助后退出"

# (pattern, replacement) over a parser error, in order (unknown options, commands and bad values: message())
MESSAGES: list[tuple[re.Pattern, str]] = [(re.compile(p), r) for p, r in [
    (r"^Missing option (.+)\.$", r"缺少选项 \1。"),
    (r"^Missing argument (.+)\.$", r"缺少参数 \1。"),
    (r"^Missing parameter: (.+)$", r"缺少参数：\1"),
    (r"^Missing command\.$", "缺少命令：请在后面写要做的事（如 ingest、report）。"),
    (r"^Option (.+) requires an argument\.$", r"选项 \1 后面要写一个值。"),
    (r"^Option (.+) requires (\d+) arguments\.$", r"选项 \1 后面要写 \2 个值。"),
    (r"^Option (.+) does not take a value\.$", r"选项 \1 后面不写值。"),
    (r"^Got unexpected extra argument(?:s|\(s\))? \((.+)\)$", r"多出了参数：\1（文件名里有空格时请用引号括起来）"),
]]
REASONS: list[tuple[re.Pattern, str]] = [(re.compile(p), r) for p, r in [
    (r"^Input should be a valid integer.*$", "应为整数。"),
    (r"^Input should be a valid (?:number|decimal|float).*$", "应为数。"),
    (r"^Input should be a valid boolean.*$", "应为“是/否”。"),
    (r"^Input should be (.+?)\.?$", r"应为 \1。"),
    (r"^(.+) is not a valid integer\.?$", r"\1 不是整数。"),
    (r"^(.+) is not a valid float\.?$", r"\1 不是数。"),
    (r"^(.+) is not a valid boolean\..*$", r"\1 不是“是/否”。"),
    (r"^(.+) is not one of (.+)\.$", r"\1 不在可选的值中，可写：\2。"),
    (r"^(.+) is not (.+)\.$", r"\1 不是 \2。"),
    (r"^(?:File|Directory|Path) (.+) does not exist\.$", r"\1 不存在，请检查路径。"),
    (r"^(?:File|Directory|Path) (.+) is a file\.$", r"\1 是文件，这里要写文件夹。"),
    (r"^(?:File|Directory|Path) (.+) is a directory\.$", r"\1 是文件夹，这里要写文件。"),
    (r"^(?:File|Directory|Path) (.+) is not readable\.$", r"\1 无法读取（没有权限）。"),
    (r"^(?:File|Directory|Path) (.+) is not writable\.$", r"\1 无法写入（没有权限或只读）。"),
    (r"^(.+) is not in the range (.+)\.$", r"\1 不在范围 \2 内。"),
]]


def _sub(rules, text: str) -> str | None:
    for pat, rep in rules:
        m = pat.match(text)
        if m:
            return m.expand(rep)
    return None


def message(text: str) -> str:
    """A parser message in Chinese (as written when no rule knows it)."""
    text = text.strip()
    m = re.match(r"^No such option: (.+?)(?: \(Possible options: (.+)\))?$", text) or \
        re.match(r"^No such option: (.+?)(?:\s+Did you mean (.+)\?)?$", text)
    if m:
        return f"没有选项 {m.group(1)}" + (f"（可用的选项：{m.group(2)}）" if m.group(2) else "。")
    m = re.match(r"^No such command '(.+?)'\.?(?: Did you mean (.+)\?)?$", text)
    if m:
        return f"没有命令 {m.group(1)}" + (f"，是不是要写 {m.group(2)}？" if m.group(2) else "。")
    m = re.match(r"^Invalid value for (.+?): (.+)$", text, re.S)
    if m:
        return f"{m.group(1)} 的值不对：{reason(m.group(2))}"
    m = re.match(r"^Invalid value: (.+)$", text, re.S)
    if m:
        return f"值不对：{reason(m.group(1))}"
    return _sub(MESSAGES, text) or text


def reason(text: str) -> str:
    return _sub(REASONS, text.strip()) or text


class ZhFormatter(_click.HelpFormatter):
    """Help pages with Chinese headings: 用法、选项、命令, and [默认：…] / [必填] in the option rows."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None or prefix.strip() == "Usage:" else prefix)

    def section(self, name: str):
        return super().section(SECTIONS.get(name, name))

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_dl(self, rows, *args, **kwargs) -> None:
        out = []
        for term, text in rows:
            text = re.sub(r"\[default: (.*?)\]", r"[默认：\1]", text or "")
            text = text.replace("[required]", "[必填]").replace("; required]", "；必填]")
            text = re.sub(r"\[default: (.*?); ", r"[默认：\1；", text)
            out.append((term, text))
        super().write_dl(out, *args, **kwargs)


class ZhContext(_click.Context):
    formatter_class = ZhFormatter


class _Zh:
    """What the group and every command share: Chinese help pages, [选项] in the usage line, the help option."""
    context_class = ZhContext

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = "[选项]"

    def get_help_option(self, ctx):
        opt = super().get_help_option(ctx)
        if opt is not None:
            opt.help = HELP_TEXT
        return opt


class ZhGroup(_Zh, TyperGroup):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subcommand_metavar = "命令 [参数]..."


class ZhCommand(_Zh, TyperCommand):
    pass


def show_error(exc: Exception, err) -> int:
    """Print a parser error (UsageError, BadParameter …) in Chinese; the exit code click would use."""
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, _click.exceptions.NoArgsIsHelpError):
        err(exc.format_message())  # no command given: the help page (already in Chinese)
        return exc.exit_code
    if isinstance(exc, _click.exceptions.UsageError) and ctx is not None:
        err(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            err(f"查看帮助：{ctx.command_path} {ctx.help_option_names[0]}\n")
    err(f"错误：{message(exc.format_message())}")
    return getattr(exc, "exit_code", 1)
