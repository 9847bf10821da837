"""`xuncha init DIR [--county 县名]`: a working folder for one county, city or district.

The folder gets data_raw/, data_clean/, reports/ and config/ (settings.yaml with the county's name), each with a
short Chinese README taken from pipelines/workspace_files/. Files that are already there are kept, never
overwritten, so running init again on a folder in use only adds what is missing.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines.contract import CONFIG_DIR
from pipelines.workspace import CONTRACT_FILE, SETTINGS_FILE

FILES = Path(__file__).resolve().parent / "workspace_files"
FOLDERS = ("data_raw", "data_clean", "reports", "config")
# a county-level division's full name ends in one of these (县、自治县、县级市、市辖区、旗、自治旗、林区、特区)
COUNTY_SUFFIX = re.compile(r"(县|市|区|旗)$")


class InitError(ValueError):
    pass


@dataclass
class InitResult:
    root: Path
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def check_county(name: str) -> str:
    name = name.strip()
    if not name or re.search(r"[\s/\\:*?\"<>|]", name):
        raise InitError(f"县名「{name}」不能为空，也不能含空格或 / \\ : * ? \" < > |，请写全称，如「山丹县」")
    if not COUNTY_SUFFIX.search(name):
        raise InitError(f"县名「{name}」应写全称（以 县、市、区 或 旗 结尾），如「山丹县」「甘州区」：程序用它从单位名称中"
                        "去掉县名前缀，简称会认错单位")
    return name


def settings_text(county: str | None) -> str:
    """The workspace's settings.yaml: the county's name, then every packaged default as a comment to uncomment."""
    defaults = (CONFIG_DIR / SETTINGS_FILE).read_text(encoding="utf-8").splitlines()
    value = yaml.safe_dump(county, allow_unicode=True).splitlines()[0] if county else ""
    lines = ["# 本工作文件夹的设置（分析人员可编辑）：这里写了的项覆盖程序自带的默认值。",
             "# county_name：本县（市、区）全称，用于从单位名称中去掉县名前缀；留空则从党组织名册推断。",
             f"county_name: {value}".rstrip(), "",
             "# 以下是程序自带的默认值。要改哪一项，去掉该行开头的“# ”再改："]
    start = next((i + 1 for i, line in enumerate(defaults) if line.startswith("county_name:")), 0)
    for line in defaults[start:]:  # the defaults' own county_name and its comments are written above
        lines.append(line if line.startswith("#") or not line.strip() else f"# {line}")
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, res: InitResult) -> None:
    if path.exists():
        res.kept.append(path)
        return
    path.write_text(text, encoding="utf-8")
    res.created.append(path)


def init_workspace(root: Path, county: str | None = None, copy_contract: bool = False) -> InitResult:
    root = Path(root)
    if county is not None:
        county = check_county(county)
    if root.exists() and not root.is_dir():
        raise InitError(f"{root} 已存在且不是文件夹：请换一个工作文件夹名")
    settings = root / "config" / SETTINGS_FILE
    if county and settings.is_file():
        current = (yaml.safe_load(settings.read_text(encoding="utf-8")) or {}).get("county_name")
        if current and current != county:
            raise InitError(f"{settings} 中的县名已是「{current}」，与 --county「{county}」不同：一个工作文件夹只放一个县的台账。"
                            f"如确需改名，请直接编辑该文件")
    res = InitResult(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in FOLDERS:
            d = root / name
            if not d.is_dir():
                d.mkdir()
                res.created.append(d)
            _write(d / "README.md", (FILES / name / "README.md").read_text(encoding="utf-8"), res)
        top = (FILES / "README.md").read_text(encoding="utf-8").replace("@COUNTY@", county or root.resolve().name)
        _write(root / "README.md", top, res)
        _write(settings, settings_text(county), res)
        if copy_contract:
            dest = root / "config" / CONTRACT_FILE
            if dest.exists():
                res.kept.append(dest)
            else:
                shutil.copy2(CONFIG_DIR / CONTRACT_FILE, dest)
                res.created.append(dest)
    except OSError as exc:
        raise InitError(f"无法在 {root} 建立工作文件夹（{exc.strerror or exc}）：请检查路径和写权限") from None
    return res
