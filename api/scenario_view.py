"""`?scenario=ID` on every read: the answer is computed on the scenario's version of the store.

One ASGI middleware reads the parameter and sets the scenario being viewed
(geodata.views.viewing) for the request; the provider then hands every route the
scenario's layers, so items, /allocations, shares, siting and maps need no code of their
own. An unknown scenario is a 404 before any route runs; `scenario` on a route that writes
the base is a 400 (a scenario is edited through /scenarios/{id}/…).
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from api.problems import problem_response
from geodata.scenarios import BASE, UnknownScenario, get_scenario
from geodata.views import viewing

PARAM = "scenario"


class ScenarioView:
    def __init__(self, app: ASGIApp, write_routes: list):
        self.app = app
        self.write_routes = [r for r in write_routes if isinstance(r, APIRoute)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        values = [v for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                  if k == PARAM]
        if not values:
            await self.app(scope, receive, send)
            return
        scenario = values[-1]
        refusal = None
        if len(values) > 1:
            refusal = (400, "Repeated query parameter", f"{PARAM} is given more than once")
        elif any(r.matches(scope)[0] is Match.FULL for r in self.write_routes):
            refusal = (400, "Scenario on a write", f"{PARAM}= selects what a read answers for; this request writes "
                       "the base. Edit a scenario with PUT /scenarios/{id}/collections/{layer}/items")
        elif scenario != BASE:
            try:
                get_scenario(scope["app"].state.provider.path, scenario)
            except UnknownScenario as exc:
                refusal = (404, "Unknown scenario", exc.detail)
        if refusal is not None:
            await problem_response(*refusal, scope.get("path"))(scope, receive, send)
            return
        with viewing(scenario):
            await self.app(scope, receive, send)
