"""The allocation report as files: CSV and XLSX read back hold the JSON's rows and numbers, the
HTML page escapes every data text, the CLI writes what the API serves and checks its output first.

No browser here (see test_report_browser.py for the PDF and the page in Chromium).
"""
from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.app import create_app
from cli.main import main as kizone
from reports.page import report_page
from reports.records import ALLOCATION_COLUMNS, FINDING_COLUMNS, STATUTORY_COLUMNS, TABLES, document
from reports.sheets import SHEET_TITLES, csv_value
from zones.allocation import check_allocations
from zones.plan import PlanTarget

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


@pytest.fixture(scope="module")
def as_json(client) -> dict:
    body = client.get("/allocations").json()
    assert len(body["rows"]) > 20  # the default plan, not an empty report that would pass anything
    return body


def json_tables(body: dict) -> dict[str, list[dict]]:
    findings = [{c.key: f[c.key] for c in FINDING_COLUMNS} for r in body["rows"] for f in r["findings"]]
    return {"allocation": body["rows"], "findings": findings, "statutory": body["statutory"]}


def parse_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    assert data.startswith("\ufeff".encode())  # Excel reads the Korean as UTF-8 only with the mark
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def as_csv_field(value) -> str:
    value = csv_value(value)
    return value if isinstance(value, str) else str(value)


@pytest.mark.parametrize("table", list(TABLES))
def test_csv_parsed_back_holds_the_json_rows_at_full_precision(client, as_json, table):
    resp = client.get("/allocations", params={"f": "csv", **({} if table == "allocation" else {"table": table})})
    assert resp.status_code == 200 and resp.headers["content-type"] == "text/csv; charset=utf-8"
    name = "allocations.csv" if table == "allocation" else f"allocations-{table}.csv"
    assert resp.headers["content-disposition"] == f'attachment; filename="{name}"'
    header, rows = parse_csv(resp.content)
    assert header == [c.key for c in TABLES[table]]
    expected = json_tables(as_json)[table]
    assert len(rows) == len(expected) and (table == "statutory" or rows)
    for got, want in zip(rows, expected):
        for field, col in zip(got, TABLES[table]):
            value = want[col.key]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                assert float(field) == value, col.key  # the same number (1847000 in the plan, 1847000.0 in JSON)
            else:
                assert field == as_csv_field(value), col.key
    if table == "allocation":  # numbers come back as the same floats
        by_id = {r[0]: dict(zip(header, r)) for r in rows}
        for want in expected:
            if want["measured_m2"] is not None:
                assert float(by_id[want["target_id"]]["measured_m2"]) == want["measured_m2"]


def test_xlsx_read_back_with_openpyxl_holds_the_json_rows_and_numbers(client, as_json):
    resp = client.get("/allocations?f=xlsx")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert resp.headers["content-disposition"] == 'attachment; filename="allocations.xlsx"'
    wb = load_workbook(io.BytesIO(resp.content))
    assert wb.sheetnames == ["Report 보고서", *SHEET_TITLES.values()]
    first = [c.value for row in wb["Report 보고서"].iter_rows() for c in row if c.value is not None]
    assert any(str(v).startswith("!! 도식 경계") for v in first)  # the banner: the default store is schematic
    for table, rows in json_tables(as_json).items():
        ws = wb[SHEET_TITLES[table]]
        values = list(ws.iter_rows(values_only=True))
        assert list(values[0]) == [c.label for c in TABLES[table]]
        assert len(values) - 1 == len(rows)
        for got, want in zip(values[1:], rows):
            for cell, col in zip(got, TABLES[table]):
                expected = want[col.key]
                if isinstance(expected, list):
                    expected = ", ".join(expected)
                if expected == "" or expected is None:
                    assert cell in (None, ""), col.key
                elif isinstance(expected, float):  # a spreadsheet keeps 16 significant digits (openpyxl writes %.16g)
                    assert cell == pytest.approx(expected, rel=1e-15, abs=0), (table, col.key)
                else:
                    assert cell == expected, (table, col.key)
    ws = wb[SHEET_TITLES["allocation"]]
    measured = [c.key for c in ALLOCATION_COLUMNS].index("measured_m2") + 1
    assert ws.cell(2, measured).number_format == "#,##0" and isinstance(ws.cell(2, measured).value, float)


def test_statutory_columns_are_the_json_fields(as_json):
    assert set(as_json["statutory"][0]) >= {c.key for c in STATUTORY_COLUMNS}


@pytest.mark.parametrize("query, status", [
    ("f=xml", 400), ("f=csv&table=parcels", 400), ("f=xlsx&table=findings", 400), ("table=findings", 400),
    ("format=csv", 400), ("f=CSV", 200)])
def test_unknown_formats_and_tables_are_a_400_that_names_the_served_ones(client, query, status):
    resp = client.get(f"/allocations?{query}")
    assert resp.status_code == status, resp.text
    if status == 400:
        assert resp.headers["content-type"] == "application/problem+json"


def test_html_page_has_every_table_and_is_linked_from_the_landing_page(client, as_json):
    landing = client.get("/").json()
    assert any(l["href"].endswith("/allocations?f=html") and l["type"] == "text/html" for l in landing["links"])
    assert "/allocations?f=html" in client.get("/?f=html").text
    page = client.get("/allocations", headers={"accept": "text/html"})
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.text == client.get("/allocations?f=html").text
    html = page.text
    assert html.count('<tr class="target"') == len(as_json["rows"])
    assert html.count('<tr class="finding">') == sum(len(r["findings"]) for r in as_json["rows"])
    assert html.count('<tr class="statutory">') == len(as_json["statutory"])
    assert 'class="banner schematic-banner"' in html and '<iframe class="kz-report-map" src="maps/allocation"' in html
    for href in ("allocations?f=csv", "allocations?f=xlsx", "allocations?f=pdf"):
        assert f'href="{href}"' in html
    row = next(r for r in as_json["rows"] if r["target_id"] == "bitgreen_total")
    assert f"{row['measured_m2']:,.0f}" in html and row["planned_text"].split(" (")[0] in html


EVIL = '<img src=x onerror="alert(1)">'


def test_html_page_escapes_every_data_text():
    import shapely

    target = PlanTarget(id="t<b>", name_ko=EVIL, name_en=f"{EVIL} & co", layer="l", features=("a",), value=100.0,
                        unit="m2", tolerance_pct=1.0, source=EVIL)
    report = check_allocations([target], {"l": {"a": shapely.box(0, 0, 10, 10)}})
    html = report_page(document(report, store=EVIL), map_src='maps/allocation"><script>x()</script>',
                       nav=[("/", EVIL)], downloads=[("a?b=1&c=2", EVIL)])
    assert "<img" not in html and "<script>" not in html and "t<b>" not in html and "t&lt;b&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html and 'href="a?b=1&amp;c=2"' in html


def test_cli_writes_the_files_the_api_serves(client, tmp_path):
    assert kizone(["report", "--format", "csv", "--out", str(tmp_path / "a.csv")]) == 0
    assert (tmp_path / "a.csv").read_bytes() == client.get("/allocations?f=csv").content
    assert kizone(["report", "--format", "csv", "--table", "findings", "--out", str(tmp_path / "f.csv")]) == 0
    assert (tmp_path / "f.csv").read_bytes() == client.get("/allocations?f=csv&table=findings").content
    assert kizone(["report", "--format", "xlsx", "--out", str(tmp_path / "a.xlsx")]) == 0
    cli_wb = load_workbook(tmp_path / "a.xlsx")
    api_wb = load_workbook(io.BytesIO(client.get("/allocations?f=xlsx").content))
    for title in SHEET_TITLES.values():
        assert list(cli_wb[title].iter_rows(values_only=True)) == list(api_wb[title].iter_rows(values_only=True))


def test_cli_checks_the_output_before_it_reads_the_store(tmp_path, capsys):
    missing_store = str(tmp_path / "no-such-store.gpkg")
    (tmp_path / "a-file").write_text("x")
    out = tmp_path / "a-file" / "a.xlsx"
    assert kizone(["report", "--format", "xlsx", "--store", missing_store, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()  # the output is named, not the missing store: nothing was read
    assert err == f"kizone: error: --out {out}: cannot write there, {tmp_path / 'a-file'} is a file, not a folder"
    assert kizone(["report", "--format", "csv", "--store", missing_store, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"kizone: error: --out {tmp_path}: is a folder; give a file name"
    assert kizone(["report", "--format", "xlsx"]) == 2
    assert capsys.readouterr().err.strip() == "kizone: error: --format xlsx needs --out FILE"
    assert [p.name for p in tmp_path.iterdir()] == ["a-file"]  # nothing half-written


def test_cli_creates_the_folders_of_out(tmp_path):
    out = tmp_path / "reports" / "2024" / "allocations.csv"
    assert kizone(["report", "--format", "csv", "--out", str(out)]) == 0
    assert out.read_bytes().startswith("\ufefftarget_id,".encode())
    assert [p.name for p in out.parent.iterdir()] == ["allocations.csv"]  # no temporary file left


def test_csv_without_out_goes_to_the_terminal_without_the_excel_mark(client, capsys):
    assert kizone(["report", "--format", "csv"]) == 0
    assert capsys.readouterr().out.encode() == client.get("/allocations?f=csv").content.removeprefix(b"\xef\xbb\xbf")


def _without_chromium(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH holds no browser (the real lookup then finds none)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    return {**os.environ, "PATH": str(empty)}


def test_pdf_without_chromium_is_one_line_from_the_cli(tmp_path):
    out = tmp_path / "r.pdf"
    proc = subprocess.run([sys.executable, "-m", "cli.main", "report", "--format", "pdf", "--out", str(out)],
                          cwd=ROOT, env=_without_chromium(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("kizone: error: --format pdf needs headless Chromium")
    assert not out.exists()


def test_pdf_without_chromium_is_a_503_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _without_chromium(tmp_path)["PATH"])
    resp = TestClient(create_app()).get("/allocations?f=pdf")
    assert resp.status_code == 503 and resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert body["title"] == "PDF printing unavailable" and "chromium" in body["detail"]
