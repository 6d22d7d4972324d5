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
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(PY) -m uvicorn api.app:app --host $(HOST) --port $(PORT)

test: $(STAMP) browser
	$(PY) -m pytest

report: $(STAMP)
	$(VENV)/bin/kizone report

bench: $(STAMP) browser
	$(PY) -m bench.run

.PHONY: map browser

# Writes the web maps (self-contained HTML, they work offline) into out/maps/.
map: $(STAMP)
	$(VENV)/bin/kizone map --out out/maps

# Debian chromium + CJK fonts for the map tests, only where missing (needs root).
browser:
	@sh .ci/install-browser

clean-venv:
	rm -rf $(VENV)
