"""Statutory checks: national standards per complex, from the parcels' land use; `no data` without parcels."""
from __future__ import annotations

import json
import shutil

import pytest
import shapely

from cli.main import main
from geodata import DEFAULT_STORE
from geodata.statutory_file import load_statutory, statutory_report
from zones.statutory import Complex, Parcel, check_statutory


@pytest.fixture(scope="module")
def rules():
    return {r.id: r for r in load_statutory()[1]}


def strips(x0, widths_uses, height=1000.0):
    """West-to-east parcels of the given widths (m) and uses, `height` m tall."""
    out, x = [], x0
    for width, use in widths_uses:
        out.append(Parcel(use, shapely.box(x, 0, x + width, height)))
        x += width
    return out


def rows_of(rules, ids, cx, parcels):
    return {r.rule_id: r for r in check_statutory([rules[i] for i in ids], [cx], parcels)}


def test_a_complex_whose_green_ratio_is_below_its_band_is_under(rules):
    # 1.5 km² complex: the 1–3 km² band asks 7.5–10 % green; 5 % is drawn.
    cx = Complex("c", "단지", "complex", 1.5e6, shapely.box(0, 0, 1500, 1000))
    parcels = strips(0, [(1425, "industrial"), (75, "green")])
    row = rows_of(rules, ["green_ratio"], cx, parcels)["green_ratio"]
    assert row.status == "under" and row.measured == pytest.approx(5.0)
    assert row.required == "7.5–10 %" and "산업입지의 개발에 관한 통합지침" in row.source
    assert "미달" in row.reason_ko
    fixed = rows_of(rules, ["green_ratio"], cx, strips(0, [(1365, "industrial"), (135, "green")]))
    assert fixed["green_ratio"].status == "ok"


def test_the_band_follows_the_complex_size(rules):
    big = Complex("b", "큰 단지", "big", 3.5e6, shapely.box(0, 0, 3500, 1000))
    row = rows_of(rules, ["green_ratio"], big, strips(0, [(3185, "industrial"), (315, "green")]))["green_ratio"]
    assert row.required == "10–13 %" and row.status == "under"  # 9 % is fine at 1.5 km², not at 3.5 km²


def test_industrial_mixed_use_and_buffer_width(rules):
    cx = Complex("c", "단지", "complex", 0.9e6, shapely.box(0, 0, 900, 1000))
    parcels = strips(0, [(300, "industrial"), (350, "mixed_use"), (200, "support"), (42, "road"), (8, "buffer_green")])
    rows = rows_of(rules, ["industrial_share", "mixed_use_share", "buffer_green_width"], cx, parcels)
    assert rows["industrial_share"].status == "under"  # 300 of 850 m of saleable strips: 35 %
    assert rows["mixed_use_share"].status == "over"  # 350 of 650: 54 %
    assert rows["buffer_green_width"].status == "under" and rows["buffer_green_width"].measured == pytest.approx(8, abs=0.05)


def test_a_complex_without_parcels_answers_no_data(provider, plan):
    rows = statutory_report(provider, plan)
    assert rows and {r.status for r in rows} == {"no data"}
    assert all(r.parcels == 0 and r.source for r in rows)


def test_report_on_the_sample_parcels_computes_each_complex(tmp_path, capsys, monkeypatch):
    from geodata.make_parcels_sample import SAMPLE_FILE

    store = tmp_path / "zones.gpkg"
    shutil.copy(DEFAULT_STORE, store)
    assert main(["import", str(SAMPLE_FILE), "--layer", "parcels", "--store", str(store),
                 "--report", str(tmp_path / "r.json")]) == 0
    capsys.readouterr()
    assert main(["report", "--format", "json", "--store", str(store)]) == 0
    statutory = json.loads(capsys.readouterr().out)["statutory"]
    fcsc = {r["rule_id"]: r for r in statutory if r["complex_id"] == "fcsc_total"}
    assert fcsc["green_ratio"]["parcels"] > 0 and fcsc["green_ratio"]["status"] == "under"  # the sample has no green
    assert fcsc["buffer_green_width"]["status"] == "no data"  # none drawn
