# xuncha — two commands on a fresh machine:
#   make demo   the whole job on the built-in demo (reports/ afterwards)
#   make test   the whole test suite (installs Chromium + CJK fonts via apt when root)
#   make bundle the offline installer dist/xuncha-offline-<version>/ (needs the internet to build, not to install)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lab bench install bundle docs sysdeps lint clean help

# A copied or moved checkout carries a .venv whose scripts and editable install point back at the original
# folder (edits here would be silently ignored). When the installed package does not come from this folder,
# say so and re-create the environment.
ifneq ($(wildcard $(STAMP)),)
VENV_HERE := $(shell $(PY) -I -c "import os, sys, pipelines; here = os.path.realpath(sys.argv[1]) + os.sep; sys.exit(not os.path.realpath(pipelines.__file__).startswith(here))" "$(CURDIR)" >/dev/null 2>&1 && echo yes)
ifneq ($(VENV_HERE),yes)
$(info $(VENV) 不是为这个文件夹（$(CURDIR)）建的（项目被复制或移动过，或环境已损坏）：删除并重建 $(VENV)。)
RECREATE_VENV := 1
.PHONY: $(STAMP)
endif
endif

help:
	@echo "make demo   生成演示台账 → 入库 → 校验 → 报告（reports/index.html）"
	@echo "make test   运行全部测试"
	@echo "make lab    用项目内核打开 JupyterLab（notebooks/）"
	@echo "make bench  规模基准测试（benchmarks/）"
	@echo "make bundle 生成内网离线安装包 dist/xuncha-offline-<版本>/"

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) scripts/check_python.py
	$(if $(RECREATE_VENV),rm -rf $(VENV))
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

bundle: $(STAMP)
	$(PY) scripts/bundle.py

docs: $(STAMP)
	$(PY) scripts/build_docs.py

clean:
	rm -rf data_clean/warehouse.duckdb data_clean/.cache reports/20* reports/index.html reports/quality
