"""The analyst's working folder and the configuration every command reads from it.

A working folder holds ``data_raw/``, ``data_clean/``, ``reports/`` and ``config/``. Every command takes
its configuration from ``config/`` of the folder it runs in (``--config DIR`` overrides):

- ``config/settings.yaml``: county settings; keys given there override the packaged defaults;
- ``config/contract.yaml``: (optional) a whole replacement of the packaged data contract;
- ``config/本县口径.xlsx``: the analyst's answers to the question workbook (applied on top of the contract).

Files inside the installed package are only the defaults.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.contract import CONFIG_DIR, Contract, load_contract

ANSWERS_FILE = "本县口径.xlsx"
SETTINGS_FILE = "settings.yaml"
CONTRACT_FILE = "contract.yaml"


def config_dir(explicit: Path | None = None) -> Path:
    """The configuration folder: --config DIR, else ./config of the working folder."""
    return Path(explicit) if explicit is not None else Path.cwd() / "config"


def contract_file(cfg: Path) -> Path:
    own = Path(cfg) / CONTRACT_FILE
    return own if own.is_file() else CONFIG_DIR / CONTRACT_FILE


def settings_files(cfg: Path) -> list[Path]:
    """The packaged defaults, then the working folder's settings (later keys win)."""
    own = Path(cfg) / SETTINGS_FILE
    return [CONFIG_DIR / SETTINGS_FILE] + ([own] if own.is_file() else [])


def answers_file(cfg: Path) -> Path:
    return Path(cfg) / ANSWERS_FILE


def load(cfg: Path | None = None) -> Contract:
    """The contract every stage uses: the (workspace or packaged) contract with the workspace settings."""
    cfg = config_dir(cfg)
    return load_contract(contract_file(cfg), settings_paths=settings_files(cfg),
                         fingerprint_files=[answers_file(cfg)])
