#!/bin/sh
# Debian packages the API's real-client test and load benchmark use: gdal-bin (ogrinfo, the
# OGC API - Features client QGIS is built on) and wrk (HTTP load generator). Installs only
# what is missing, and only as root; otherwise says so and leaves the tests to skip.
set -u
need=""
command -v ogrinfo >/dev/null 2>&1 || need="$need gdal-bin"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "apt-api: not root or no apt-get; missing:$need (the tests that need them will skip)" >&2
    exit 0
fi
echo "apt-api: installing$need" >&2
apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $need >/dev/null \
    || echo "apt-api: apt-get failed; missing:$need (the tests that need them will skip)" >&2
exit 0
