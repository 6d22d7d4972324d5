"""The FastAPI application: wiring of settings, store, plan and routes."""
from __future__ import annotations

from fastapi import FastAPI

from api import docs_ui
from api.problems import install_problem_handlers
from api.auth import WriteGate
from api.limits import BodyLimit
from api.routes import allocations, collections, landing, layer_writes, plan, shares, siting, system
from api.routes import maps as map_routes
from api.routes import zone_parcels as zone_parcel_routes
from api.settings import Settings
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.scratch import clean_stale
from geodata.store import GeoPackageStore


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="Korean industrial zones: planning API",
        description=(
            "Layers of the Gwangju Free Economic Zone, the Bitgreen national industrial complex, "
            "the future-car special complex and the Jeonju industrial sites, with area and "
            "allocation checks against the gazetted plan. Areas are planar in EPSG:5186 with a "
            "geodesic (GRS80) cross-check."
        ),
        version="0.1.0",
        docs_url=None,  # served by api.docs_ui from installed files, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    clean_stale()  # scratch folders of writes killed mid-way (geodata.scratch)
    app.state.provider = LayerProvider(GeoPackageStore(settings.store_path, settings.keep_revisions).require())
    app.state.plan = load_plan(settings.plan_path)
    install_problem_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_max_bytes=settings.max_upload_bytes)
    app.add_middleware(WriteGate, routes=layer_writes.router.routes)  # outside BodyLimit: no body read to refuse
    app.include_router(landing.router)
    app.include_router(plan.router)
    app.include_router(system.router)
    app.include_router(collections.router)
    app.include_router(allocations.router)
    app.include_router(layer_writes.router)
    app.include_router(shares.router)
    app.include_router(zone_parcel_routes.router)
    app.include_router(map_routes.router)
    siting.install(app)
    docs_ui.install(app)
    return app


app = create_app()
