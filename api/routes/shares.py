"""Land-use shares of the parcels against the plan's splits (60/20/20, 47/38/13/1/1 %)."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from api.deps import get_provider
from geodata.provider import LayerProvider
from geodata.share_file import load_shares, shares_of_store

router = APIRouter(tags=["plan"])


@router.get("/allocations/shares", summary="Parcel areas by use against the plan's land-use shares",
            responses={200: {"content": {"application/json": {"example": {
                "rows": [{"target_id": "fcsc_share_parts_production", "group": "fcsc_split", "planned_pct": 60,
                          "measured_pct": 60.0, "diff_pct_points": 0.0, "tolerance_pct": 1.0, "status": "ok"}],
                "counts": {"ok": 8, "over": 0, "under": 0, "missing": 0}}}}}})
def shares(request: Request, provider: LayerProvider = Depends(get_provider)) -> dict:
    targets = load_shares(request.app.state.settings.plan_path)
    return shares_of_store(provider, targets).as_dict()
