"""The FastAPI application: wiring of settings, store, plan and routes."""
from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from api import docs_ui
from api.feature_cache import FeatureCache
from api.http_methods import MethodSemantics
from api.json_bodies import JsonBodiesOnly
from api.problems import install_problem_handlers
from api.auth import WriteGate
from api.limits import BodyLimit
from api.scenario_view import ScenarioView
from api.routes import (allocations, cadastre, collections, diffs, landing, layer_writes, layout, plan, scenarios,
                        shares, siting, system)
from api.routes import maps as map_routes
from api.routes import parcel_dataset
from api.routes import zone_parcels as zone_parcel_routes
from api.settings import Settings
from geodata.plan_file import load_plan
from geodata.provider import LayerProvider
from geodata.scratch import clean_stale
from geodata.store import GeoPackageStore
from zones.crs import METRIC


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="Korean industrial zones: planning API",
        description=(
            "Layers of the Gwangju Free Economic Zone, the Bitgreen national industrial complex, "
            "the future-car special complex and the Jeonju industrial sites, with area and "
            f"allocation checks against the gazetted plan. Areas are planar in {METRIC} with a "
            "geodesic (GRS80) cross-check."
        ),
        version="0.1.0",
        docs_url=None,  # served by api.docs_ui from installed files, not a CDN
        redoc_url=None,
        # The OpenAPI document names the public address only when one is configured: never a Host header.
        servers=[{"url": settings.public_url}] if settings.public_url else None,
    )
    app.state.settings = settings
    clean_stale()  # scratch folders of writes killed mid-way (geodata.scratch)
    provider = app.state.provider = LayerProvider(GeoPackageStore(settings.store_path, settings.keep_revisions).require())
    app.state.feature_cache = FeatureCache(provider)
    app.state.allocations_cache = provider.cache()
    app.state.plan = load_plan(settings.plan_path)
    install_problem_handlers(app)
    # Outermost last: CORS, HEAD/OPTIONS/Allow, 415 (JSON bodies), the write token, 413, then the routes.
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_max_bytes=settings.max_upload_bytes)
    # ?scenario= on a read: the provider reads that scenario (api.scenario_view); refused on a base write
    app.add_middleware(ScenarioView, write_routes=WriteGate(app, layer_writes.router.routes).guarded)
    # outside BodyLimit: no body read to refuse
    app.add_middleware(WriteGate, routes=[*layer_writes.router.routes, *scenarios.router.routes])
    app.add_middleware(JsonBodiesOnly, openapi_of=app)
    app.add_middleware(MethodSemantics, routes_of=app)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"],
                           allow_headers=["Authorization", "Content-Type", "Accept"],
                           expose_headers=["Content-Crs"], allow_credentials=False, max_age=600)
    app.include_router(landing.router)
    app.include_router(plan.router)
    app.include_router(system.router)
    cadastre.install(app, settings.store_path)  # before /collections/{id}: its paths are fixed
    app.include_router(collections.router)
    app.include_router(allocations.router)
    app.include_router(layer_writes.router)
    app.include_router(diffs.router)
    app.include_router(scenarios.router)
    app.include_router(shares.router)
    app.include_router(zone_parcel_routes.router)
    app.include_router(parcel_dataset.router)
    map_routes.install(app, provider)
    siting.install(app)
    layout.install(app)
    docs_ui.install(app)
    return app


app = create_app()
