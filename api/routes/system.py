from __future__ import annotations

from fastapi import APIRouter, Depends

from api.deps import get_provider
from api.models import Health
from geodata.provider import LayerProvider

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health, summary="Is the service up, and what store does it serve?")
def health(provider: LayerProvider = Depends(get_provider)) -> Health:
    return Health(status="ok", store=provider.path.name, layers=len(provider.layer_ids()))
