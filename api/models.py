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
    message_ko: str = Field("", examples=["bitgreen_total 안의 418 m²가 어느 부분에도 속하지 않음"])
    severity: str = Field("fault", description="fault (a fault of the plan or the data) | note (shown, breaks nothing)",
                          examples=["note"])


class AllocationRowOut(BaseModel):
    target_id: str = Field(examples=["fez_total"])
    name_ko: str = Field(examples=["광주경제자유구역 전체 (4개 지구)"])
    name_en: str = Field(examples=["Gwangju FEZ, all four districts"])
    planned_m2: float = Field(examples=[4371000.0])
    measured_m2: float | None = Field(description=f"planar area in {METRIC}; null when missing", examples=[4370971.2])
    geodesic_m2: float | None = Field(description="GRS80 geodesic area, cross-check", examples=[4370890.5])
    diff_m2: float | None = Field(examples=[-28.8])
    diff_pct: float | None = Field(examples=[-0.0007])
    tolerance_pct: float = Field(examples=[1.0])
    status: str = Field(description="ok | over | under | misplaced (outside its legal dongs beyond the tolerance) | "
                                    "missing", examples=["ok"])
    reason: str = Field(examples=["measures 4,370,971 m², 0.00 % below plan, within ±1 %"])
    reason_ko: str = Field("", examples=["측정 4,370,971 m², 계획보다 0.00 % 적음, 허용 ±1 % 이내"])
    planned_value: float = Field(0.0, description="the figure as the source states it, in planned_unit", examples=[4.371])
    planned_unit: str = Field("m2", description="m2, ha, km2 or pyeong", examples=["km2"])
    planned_text: str = Field("", examples=["4.371 km² (4,371,000 m²)"])
    provenance: str = Field("unknown", description="what the measured features are: schematic | surveyed | mixed | "
                            "draft | none (nothing measured)", examples=["schematic"])
    sized_to_plan: bool = Field(False, description="true when schematic polygons were drawn to this very figure: "
                                "the row checks the drawing recipe, not the ground", examples=[True])
    place: str = Field("", description="the legal dongs the source places the target in", examples=["광산구 덕림동·삼거동"])
    outside_dongs_m2: float | None = Field(None, description="m² outside those legal dongs; null when not checked",
                                           examples=[0.0])
    source: str = Field(examples=["2020 designation notice (Yonhap via investkorea.org ntt_sn=487701; ajunews 20200611144330671)"])
    layer: str
    features: list[str]
    crs: str = Field(examples=[METRIC])
    findings: list[FindingOut] = []


class StatutoryRowOut(BaseModel):
    complex_id: str = Field(examples=["bitgreen_total"])
    complex_name_ko: str
    complex_name_en: str
    rule_id: str = Field(examples=["green_ratio"])
    name_ko: str
    name_en: str
    required: str = Field(examples=["10–13 %"])
    measured: float | None = Field(description="% or m (see unit); null when there is no data", examples=[11.2])
    unit: str = Field(examples=["%"])
    status: str = Field(description="ok | over | under | no data", examples=["no data"])
    reason: str
    reason_ko: str
    source: str
    parcels: int = Field(description="parcels of the complex the rule was computed from", examples=[0])


class AllocationReportOut(BaseModel):
    rows: list[AllocationRowOut]
    counts: dict[str, int] = Field(examples=[{"ok": 28, "over": 0, "under": 0, "misplaced": 0, "missing": 3}])
    schematic: bool = Field(False, description="true when any row rests on schematic polygons", examples=[True])
    statutory: list[StatutoryRowOut] = Field([], description="national standards per complex, from the parcels")
