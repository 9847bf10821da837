"""Working folders (`xuncha init`), where the report notebooks are found, and copied or moved checkouts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from pipelines import workspace
from pipelines.cli import app
from pipelines.contract import CONFIG_DIR

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_init_makes_a_working_folder_with_chinese_readmes_and_the_county(tmp_path):
    ws = tmp_path / "山丹县"
    res = runner.invoke(app, ["init", str(ws), "--county", "山丹县"])
    assert res.exit_code == 0, res.output
    for d in ("data_raw", "data_clean", "reports", "config"):
        text = (ws / d / "README.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {d}/") and "（" in text
    assert "山丹县" in (ws / "README.md").read_text(encoding="utf-8")
    settings = yaml.safe_load((ws / "config" / "settings.yaml").read_text(encoding="utf-8"))
    assert settings == {"county_name": "山丹县"}, "只写县名，其余默认值以注释列出，不遮住自带默认值"
    contract = workspace.load(ws / "config")  # the real loader every command uses
    assert contract.settings["county_name"] == "山丹县"
    packaged = yaml.safe_load((CONFIG_DIR / "settings.yaml").read_text(encoding="utf-8"))
    assert contract.settings["grade_thresholds"] == packaged["grade_thresholds"]
    assert workspace.contract_file(ws / "config") == CONFIG_DIR / "contract.yaml"
    text = (ws / "config" / "settings.yaml").read_text(encoding="utf-8")
    assert "# header_scan_rows: 20" in text, "默认值以注释列出，去掉 # 即可改"


def test_init_again_keeps_what_is_there_and_refuses_another_county(tmp_path):
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--county", "甘州区"]).exit_code == 0
    (ws / "config" / "settings.yaml").write_text("county_name: 甘州区\nlead_open_days_alert: 90\n", encoding="utf-8")
    (ws / "data_raw" / "README.md").unlink()
    res = runner.invoke(app, ["init", str(ws), "--county", "甘州区"])
    assert res.exit_code == 0 and "已存在，未改动" in res.output
    assert (ws / "data_raw" / "README.md").is_file()
    assert "lead_open_days_alert: 90" in (ws / "config" / "settings.yaml").read_text(encoding="utf-8")
    res = runner.invoke(app, ["init", str(ws), "--county", "山丹县"])
    assert res.exit_code == 2 and "甘州区" in res.output and "山丹县" in res.output


@pytest.mark.parametrize("county", ["山丹", "", "山丹 县", "a/b县"])
def test_init_rejects_a_county_name_that_is_not_a_full_name(tmp_path, county):
    res = runner.invoke(app, ["init", str(tmp_path / "ws"), "--county", county])
    assert res.exit_code == 2 and "县名" in res.output
    assert not (tmp_path / "ws").exists(), "出错时不应留下半个工作文件夹"


def test_init_refuses_a_file_and_can_copy_the_contract(tmp_path):
    (tmp_path / "f").write_text("x")
    res = runner.invoke(app, ["init", str(tmp_path / "f")])
    assert res.exit_code == 2 and "不是文件夹" in res.output
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws), "--copy-contract"]).exit_code == 0
    own = ws / "config" / "contract.yaml"
    assert own.read_bytes() == (CONFIG_DIR / "contract.yaml").read_bytes()
    assert workspace.contract_file(ws / "config") == own
    assert yaml.safe_load((ws / "config" / "settings.yaml").read_text(encoding="utf-8")) == {"county_name": None}


def test_notebooks_come_from_the_checkout_here_and_from_the_package_when_installed(tmp_path):
    from pipelines.report import layout

    assert layout.NOTEBOOK_DIR == ROOT / "notebooks"
    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "pipelines", site / "pipelines", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "notebooks", site / "pipelines" / "report" / "notebooks")  # what setup.py ships
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XUNCHA_NOTEBOOKS")} | {"PYTHONPATH": str(site)}
    p = subprocess.run([sys.executable, "-c", "from pipelines.report.layout import NOTEBOOK_DIR; print(NOTEBOOK_DIR)"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert Path(p.stdout.strip()) == site / "pipelines" / "report" / "notebooks"


# ---- a copied or moved checkout -------------------------------------------------------------------------------

def _checkout_with_venv(root: Path) -> Path:
    """A minimal checkout with its own .venv whose package points at this folder, as `pip install -e` does."""
    root.mkdir()
    for name in ("pyproject.toml", "Makefile", "requirements.lock"):
        shutil.copy2(ROOT / name, root / name)
    shutil.copytree(ROOT / "scripts", root / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("__pycache__"))
    venv = root / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3.*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # the dependencies, borrowed
    (site / "xuncha_editable.pth").write_text(str(root) + "\n")  # the code: this folder
    script = venv / "bin" / "xuncha"
    script.write_text(f"#!{venv / 'bin' / 'python'}\nfrom pipelines.cli import main\nmain()\n")  # as pyproject's script
    script.chmod(0o755)
    (venv / ".installed").touch()
    return root


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.mark.skipif(os.name == "nt", reason="POSIX venv layout")
def test_a_copied_checkout_says_its_environment_belongs_to_the_original(tmp_path):
    orig = _checkout_with_venv(tmp_path / "xuncha")
    ok = subprocess.run([str(orig / ".venv" / "bin" / "xuncha"), "--version"], capture_output=True, text=True,
                        env=_env(), cwd=tmp_path)
    assert ok.returncode == 0 and "xuncha" in ok.stdout, ok.stderr  # the original works as before
    copy = tmp_path / "xuncha-副本"
    shutil.copytree(orig, copy, symlinks=True)
    for cmd in ([str(copy / ".venv" / "bin" / "xuncha"), "metrics", "--help"],  # its first line names the original
                [str(copy / ".venv" / "bin" / "python"), "-m", "pipelines.cli", "validate"]):
        p = subprocess.run(cmd, capture_output=True, text=True, env=_env(), cwd=tmp_path)
        assert p.returncode == 2, p.stdout + p.stderr
        assert str(copy) in p.stderr and str(orig) in p.stderr and "make" in p.stderr, p.stderr
    p = subprocess.run([str(copy / ".venv" / "bin" / "python"), "-m", "pipelines.cli", "ingest", "--help"],
                       capture_output=True, text=True, env=_env(), cwd=tmp_path)
    assert p.returncode == 2 and "复制或移动" in p.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make")
def test_make_recreates_the_environment_of_a_copied_checkout(tmp_path):
    orig = _checkout_with_venv(tmp_path / "xuncha")
    p = subprocess.run(["make", "-n", "install"], capture_output=True, text=True, cwd=orig, env=_env())
    assert p.returncode == 0 and "rm -rf" not in p.stdout and "不是为这个文件夹" not in p.stdout, p.stdout
    copy = tmp_path / "xuncha-副本"
    shutil.copytree(orig, copy, symlinks=True)
    p = subprocess.run(["make", "-n", "install"], capture_output=True, text=True, cwd=copy, env=_env())
    assert p.returncode == 0, p.stderr
    assert "不是为这个文件夹" in p.stdout and str(copy) in p.stdout
    assert "rm -rf .venv" in p.stdout and "-m venv .venv" in p.stdout and "pip install" in p.stdout
    shutil.rmtree(orig)  # moved rather than copied: the environment points at a folder that is gone
    p = subprocess.run(["make", "-n", "install"], capture_output=True, text=True, cwd=copy, env=_env())
    assert p.returncode == 0 and "不是为这个文件夹" in p.stdout and "rm -rf .venv" in p.stdout


def test_commands_in_a_working_folder_use_its_config_not_the_packaged_one(tmp_path, monkeypatch):
    """The same ledger, ingested in two working folders: only the one whose settings.yaml sets a tiny row limit
    refuses it, so the command read that folder's config/ (the packaged default is 500000 rows)."""
    from tests.conftest import REGISTER_UNITS, write_xlsx

    strict, plain = tmp_path / "严格县", tmp_path / "普通县"
    for ws in (strict, plain):
        assert runner.invoke(app, ["init", str(ws), "--county", "山丹县"]).exit_code == 0
        write_xlsx(ws / "data_raw" / "名册.xlsx", {"名册": REGISTER_UNITS})
    with open(strict / "config" / "settings.yaml", "a", encoding="utf-8") as fh:
        fh.write("max_rows_per_sheet: 3\n")
    results = {}
    for ws in (strict, plain):
        monkeypatch.chdir(ws)
        res = runner.invoke(app, ["ingest", "--json"])
        results[ws.name] = json.loads(res.output)
    assert [f["file"] for f in results["严格县"]["files_failed"]] == ["名册.xlsx"]
    assert "max_rows_per_sheet" in results["严格县"]["files_failed"][0]["error"]
    assert results["普通县"]["files_failed"] == [] and results["普通县"]["loaded_by_kind"]["units"] == len(REGISTER_UNITS) - 1
    assert results["普通县"]["county"] == "山丹县"
