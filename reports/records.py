"""The report as three flat tables: allocation rows, findings, statutory rows.

Every export (CSV, XLSX, HTML, PDF) reads these tables and nothing else, with the
JSON field names as column keys and the JSON values unchanged (full precision), so
a number in a spreadsheet is the number `GET /allocations` answers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from zones.allocation import SCHEMATIC_BANNER, AllocationReport
from zones.area import METRIC_CRS_NAME
from zones.statutory import StatutoryRow

Kind = Literal["text", "m2", "pct", "bool", "list", "count", "number"]


@dataclass(frozen=True)
class Column:
    key: str  # the JSON field
    en: str
    ko: str
    kind: Kind = "text"

    @property
    def label(self) -> str:
        return f"{self.en} · {self.ko}"


ALLOCATION_COLUMNS: tuple[Column, ...] = (
    Column("target_id", "target", "목표 id"),
    Column("name_ko", "name (Korean)", "이름"),
    Column("name_en", "name (English)", "영문 이름"),
    Column("status", "status", "판정"),
    Column("planned_m2", "planned m²", "계획 m²", "m2"),
    Column("planned_value", "planned (source unit)", "계획 (출처 단위)", "number"),
    Column("planned_unit", "source unit", "출처 단위"),
    Column("planned_text", "planned as published", "공개 수치"),
    Column("measured_m2", "measured m²", "측정 m²", "m2"),
    Column("geodesic_m2", "geodesic m²", "측지 m²", "m2"),
    Column("diff_m2", "diff m²", "차이 m²", "m2"),
    Column("diff_pct", "diff %", "차이 %", "pct"),
    Column("tolerance_pct", "tolerance ±%", "허용 ±%", "number"),
    Column("provenance", "rests on", "근거"),
    Column("sized_to_plan", "sized to the plan figure", "계획 면적에 맞춰 그림", "bool"),
    Column("place", "legal dongs (source)", "법정동 (출처)"),
    Column("outside_dongs_m2", "outside its dongs m²", "법정동 밖 m²", "m2"),
    Column("reason", "reason", "사유 (영문)"),
    Column("reason_ko", "reason (Korean)", "사유"),
    Column("source", "source", "출처"),
    Column("layer", "layer", "레이어"),
    Column("features", "features", "피처", "list"),
    Column("crs", "areas in", "면적 좌표계"),
)

FINDING_COLUMNS: tuple[Column, ...] = (
    Column("target_id", "target", "목표 id"),
    Column("kind", "kind", "종류"),
    Column("severity", "severity", "심각도"),
    Column("other_id", "other", "관련 목표"),
    Column("area_m2", "area m²", "면적 m²", "m2"),
    Column("message", "finding", "발견 사항 (영문)"),
    Column("message_ko", "finding (Korean)", "발견 사항"),
)

STATUTORY_COLUMNS: tuple[Column, ...] = (
    Column("complex_id", "complex", "단지 id"),
    Column("complex_name_ko", "complex (Korean)", "단지"),
    Column("complex_name_en", "complex (English)", "영문 단지"),
    Column("rule_id", "rule", "기준 id"),
    Column("name_ko", "rule (Korean)", "기준"),
    Column("name_en", "rule (English)", "영문 기준"),
    Column("required", "required", "요구"),
    Column("measured", "measured", "측정", "number"),
    Column("unit", "unit", "단위"),
    Column("status", "status", "판정"),
    Column("parcels", "parcels", "필지 수", "count"),
    Column("reason", "reason", "사유 (영문)"),
    Column("reason_ko", "reason (Korean)", "사유"),
    Column("source", "source", "출처"),
)

TableName = Literal["allocation", "findings", "statutory"]
TABLES: dict[str, tuple[Column, ...]] = {
    "allocation": ALLOCATION_COLUMNS, "findings": FINDING_COLUMNS, "statutory": STATUTORY_COLUMNS}


@dataclass(frozen=True)
class ReportDocument:
    """What every format shows: the three tables, the counts and whether the banner applies."""

    allocation: tuple[dict[str, Any], ...]
    findings: tuple[dict[str, Any], ...]
    statutory: tuple[dict[str, Any], ...]
    counts: dict[str, int]
    schematic: bool
    store: str = ""

    def table(self, name: str) -> tuple[dict[str, Any], ...]:
        return getattr(self, name)

    @property
    def banner(self) -> tuple[str, str] | None:
        """(English, Korean) warning shown first whenever a row rests on schematic polygons."""
        return SCHEMATIC_BANNER if self.schematic else None

    @property
    def crs_note(self) -> str:
        return f"areas planar in {METRIC_CRS_NAME} (geodesic GRS80 beside them) · 면적: {METRIC_CRS_NAME} 평면 면적"


def document(report: AllocationReport, statutory: tuple[StatutoryRow, ...] = (), store: str = "") -> ReportDocument:
    """The report's tables, values exactly as the JSON answer holds them."""
    rows = tuple({c.key: _plain(asdict(r)[c.key]) for c in ALLOCATION_COLUMNS} for r in report.rows)
    findings = tuple({c.key: getattr(f, c.key) for c in FINDING_COLUMNS} for f in report.findings)
    stat = tuple({c.key: asdict(s)[c.key] for c in STATUTORY_COLUMNS} for s in statutory)
    return ReportDocument(rows, findings, stat, report.counts(), report.any_schematic, store)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def cell_text(value: Any, kind: Kind) -> str:
    """A value as a reader sees it on the page: m² whole, % to two decimals, lists joined."""
    if value is None:
        return "–"
    if kind == "m2":
        return f"{value:,.0f}"
    if kind == "pct":
        return f"{value:+.2f}" if value else "0.00"
    if kind == "bool":
        return "yes · 예" if value else "no · 아니오"
    if kind == "list":
        return ", ".join(value)
    if kind == "number":
        return f"{value:,.6g}" if isinstance(value, float) else str(value)
    return str(value)
