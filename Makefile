# The course's commands. `make lab` to read and run the chapters, `make test` to check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Notebooks run headless in tests: live plots print text lines, TensorFlow's C++ log stays quiet.
NB_ENV := RNN_COURSE_HEADLESS=1 TF_CPP_MIN_LOG_LEVEL=3 MPLBACKEND=module://matplotlib_inline.backend_inline
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with ci/nbval_sanitize.cfg --nbval-cell-timeout=600

.PHONY: setup lab test lint unit notebooks execute benchmark benchmark-quick clean

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

setup: $(STAMP)  ## create .venv with the pinned requirements and utils (editable)

lab: setup  ## open JupyterLab on the chapters
	$(BIN)/jupyter lab chapters/

test: lint unit notebooks benchmark-quick  ## everything CI checks

lint: setup
	$(BIN)/ruff check .

unit: setup  ## unit tests of utils, notebook hygiene, README and pins
	$(BIN)/python -m pytest tests -q --durations=5

notebooks: setup  ## execute every chapter under nbval
	$(NB_ENV) $(BIN)/python -m pytest $(NBVAL) chapters -q --durations=10

execute: setup  ## re-execute notebooks in place: make execute [NB=chapters/00_preface.ipynb]
	$(NB_ENV) $(BIN)/python ci/execute.py $(or $(NB),chapters)

benchmark: setup  ## run every notebook against its budget, then the speed tables: make benchmark [README=1]
	$(NB_ENV) $(BIN)/python ci/benchmark.py $(if $(README),--readme)

benchmark-quick: setup  ## budgets from the last `make notebooks`, and quick speed tables (under a minute)
	$(NB_ENV) $(BIN)/python ci/benchmark.py --quick

clean:
	rm -rf $(VENV) datasets/cache
