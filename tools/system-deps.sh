#!/bin/sh
# Debian packages the tests and benchmarks drive as real programs, installed only where missing:
#   chromium + fonts-noto-cjk  the map tests render in headless Chromium (Hangul needs CJK fonts)
#   gdal-bin                   ogrinfo, the OGC API - Features client QGIS is built on
#   wrk                        the HTTP load generator of `make bench`
#   poppler-utils              pdftoppm and pdftotext: the report tests render and read the printed PDF
#   postgresql + postgis       the PostGIS side of the parcel benchmark (`make bench`, `make bench-parcels`)
#   python3-qgis               QGIS itself (its Python bindings): loads the cadastral vector tiles as an XYZ layer
#   npm                        installs Leaflet.VectorGrid for the cadastral map (`make install`)
# Without root or apt-get nothing is installed: the tests that need a program skip and say why.
set -u
need=""
command -v chromium >/dev/null 2>&1 || need="$need chromium"
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    need="$need fonts-noto-cjk"
fi
command -v ogrinfo >/dev/null 2>&1 || need="$need gdal-bin"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
command -v pdftoppm >/dev/null 2>&1 || need="$need poppler-utils"
command -v npm >/dev/null 2>&1 || need="$need npm"
if command -v dpkg >/dev/null 2>&1 && ! dpkg -s python3-qgis >/dev/null 2>&1; then
    need="$need python3-qgis"
fi
if command -v dpkg >/dev/null 2>&1; then
    dpkg -s postgresql >/dev/null 2>&1 || need="$need postgresql"
    # postgis: shp2pgsql and friends; postgresql-postgis: the extension for the distribution's
    # PostgreSQL (it names postgresql-NN-postgis-3)
    dpkg -s postgis >/dev/null 2>&1 || need="$need postgis"
    ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 || need="$need postgresql-postgis"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: not root or no apt-get; missing:$need (the tests that need them will skip)" >&2
    exit 0
fi
echo "system-deps: installing$need (Debian)" >&2
apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null \
    || echo "system-deps: apt-get failed; missing:$need (the tests that need them will skip)" >&2
exit 0
