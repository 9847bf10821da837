"""The offline installer, for real: build dist/xuncha-offline-<version>/ (pip download from PyPI), install it into a
fresh folder inside a network namespace with no network (`unshare -n`, as root) and run the demo and the README's
「用自己县的台账」 steps with the installed, non-editable xuncha; check that the Windows wheelhouse is complete.

Marked `bundle`: CI runs it (`make test`); skip it locally with XUNCHA_SKIP_BUNDLE=1 or `-m "not bundle"`.
The bundle is built once per session and shared by every test here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import bundle  # noqa: E402

pytestmark = [
    pytest.mark.bundle,
    pytest.mark.skipif(os.environ.get("XUNCHA_SKIP_BUNDLE") == "1", reason="XUNCHA_SKIP_BUNDLE=1"),
]
PY311 = Path(getattr(sys, "_base_executable", sys.executable))


def _clean_env(home: Path) -> dict:
    """No pip configuration, no proxies, no PYTHONPATH: only what an intranet machine would have."""
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "PIP_CONFIG_FILE": os.devnull}
    home.mkdir(parents=True, exist_ok=True)
    return env


def _offline(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    """Run in a new network namespace: no interface but a downed loopback, so nothing can reach any network."""
    return subprocess.run(["unshare", "-n", "--", *cmd], capture_output=True, text=True, **kw)


@pytest.fixture(scope="session")
def offline_bundle(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    try:
        return bundle.build(out, bundle.DEFAULT_PLATFORMS, log=lambda *_: None)
    except bundle.BundleError as exc:
        if "pypi" in str(exc).lower() or "connection" in str(exc).lower():
            pytest.skip(f"无法访问 PyPI，生成不了离线安装包：{exc}")
        raise


@pytest.fixture(scope="session")
def installed(offline_bundle, tmp_path_factory) -> tuple[Path, dict]:
    """The bundle copied as a user would (USB), installed with install.sh inside `unshare -n`."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("断网安装测试需要以 root 运行 unshare -n（util-linux）")
    if subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("本机不允许 unshare -n（容器没有 CAP_SYS_ADMIN）")
    probe = subprocess.run([str(PY311), "-c", "import sys; print(sys.version_info[:2] == (3, 11))"],
                           capture_output=True, text=True)
    if probe.stdout.strip() != "True":
        pytest.skip(f"离线安装包是为 Python 3.11 准备的，本机基础解释器 {PY311} 不是 3.11")
    base = tmp_path_factory.mktemp("intranet")
    usb = base / "U盘" / offline_bundle.name
    shutil.copytree(offline_bundle, usb, copy_function=os.link)  # a copy as far as the installer can tell
    env = _clean_env(base / "home") | {"PYTHON": str(PY311)}
    no_net = _offline([str(PY311), "-c", "import socket; socket.create_connection(('pypi.org', 443), timeout=5)"], env=env)
    assert no_net.returncode != 0, "unshare -n 里竟然能连上 pypi.org：这个测试证明不了离线安装"
    p = _offline(["bash", str(usb / "install.sh")], env=env, cwd=base)
    assert p.returncode == 0, p.stdout + p.stderr
    target = usb.parent / "xuncha"  # the default: beside the bundle
    assert (target / ".venv" / "bin" / "xuncha").is_file(), p.stdout
    assert "xuncha 0.1.0" in p.stdout or f"xuncha {bundle.version()}" in p.stdout
    return target, env


def _pkg_files(target: Path) -> dict[str, int]:
    pkg = next((target / ".venv" / "lib").glob("python3.*/site-packages/pipelines"))
    return {str(f.relative_to(pkg)): f.stat().st_mtime_ns for f in pkg.rglob("*")
            if f.is_file() and "__pycache__" not in f.parts}


def test_bundle_has_what_the_issue_lists(offline_bundle):
    ver = bundle.version()
    assert offline_bundle.name == f"xuncha-offline-{ver}"
    for name in ("install.sh", "install.ps1", "install.bat", "README.md", "requirements.lock", "SHA256SUMS.txt",
                 "docs/data-contract.md", "docs/cli.md"):
        assert (offline_bundle / name).is_file(), name
    assert (offline_bundle / "install.ps1").read_bytes().startswith(b"\xef\xbb\xbf"), "PowerShell 5.1 需要 BOM 才能读中文"
    for script in ("install.sh", "install.ps1"):
        text = (offline_bundle / script).read_text(encoding="utf-8-sig")
        assert "--no-index" in text and "--find-links" in text and "ipykernel install --sys-prefix --name xuncha" in text
        assert "@VERSION@" not in text and ver in text
    readme = (offline_bundle / "README.md").read_text(encoding="utf-8")
    for words in ("U 盘", "xuncha init", "xuncha demo", "不联网", "ARM64", "glibc", "Chromium", "fonts-noto-cjk"):
        assert words in readme, words
    wheels = offline_bundle / "wheels"
    names = [w.name for w in wheels.glob("*.whl")]
    assert any(n.startswith(f"xuncha-{ver}-") for n in names)
    assert any(re.match(r"duckdb-.*win_amd64\.whl", n) for n in names) and any(
        re.match(r"duckdb-.*manylinux.*x86_64\.whl", n) for n in names), "两个平台的 wheel 应在同一个 wheels/ 中"
    sums = dict(reversed(line.split("  ", 1)) for line in (offline_bundle / "SHA256SUMS.txt").read_text().splitlines())
    assert f"wheels/{names[0]}" in sums and len(sums) == len([f for f in offline_bundle.rglob("*") if f.is_file()]) - 1


def test_wheel_ships_every_data_file_and_the_notebooks(offline_bundle):
    whl = next((offline_bundle / "wheels").glob("xuncha-*.whl"))
    inside = set(zipfile.ZipFile(whl).namelist())
    expected = {f"pipelines/report/notebooks/{nb.name}" for nb in (ROOT / "notebooks").glob("*.ipynb")}
    for f in (ROOT / "pipelines").rglob("*"):
        if f.is_file() and "__pycache__" not in f.parts and "notebooks" not in f.relative_to(ROOT / "pipelines").parts:
            expected.add(f.relative_to(ROOT).as_posix())
    assert expected - inside == set(), "wheel 中缺少这些文件（pyproject.toml 的 package-data）"


def test_windows_wheelhouse_is_complete(offline_bundle):
    wheels = offline_bundle / "wheels"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--find-links", str(wheels),
                        "--platform", "win_amd64", "--python-version", "3.11", "--only-binary=:all:",
                        "--implementation", "cp", "--abi", "cp311", "-c", str(offline_bundle / "requirements.lock"),
                        "--ignore-installed", f"xuncha=={bundle.version()}"],
                       capture_output=True, text=True, env=os.environ | {"PIP_CONFIG_FILE": os.devnull})
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Would install" in p.stdout and "xuncha-" in p.stdout
    # pip judged the markers as this Linux machine: check them as Windows does (colorama, pywinpty …)
    assert bundle.missing_requirements(wheels, "windows-x86_64", ["xuncha"]) == []
    assert bundle.missing_requirements(wheels, "linux-x86_64", ["xuncha"]) == []
    names = {w.name.split("-")[0].lower() for w in wheels.glob("*win_amd64.whl")} | {
        w.name.split("-")[0].lower() for w in wheels.glob("*-none-any.whl")}
    assert {"colorama", "pywinpty"} <= names


def test_missing_requirements_notices_a_windows_only_dependency(offline_bundle, tmp_path):
    """The marker check is not vacuous: take colorama away and it is reported for Windows only."""
    wheels = tmp_path / "wheels"
    shutil.copytree(offline_bundle / "wheels", wheels, copy_function=os.link)
    for w in wheels.glob("colorama-*.whl"):
        w.unlink()
    assert bundle.missing_requirements(wheels, "windows-x86_64", ["xuncha"]) == ["colorama"]
    assert bundle.missing_requirements(wheels, "linux-x86_64", ["xuncha"]) == []


def test_offline_install_runs_the_demo_with_its_figures(installed, tmp_path):
    target, env = installed
    xuncha = str(target / ".venv" / "bin" / "xuncha")
    before = _pkg_files(target)
    p = _offline([xuncha, "init", "演示县", "--county", "山丹县"], env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    ws = tmp_path / "演示县"
    p = _offline([xuncha, "demo"], env=env, cwd=ws)
    assert p.returncode == 0, p.stdout + p.stderr
    expected = json.loads((ws / "data_raw" / "demo" / "expected.json").read_text(encoding="utf-8"))
    p = _offline([xuncha, "metrics", "--as-of", expected["as_of"], "--json"], env=env, cwd=ws)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == expected["metrics"], "离线安装的 xuncha 算出的指标与演示真值不同"
    period = expected["as_of"][:7]
    pages = sorted(f.name for f in (ws / "reports" / period).glob("*.html"))
    assert pages == sorted(f"{n}.html" for n in ("monthly_brief", "coverage", "rectification", "leads", "ecology", "quality"))
    brief = (ws / "reports" / period / "monthly_brief.html").read_text(encoding="utf-8")
    assert "<script src" not in brief and "plotly" in brief.lower()
    assert (ws / "reports" / "index.html").is_file() and (ws / "data_clean" / "warehouse.duckdb").is_file()
    assert _pkg_files(target) == before, "运行时写进了安装目录"


def _readme_steps() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 用自己县的台账", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_readme_own_county_steps_work_from_the_installed_copy(installed, tmp_path):
    target, env = installed
    xuncha = str(target / ".venv" / "bin" / "xuncha")
    ledgers = tmp_path / "收到的台账"
    p = _offline([xuncha, "demo", "--only-data", "--dir", str(ledgers)], env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    (ledgers / "expected.json").unlink()
    steps = _readme_steps()
    assert steps[0].startswith("xuncha init ") and any(s.startswith("cd ") for s in steps)
    cwd, ran = tmp_path, []
    for step in steps:
        cmd = step.split("#", 1)[0].strip()
        if not cmd:
            assert "data_raw/" in step, f"README 的步骤看不懂：{step}"
            shutil.copytree(ledgers, cwd / "data_raw" / "本县台账")
            continue
        words = cmd.split()
        if words[0] == "cd":
            cwd = cwd / words[1]
            continue
        assert words[0] == "xuncha", step
        p = _offline([xuncha, *words[1:]], env=env, cwd=cwd)
        ok = {"validate": (0, 1)}.get(words[1], (0,))  # the demo's ledgers carry 6 deliberate bad rows
        assert p.returncode in ok, f"{step}\n{p.stdout}\n{p.stderr}"
        ran.append(words[1])
    assert ran[:1] == ["init"] and {"ingest", "validate", "report"} <= set(ran)
    settings = (cwd / "config" / "settings.yaml").read_text(encoding="utf-8")
    assert re.search(r"^county_name: 山丹县$", settings, re.M)
    assert (cwd / "data_clean" / "warehouse.duckdb").is_file()
    assert (cwd / "reports" / "quality" / "index.html").is_file()
    assert len(list((cwd / "reports").glob("20??-??/monthly_brief.html"))) == 1
    for d in ("data_raw", "data_clean", "reports", "config"):
        assert re.search(r"[\u4e00-\u9fff]{4}", (cwd / d / "README.md").read_text(encoding="utf-8")), f"{d}/README.md"
