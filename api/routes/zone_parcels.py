"""The parcels of a zone: counts, area by use and share, and the part of each crossing parcel inside."""
from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from api.deps import get_plan, get_provider
from api.ogc import reject_unknown_params
from api.ogc_models import problem_responses
from api.problems import Problem
from geodata.provider import LayerProvider
from geodata.zone_parcels import BadZoneReference, UnknownZone, zone_report
from zones.crs import METRIC
from zones.plan import PlanTarget

router = APIRouter(tags=["plan"])


@router.get("/collections/{collection_id}/zone-summary", responses=problem_responses(400, 404),
            summary="The features of a layer (parcels) inside a zone: area by use and share, crossing parcels",
            description="Parcels wholly inside the zone count whole; parcels crossing its boundary count with the "
                        f"exact planar ({METRIC}) area of their part inside. The same numbers as "
                        "`kizone parcels zone`. The features themselves: `/collections/{collection_id}/items?within=`.")
def zone_summary(request: Request, collection_id: str,
                 zone: str = Query(description="<layer>:<feature id> or plan:<target id>",
                                   openapi_examples={"FEZ AI district": {"value": "fez_districts:fez_ai"},
                                                     "plan target": {"value": "plan:fez_total"}}),
                 provider: LayerProvider = Depends(get_provider), plan: list[PlanTarget] = Depends(get_plan)
                 ) -> JSONResponse:
    reject_unknown_params(request, {"zone"})
    provider.arrays(collection_id, ["use"])  # 404 for an unknown collection; what zone_report reads next
    try:
        # Plain JSON types already: encoded as they are, without a pass over every crossing parcel.
        return JSONResponse(zone_report(provider, plan, zone, collection_id))
    except (BadZoneReference, UnknownZone) as exc:
        raise Problem(400, "Invalid zone", exc.detail, parameter="zone") from None
