# Each target sets up what it needs: a fresh machine with Python 3.11+, git and make suffices.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Server processes: one per core by default (make serve WORKERS=1 for one)
WORKERS ?= $(shell nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
STAMP  := $(VENV)/.installed

.PHONY: serve test report bench bench-parcels bench-tiles install clean-venv import export

# ZONES_STORE (your own copy of the store) reaches every target: make serve ZONES_STORE=/path/store.gpkg
ifdef ZONES_STORE
export ZONES_STORE
endif

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Leaflet.VectorGrid (the cadastral map draws the vector tiles with it), from npm into the venv;
# after system-deps in `make test`, which installs npm where it is missing.
VECTORGRID := $(VENV)/npm/node_modules/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js
$(VECTORGRID): | $(PY)
	@if command -v npm >/dev/null 2>&1; then \
	    npm install --silent --no-audit --no-fund --no-save --prefix $(VENV)/npm leaflet.vectorgrid@1.3.0; \
	else echo "install: no npm; /maps/cadastre needs Leaflet.VectorGrid (Debian: apt-get install npm, then make install)" >&2; fi

install: $(STAMP) $(VECTORGRID)

serve: $(STAMP) $(VECTORGRID)
	$(PY) -m api.serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

test: $(STAMP) system-deps $(VECTORGRID)
	$(PY) -m pytest

report: $(STAMP)
	$(VENV)/bin/kizone report

bench: $(STAMP) system-deps
	$(PY) -m bench.run

# Serving the cadastral map: tile latency by zoom (cold, warm) and a complex's bbox read, PostGIS ST_AsMVT beside
# (make bench-tiles N=1000000, or STORE=path/store.gpkg for a store with a dataset already imported)
bench-tiles: $(STAMP) system-deps
	$(PY) -m bench.tiles $(if $(STORE),--store "$(STORE)",--n $(or $(N),1000000)) --work out/bench-tiles

# Only the parcel benchmark against PostGIS (BENCH_PARCEL_SIZES=100000 for the smaller size alone)
bench-parcels: $(STAMP) system-deps
	$(PY) -m bench.run parcels

import: $(STAMP)
	@test -n "$(FILE)" -a -n "$(LAYER)" || { echo 'usage: make import FILE=path LAYER=id [ARGS="--crs EPSG:5174 --strict ..."]'; exit 2; }
	$(VENV)/bin/kizone import "$(FILE)" --layer "$(LAYER)" $(ARGS)

export: $(STAMP)
	@test -n "$(LAYER)" -a -n "$(OUT)" || { echo 'usage: make export LAYER=id OUT=path.gpkg|.geojson|.shp'; exit 2; }
	$(VENV)/bin/kizone export --layer "$(LAYER)" --out "$(OUT)"

.PHONY: map system-deps lint

# Writes the web maps (self-contained HTML, they work offline) into out/maps/.
map: $(STAMP)
	$(VENV)/bin/kizone map --out out/maps

# Debian programs the tests drive for real (chromium, ogrinfo, wrk), only where missing (needs root).
system-deps:
	@sh tools/system-deps.sh

clean-venv:
	rm -rf $(VENV)

# Static checks: undefined names, unused imports, syntax errors.
lint: $(STAMP)
	$(PY) -m pip install --quiet 'ruff>=0.4'
	$(PY) -m ruff check .

.PHONY: parcels-sample import-parcels
# A synthetic 연속지적도 zip in the published shape: make parcels-sample N=100000 [SIDO=29] [ARGS="--bessel"]
parcels-sample: $(STAMP)
	@test -n "$(N)" || { echo 'usage: make parcels-sample N=lots [SIDO=29] [OUT=out/cadastre] [ARGS="--bessel --faults 5"]'; exit 2; }
	$(VENV)/bin/kizone parcels-sample --n "$(N)" --sido "$(or $(SIDO),29)" --out "$(or $(OUT),out/cadastre)" $(ARGS)

# Import 연속지적도 zips (or folders of them) into the parcel dataset beside the store.
import-parcels: $(STAMP)
	@test -n "$(FILE)" || { echo 'usage: make import-parcels FILE=LSMD_CONT_LDREG_29_202411.zip [ARGS="--report out/import.json"]'; exit 2; }
	$(VENV)/bin/kizone import-parcels $(FILE) $(ARGS)

.PHONY: bench-scale
# Parcels at scale (generate, import, shares on Dask and in memory, peak memory): make bench-scale N=1000000
bench-scale: $(STAMP)
	@test -n "$(N)" || { echo 'usage: make bench-scale N=parcels [SIDO=29]'; exit 2; }
	$(PY) -m bench.scale --n "$(N)" --sido "$(or $(SIDO),29)"
