"""Response models at the edge: what GIS staff's scripts can rely on."""
from __future__ import annotations

from pydantic import BaseModel, Field

from zones.crs import METRIC


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    store: str = Field(description="file name of the GeoPackage being served", examples=["default.gpkg"])
    layers: int = Field(examples=[6])


class FindingOut(BaseModel):
    kind: str = Field(examples=["overlap"])
    target_id: str
    other_id: str | None = None
    area_m2: float
    message: str


class AllocationRowOut(BaseModel):
    target_id: str = Field(examples=["fez_total"])
    name_ko: str = Field(examples=["광주경제자유구역 전체 (4개 지구)"])
    name_en: str = Field(examples=["Gwangju FEZ, all four districts"])
    planned_m2: float = Field(examples=[4371000.0])
    measured_m2: float | None = Field(description="planar area in EPSG:5186; null when missing", examples=[4370971.2])
    geodesic_m2: float | None = Field(description="GRS80 geodesic area, cross-check", examples=[4370890.5])
    diff_m2: float | None = Field(examples=[-28.8])
    diff_pct: float | None = Field(examples=[-0.0007])
    tolerance_pct: float = Field(examples=[1.0])
    status: str = Field(description="ok | over | under | missing", examples=["ok"])
    reason: str = Field(examples=["measures 4,370,971 m², 0.00 % below plan, within ±1 %"])
    source: str = Field(examples=["2020 designation notice (Yonhap via investkorea.org ntt_sn=487701; ajunews 20200611144330671)"])
    layer: str
    features: list[str]
    crs: str = Field(examples=[METRIC])
    findings: list[FindingOut] = []


class AllocationReportOut(BaseModel):
    rows: list[AllocationRowOut]
    counts: dict[str, int] = Field(examples=[{"ok": 22, "over": 0, "under": 0, "missing": 0}])
