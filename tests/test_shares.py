"""Land-use shares: the pure aggregation and the plan's [[share]] entries."""
from __future__ import annotations

import re

import pytest

from geodata.share_file import load_shares
from zones.shares import ShareError, ShareTarget, check_shares


def _t(id_, uses, pct, group="g", tol=1.0):
    return ShareTarget(id=id_, group=group, name_ko=id_, name_en=id_, layer="parcels", uses=tuple(uses),
                       share_pct=pct, tolerance_pct=tol, source="test", filter_field="zone", filter_value="z")


def test_shares_by_use_with_filter_and_unassigned():
    targets = [_t("a", ["parts_production"], 60), _t("b", ["support"], 20), _t("c", ["infrastructure"], 20)]
    rows = [{"use": "parts_production", "zone": "z", "area_m2": 570.0},
            {"use": "support", "zone": "z", "area_m2": 200.0},
            {"use": "infrastructure", "zone": "z", "area_m2": 200.0},
            {"use": "road", "zone": "z", "area_m2": 30.0},
            {"use": "support", "zone": "elsewhere", "area_m2": 9999.0}]
    report = check_shares(targets, {"parcels": rows})
    by_id = {r.target_id: r for r in report.rows}
    assert by_id["a"].measured_pct == pytest.approx(57.0) and by_id["a"].status == "under"
    assert by_id["a"].diff_pct_points == pytest.approx(-3.0)
    assert by_id["b"].status == "ok" and by_id["c"].status == "ok"
    assert report.unassigned == {"g": {"road": 30.0}}
    assert report.counts() == {"ok": 2, "over": 0, "under": 1, "missing": 0}


def test_missing_parcels_and_bad_groups():
    report = check_shares([_t("a", ["x"], 100)], {})
    assert report.rows[0].status == "missing"
    with pytest.raises(ShareError, match="add up to 90"):
        check_shares([_t("a", ["x"], 60), _t("b", ["y"], 30)], {})
    with pytest.raises(ShareError, match="counted by both"):
        check_shares([_t("a", ["x"], 50), _t("b", ["x"], 50)], {})


def test_plan_shares_are_the_gazetted_splits():
    shares = load_shares()
    groups = {}
    for s in shares:
        groups.setdefault(s.group, []).append(s.share_pct)
    assert groups == {"fcsc_split": [60, 20, 20], "fez_land_use": [47, 38, 13, 1, 1]}
    # Each share names the public article it comes from, in words a reader can look up.
    assert all("aitimes.com" in s.source or "investkorea.org" in s.source for s in shares)
    assert not any(re.search(r"[가-힣]", s.name_en) for s in shares)
