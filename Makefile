# xuncha — two commands on a fresh machine:
#   make demo   the whole job on the built-in demo (reports/ afterwards)
#   make test   the whole test suite (installs Chromium + CJK fonts via apt when root)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lab bench install sysdeps lint clean help

help:
	@echo "make demo   生成演示台账 → 入库 → 校验 → 报告（reports/index.html）"
	@echo "make test   运行全部测试"
	@echo "make lab    用项目内核打开 JupyterLab（notebooks/）"
	@echo "make bench  规模基准测试（benchmarks/）"

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(PY) -m ipykernel install --sys-prefix --name xuncha --display-name "xuncha (Python)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

sysdeps:
	bash scripts/install-system-deps.sh

demo: $(STAMP)
	$(VENV)/bin/xuncha demo

test: $(STAMP) sysdeps
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check pipelines tests benchmarks scripts

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)
	$(PY) -m benchmarks --scale 1

clean:
	rm -rf data_clean/warehouse.duckdb data_clean/.cache reports/20* reports/index.html reports/quality
