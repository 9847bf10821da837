"""Documentation lives inside the project and tells the truth about it.

- docs/ is in sync with the files the program reads (contract.yaml, settings.yaml, rules.yaml, the CLI);
- README, docs/ and every --help text name only paths that exist in the project (generated outputs and the
  working folder's own folders aside) and no spec outside it;
- every command of the CLI (taken from the Typer app, so commands added later are covered) is in the README.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.metrics import METRIC_KEYS
from pipelines.validate.run import ingest_rules, load_rules

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOC_FILES = [README, *sorted((ROOT / "docs").glob("*.md"))]
# folders made at run time (a working folder's data, generated outputs, environments): not project files
RUNTIME = ("data_raw/", "data_clean/", "reports/", "config/", "tests/artifacts/", "dist/", ".venv/", "benchmarks/out/",
           "wheels/", "xuncha/", "pipelines/report/notebooks/")  # the last three: inside the bundle / the built wheel
EXT = "md|py|yaml|yml|toml|lock|ipynb|sh|ps1|bat|sql|j2|cfg|in|service|timer"
PATH_WITH_DIR = re.compile(r"(?<![\w.\-/:\\])((?:\.\.?/)?(?:[A-Za-z0-9_.\-]+/)+[A-Za-z0-9_.\-]*)(?![\u4e00-\u9fff])")
BARE_FILE = re.compile(rf"(?<![\w.\-/\\@])([A-Za-z0-9_\-]+(?:\.[A-Za-z0-9_\-]+)*\.(?:{EXT}))(?![\w/])")
runner = CliRunner()


def _build_docs():
    spec = importlib.util.spec_from_file_location("build_docs", ROOT / "scripts" / "build_docs.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _commands() -> list[str]:
    return list(typer.main.get_command(app).commands)


def _project_paths() -> set[str]:
    skip = {".git", ".venv", "__pycache__", "node_modules", ".pytest_cache", ".ruff_cache", "build", "dist"}
    out = set()
    for p in ROOT.rglob("*"):
        rel = p.relative_to(ROOT)
        if skip & set(rel.parts) or any(part.endswith(".egg-info") for part in rel.parts):
            continue
        out.add(rel.as_posix() + ("/" if p.is_dir() else ""))
    return out


PROJECT = _project_paths()
BASENAMES = {p.rstrip("/").rsplit("/", 1)[-1] for p in PROJECT}


def _looks_like_a_path(tok: str) -> bool:
    """A directory (trailing /), a file with a known extension, a path leaving the folder, or under a top folder."""
    first = tok.lstrip("./").split("/", 1)[0]
    return (tok.endswith("/") or tok.startswith("../") or re.search(rf"\.(?:{EXT})$", tok) is not None
            or (first + "/") in PROJECT)


def missing_paths(text: str, base: Path = ROOT) -> list[str]:
    """Path-like names in text that are neither project files nor run-time folders."""
    text = re.sub(r"https?://\S+", " ", text)
    bad = []
    for m in PATH_WITH_DIR.finditer(text):
        tok = m.group(1).rstrip(".")
        if not _looks_like_a_path(tok) or tok.startswith(RUNTIME):
            continue
        try:
            inside = (base / tok).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            bad.append(tok)  # points outside the project (e.g. ../shared/…)
            continue
        core = tok.lstrip("./").rstrip("/")
        if (ROOT / inside).exists() or any(p.rstrip("/") == core or p.rstrip("/").endswith("/" + core) for p in PROJECT):
            continue
        bad.append(tok)
    for m in BARE_FILE.finditer(text):
        if m.group(1) not in BASENAMES:
            bad.append(m.group(1))
    return bad


def test_docs_are_in_sync_with_the_configuration_and_cli():
    assert _build_docs().main(["--check"]) == 0, "docs/ 过期：运行 python scripts/build_docs.py"


def test_the_path_checker_catches_what_it_should():
    assert missing_paths("规格见 `../shared/DATA_CONTRACT.md`") == ["../shared/DATA_CONTRACT.md"]
    assert missing_paths("见 docs/nonexistent.md 与 `nothere.yaml`") == ["docs/nonexistent.md", "nothere.yaml"]
    assert missing_paths("写到 reports/2020-06/ 和 data_clean/warehouse.duckdb；见 docs/cli.md、contract.yaml") == []


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_docs_name_only_paths_that_exist(doc):
    text = doc.read_text(encoding="utf-8")
    assert missing_paths(text, doc.parent) == [], f"{doc.name} 提到了项目中不存在的路径"
    links = [t for t in re.findall(r"\]\(([^)#\s]+)", text) if not t.startswith("http")]
    assert all((doc.parent / t).exists() for t in links), [t for t in links if not (doc.parent / t).exists()]


def test_no_spec_outside_the_project_is_referred_to():
    for doc in DOC_FILES:
        text = doc.read_text(encoding="utf-8")
        assert "../shared" not in text and "DATA_CONTRACT" not in text and "ARCHITECTURE.md" not in text, doc.name
        assert not re.search(r"第 ?6 ?节", text) or doc.name != "README.md", "README 应链接 docs/ 而不是“第 6 节”"


@pytest.mark.parametrize("cmd", [None, *_commands()])
def test_help_texts_name_only_paths_that_exist(cmd):
    res = runner.invoke(app, ([cmd] if cmd else []) + ["--help"])
    assert res.exit_code == 0
    assert missing_paths(res.output) == [], f"`xuncha {cmd or ''} --help` 提到了不存在的路径"
    assert "DATA_CONTRACT" not in res.output and "ARCHITECTURE" not in res.output


@pytest.mark.parametrize("cmd", _commands())
def test_every_cli_command_is_documented_in_the_readme_and_docs(cmd):
    readme = README.read_text(encoding="utf-8")
    assert re.search(rf"`?xuncha {cmd}\b", readme), f"README 没有写 `xuncha {cmd}`"
    assert f"### `xuncha {cmd}`" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_every_metric_and_rule_is_defined_in_the_data_contract():
    text = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    section = text.split("## 5. 指标口径", 1)[1].split("## 6.", 1)[0]
    for key in METRIC_KEYS:
        assert f"| `{key}` |" in section, f"指标 {key} 没有定义"
    for rule in [*ingest_rules(), *(r["id"] for r in load_rules())]:
        assert f"`{rule}`" in text, f"校验规则 {rule} 没有写进 docs/data-contract.md"
