# Each target sets up what it needs: a fresh machine with Python 3.11+, git and make suffices.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: serve test report bench install clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	sh tools/apt-api.sh
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(PY) -m uvicorn api.app:app --host $(HOST) --port $(PORT)

test: $(STAMP)
	$(PY) -m pytest

report: $(STAMP)
	$(VENV)/bin/kizone report

bench: $(STAMP)
	$(PY) -m bench.run

clean-venv:
	rm -rf $(VENV)
