"""The report page, the PDF and the labelled maps as a person sees them: headless Chromium with
the network cut off, the PDF rendered by poppler (pdftoppm, pdftotext).

Skipped, with the reason, where Debian's chromium or poppler-utils is missing (`make test`
installs both when run as root).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from api.local_server import running_uvicorn
from cli.main import main as kizone
from maps.browser import file_url, find_chromium

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="headless Chromium not installed (Debian: apt-get install chromium; "
                                       "`make test` does it as root)")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                   reason="pdftoppm/pdftotext not installed (Debian: apt-get install poppler-utils; "
                                          "`make test` does it as root)")
SCREEN = (1400, 900)
BROWSER_SIZE = SCREEN  # the conftest's browser fixture opens at this size


@pytest.fixture(scope="module")
def server_url():
    with running_uvicorn() as url:
        yield url


@pytest.fixture(scope="module")
def report_json(server_url) -> dict:
    import json
    import urllib.request

    with urllib.request.urlopen(f"{server_url}/allocations") as resp:
        return json.load(resp)


@pytest.fixture(scope="module")
def pdf_file(server_url, tmp_path_factory) -> Path:
    import urllib.request

    with urllib.request.urlopen(f"{server_url}/allocations?f=pdf", timeout=120) as resp:
        assert resp.headers["Content-Type"] == "application/pdf"
        assert resp.headers["Content-Disposition"] == 'inline; filename="allocations.pdf"'
        data = resp.read()
    path = tmp_path_factory.mktemp("pdf") / "allocations.pdf"
    path.write_bytes(data)
    return path


def ink_fraction(ppm: bytes) -> float:
    """Share of the pixels of a binary PPM (P6) that are not white."""
    header, _, rest = ppm.partition(b"\n")
    assert header == b"P6"
    dims, _, rest = rest.partition(b"\n")
    width, height = map(int, dims.split())
    _maxval, _, pixels = rest.partition(b"\n")
    inked = sum(1 for i in range(0, width * height * 3, 3) if pixels[i:i + 3] != b"\xff\xff\xff")
    return inked / (width * height)


@needs_poppler
def test_pdf_first_page_is_not_blank_and_its_text_is_korean_and_english(pdf_file, report_json, tmp_path):
    assert pdf_file.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(pdf_file),
                    str(tmp_path / "page1")], check=True, timeout=60)
    ppm = (tmp_path / "page1.ppm").read_bytes()
    assert 0.03 < ink_fraction(ppm) < 0.9  # tables and text on paper, not an empty (or black) page
    text = subprocess.run(["pdftotext", "-layout", str(pdf_file), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout
    assert "배분 점검 보고서" in text and "Allocation report" in text
    assert "도식 경계" in text  # the banner: the default store is schematic
    for row in report_json["rows"][:6]:
        assert row["name_ko"].split(" (")[0] in text, row["target_id"]
        if row["measured_m2"] is not None:
            assert f"{row['measured_m2']:,.0f}" in text  # the numbers of the JSON, as the page shows them
    info = subprocess.run(["pdfinfo", str(pdf_file)], capture_output=True, text=True, timeout=60).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size:")).split()
    assert float(size[2]) == pytest.approx(842, abs=1) and float(size[4]) == pytest.approx(595, abs=1)  # A4 landscape


@needs_poppler
def test_cli_pdf_has_the_numbers_of_the_api(report_json, tmp_path):
    out = tmp_path / "report.pdf"
    assert kizone(["report", "--format", "pdf", "--out", str(out)]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], check=True, capture_output=True, text=True).stdout
    for row in report_json["rows"]:
        if row["measured_m2"] is not None:
            assert f"{row['measured_m2']:,.0f}" in text, row["target_id"]


def test_report_page_shows_the_table_the_banner_and_the_live_map(browser, server_url, report_json, tmp_path):
    result = browser.open(f"{server_url}/allocations?f=html")
    assert result.remote_requests == [] and result.errors == []
    state = browser.evaluate("""(() => {
        const rect = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
        const banner = document.querySelector('.schematic-banner');
        const frame = document.querySelector('.map iframe');
        return {rows: document.querySelectorAll('tr.target').length,
                firstRow: document.querySelector('tr.target').innerText,
                banner: banner ? [banner.innerText, rect(banner)] : null,
                table: rect(document.querySelector('table.allocation')), map: rect(frame)};
    })()""")
    assert state["rows"] == len(report_json["rows"])
    first = report_json["rows"][0]
    assert first["name_ko"] in state["firstRow"] and f"{first['measured_m2']:,.0f}" in state["firstRow"]
    text, (bx, by, bw, bh) = state["banner"]
    assert "도식 경계" in text and bh > 20 and by < SCREEN[1]  # seen on opening, not below the fold
    tx, _, tw, _ = state["table"]
    mx, my, mw, mh = state["map"]
    assert mx >= tx + tw and mw > 360 and mh > 500  # the map beside the table, not under it
    browser._wait_for("document.querySelector('.map iframe').contentWindow.kizoneMap !== undefined")
    drawn = browser.evaluate("Object.keys(document.querySelector('.map iframe').contentWindow.kizoneMap.layers).length")
    assert drawn >= 2
    (tmp_path / "report.png").write_bytes(result.screenshot)


def test_maps_have_a_title_a_north_arrow_and_zone_labels(browser, tmp_path, report_json):
    out = tmp_path / "maps"
    assert kizone(["map", "--out", str(out)]) == 0
    drawn_targets = [r for r in report_json["rows"] if r["status"] != "missing"]
    for kind in ("allocation", "overview"):
        browser.open(file_url(out / f"{kind}.html") + "#gwangju", screenshot=False)
        state = browser.evaluate("""(() => ({
            title: document.querySelector('.kz-title h1').innerText,
            north: !!document.querySelector('.kz-title svg.kz-north'),
            labels: Array.from(document.querySelectorAll('.kz-label')).map(e => e.textContent),
            shown: document.querySelectorAll('.kz-label:not(.kz-hidden)').length}))()""")
        assert state["north"] and state["title"]
        assert 0 < state["shown"] <= len(state["labels"])
        if kind == "allocation":
            assert state["title"].startswith("배분 점검 · Allocation check")
            assert len(state["labels"]) == len(drawn_targets)
            bitgreen = next(r for r in drawn_targets if r["target_id"] == "bitgreen_gwangju_phase1")
            assert f"{bitgreen['name_ko']} · {bitgreen['measured_m2'] / 1e6:.2f} km²" in state["labels"]
        # No two shown labels overlap.
        overlaps = browser.evaluate("""(() => {
            const r = Array.from(document.querySelectorAll('.kz-label:not(.kz-hidden)')).map(e => e.getBoundingClientRect());
            let n = 0;
            for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++)
                if (r[i].left < r[j].right && r[i].right > r[j].left && r[i].top < r[j].bottom && r[i].bottom > r[j].top) n++;
            return n; })()""")
        assert overlaps == 0


def test_siting_rule_table_is_whole_on_a_1400x900_screen(browser, tmp_path):
    out = tmp_path / "maps"
    assert kizone(["map", "--out", str(out)]) == 0
    facilities = sorted(out.glob("siting-*.html"))
    assert len(facilities) == 7
    for page in facilities:
        browser.open(file_url(page), screenshot=False)
        table, jump, scale, height, rows, rules = browser.evaluate("""(() => {
            const t = document.querySelector('.kz-siting-table');
            const b = e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; };
            return [b(t), b(document.querySelector('.kz-jump')), b(document.querySelector('.leaflet-control-scale')),
                    window.innerHeight, t.scrollHeight - t.clientHeight, t.querySelectorAll('tr.kz-rule').length];
        })()""")
        assert rules > 0
        assert rows <= 1, page.name  # nothing hidden below a scroll edge
        assert table[0] >= jump[1] and table[1] <= scale[0] <= height, page.name  # between the buttons and the scale
