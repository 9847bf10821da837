"""Build the offline installer: dist/xuncha-offline-<version>/ for machines with no internet and no package index.

    python scripts/bundle.py                       # Linux x86-64 + Windows x86-64 (what `make bundle` runs)
    python scripts/bundle.py --platform linux-aarch64 --platform linux-x86_64 --platform windows-x86_64

The folder holds the project's wheel and every pinned dependency (requirements.lock) for each platform in one
wheels/ folder, install.sh / install.ps1 / install.bat (they install with --no-index: never the network), the
requirements.lock the install is pinned to, the docs/ reference and a Chinese README. Building it needs the
internet (pip download from PyPI); installing from it does not.

pip evaluates environment markers for the machine it runs on, not for --platform, so a Windows-only dependency
(colorama, pywinpty) would be left out silently. After downloading, every wheel's Requires-Dist is therefore
checked against the target platform's markers, and what is missing is fetched at its requirements.lock pin;
a missing dependency without a pin is an error, never a guess.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = ROOT / "scripts" / "offline"
PYTHON = "3.11"

# target → pip download tags and the environment markers are evaluated with
PLATFORMS = {
    "linux-x86_64": {
        "label": "Linux x86-64（glibc ≥ 2.28）",
        "pip": ["--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64"],
        "env": {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    },
    "windows-x86_64": {
        "label": "Windows x86-64",
        "pip": ["--platform", "win_amd64"],
        "env": {"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64"},
    },
    "linux-aarch64": {
        "label": "Linux ARM64（glibc ≥ 2.28，如麒麟、统信 UOS 的 ARM 版）",
        "pip": ["--platform", "manylinux_2_28_aarch64", "--platform", "manylinux2014_aarch64"],
        "env": {"os_name": "posix", "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    },
}
DEFAULT_PLATFORMS = ["linux-x86_64", "windows-x86_64"]


class BundleError(Exception):
    pass


def version() -> str:
    text = (ROOT / "pipelines" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = "\n".join((p.stdout + p.stderr).strip().splitlines()[-15:])
        raise BundleError(f"命令失败：{' '.join(cmd)}\n{tail}")


def build_wheel(dest: Path) -> Path:
    """The project's wheel, built from a clean copy of the sources (a stale build/ folder cannot leak into it)."""
    with tempfile.TemporaryDirectory(prefix="xuncha-src-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
            shutil.copy2(ROOT / name, src / name)
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "notebooks")
        shutil.copytree(ROOT / "pipelines", src / "pipelines", ignore=ignore)
        shutil.copytree(ROOT / "notebooks", src / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        _pip("wheel", "--no-deps", "--quiet", str(src), "-w", str(dest))
    wheels = sorted(dest.glob(f"xuncha-{version()}-*.whl"))
    if not wheels:
        raise BundleError(f"没有生成 xuncha-{version()} 的 wheel")
    return wheels[-1]


def lock_pins(lock: Path) -> dict[str, str]:
    """requirements.lock as {canonical name: version}; markers are ignored (the pin is what matters here)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        spec = [s for s in req.specifier if s.operator == "=="]
        if spec:
            pins[canonicalize_name(req.name)] = spec[0].version
    return pins


def _wheel_requires(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode("utf-8")
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Requires-Dist:")]


def _compatible(path: Path, platform: str) -> bool:
    from packaging.utils import parse_wheel_filename

    tags = parse_wheel_filename(path.name)[3]
    want = {"linux-x86_64": ("manylinux", "x86_64"), "windows-x86_64": ("win_amd64", "win_amd64"),
            "linux-aarch64": ("manylinux", "aarch64")}[platform]
    return any(t.platform == "any" or (t.platform.startswith(want[0]) and t.platform.endswith(want[1])) for t in tags)


def missing_requirements(wheels: Path, platform: str, roots: list[str]) -> list[str]:
    """Requirements (with the target's markers) of the roots and everything they pull in, no wheel for in `wheels`."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name, parse_wheel_filename

    env = {"python_version": PYTHON, "python_full_version": f"{PYTHON}.0", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", **PLATFORMS[platform]["env"]}
    have = {}
    for w in wheels.glob("*.whl"):
        if _compatible(w, platform):
            have[canonicalize_name(parse_wheel_filename(w.name)[0])] = w
    missing, seen = set(), set()
    todo = [(canonicalize_name(r), ("",)) for r in roots]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        if name not in have:
            missing.add(name)
            continue
        for line in _wheel_requires(have[name]):
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({**env, "extra": e}) for e in extras):
                todo.append((canonicalize_name(req.name), tuple(sorted(req.extras)) or ("",)))
    return sorted(missing)


def download(wheels: Path, project_wheel: Path, platform: str, lock: Path) -> list[str]:
    """Every pinned dependency of the project for one platform into `wheels`. Returns what had to be added by pin."""
    common = ["download", "--quiet", "--only-binary=:all:", "--python-version", PYTHON, "--implementation", "cp",
              "--abi", f"cp{PYTHON.replace('.', '')}", *PLATFORMS[platform]["pip"], "-c", str(lock), "-d", str(wheels)]
    _pip(*common, str(project_wheel))
    pins, added = lock_pins(lock), []
    for _ in range(10):  # each round adds the platform-only dependencies the previous round brought in
        missing = missing_requirements(wheels, platform, ["xuncha"])
        if not missing:
            return added
        unpinned = [m for m in missing if m not in pins]
        if unpinned:
            raise BundleError(f"{PLATFORMS[platform]['label']} 需要 {', '.join(unpinned)}，但 requirements.lock 没有固定其版本："
                              "请在 requirements.lock 中加一行「名称==版本 ; 环境标记」后重试")
        _pip(*common, "--no-deps", *[f"{m}=={pins[m]}" for m in missing])
        added += missing
    raise BundleError(f"{PLATFORMS[platform]['label']} 的依赖补不全：{missing}")


def _render(name: str, dest: Path, values: dict[str, str], bom: bool = False, crlf: bool = False) -> None:
    text = (OFFLINE / name).read_text(encoding="utf-8")
    for k, v in values.items():
        text = text.replace("@" + k + "@", v)
    if crlf:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    # Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page (GBK): Chinese text needs the BOM
    dest.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def build(out_root: Path, platforms: list[str], log=print) -> Path:
    ver = version()
    lock = ROOT / "requirements.lock"
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / f"xuncha-offline-{ver}"
    work = Path(tempfile.mkdtemp(prefix=f".xuncha-offline-{ver}-", dir=out_root))
    try:
        wheels = work / "wheels"
        wheels.mkdir()
        log("构建 xuncha 的 wheel …")
        project_wheel = build_wheel(wheels)
        for p in platforms:
            log(f"下载 {PLATFORMS[p]['label']} 的依赖 …")
            added = download(wheels, project_wheel, p, lock)
            if added:
                log(f"  补上只在该平台需要的依赖：{', '.join(added)}")
        shutil.copy2(lock, work / "requirements.lock")
        if (ROOT / "docs").is_dir():
            shutil.copytree(ROOT / "docs", work / "docs")
        values = {"VERSION": ver, "PYTHON": PYTHON,
                  "PLATFORMS": "、".join(PLATFORMS[p]["label"] for p in platforms)}
        _render("install.sh", work / "install.sh", values)
        (work / "install.sh").chmod(0o755)
        _render("install.ps1", work / "install.ps1", values, bom=True, crlf=True)
        _render("install.bat", work / "install.bat", values, crlf=True)
        _render("README.md", work / "README.md", values)
        sums = [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(work).as_posix()}"
                for f in sorted(work.rglob("*")) if f.is_file()]
        (work / "SHA256SUMS.txt").write_text("\n".join(sums) + "\n", encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    n = len(list((final / "wheels").glob("*.whl")))
    size = sum(f.stat().st_size for f in final.rglob("*") if f.is_file()) / 2**20
    log(f"离线安装包：{final}（{n} 个 wheel，{size:.0f} MB）。整个文件夹复制到 U 盘即可，说明见其中的 README.md")
    return final


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="生成离线安装包 dist/xuncha-offline-<版本>/（需要联网下载依赖）")
    ap.add_argument("--out", type=Path, default=ROOT / "dist", help="输出文件夹（默认 dist/）")
    ap.add_argument("--platform", action="append", choices=sorted(PLATFORMS),
                    help="目标平台，可重复（默认 linux-x86_64 与 windows-x86_64）")
    args = ap.parse_args(argv)
    try:
        build(args.out, args.platform or DEFAULT_PLATFORMS)
    except BundleError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
