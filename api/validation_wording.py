"""FastAPI's request-validation errors reworded for a GIS officer.

FastAPI says "body: Field required" or "body.0: JSON decode error"; a person calling the API
from a script needs to read what to send instead. Every error keeps its place in `errors`
(`where`, `problem`) and the detail says, in plain words, what is missing or wrong.

Status: a body that cannot be used at all (empty, not JSON) is 422, like every other refused
body of the check endpoints (/allocations/check, /siting/check); a missing or malformed query,
path or form parameter stays 400.
"""
from __future__ import annotations

from fastapi import Request, params
from fastapi.exceptions import RequestValidationError

BODY_STATUS = 422
PARAMETER_STATUS = 400


def _line_column(text: str, pos: int) -> tuple[int, int]:
    before = text[:pos]
    return before.count("\n") + 1, pos - (before.rfind("\n") + 1) + 1


# What each route expects as its body, in words (route path -> text), for the empty-body message.
_BODY_WANTED: dict[str, str] = {}


def describe_body(path: str, wanted: str) -> None:
    """Say what the route at `path` (as declared, e.g. "/siting/check") expects as its body."""
    _BODY_WANTED[path] = wanted


def _body_wanted(request: Request) -> str:
    """What the route expects as its body: as described by its module, else its body field's
    description (also shown in /docs), else a JSON object."""
    route = request.scope.get("route")
    described = _BODY_WANTED.get(getattr(route, "path", ""))
    field = getattr(route, "body_field", None)
    return described or getattr(getattr(field, "field_info", None), "description", None) or "a JSON object"


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").lower()
    return kind.startswith("multipart/form-data") or kind.startswith("application/x-www-form-urlencoded")


def _upload_field(request: Request, name: str) -> bool:
    """Whether the route's form field `name` is a file upload (declared with File())."""
    field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(field, "field_info", None), "annotation", None)
    return isinstance(getattr(model, "model_fields", {}).get(name), params.File)


def _reword(request: Request, exc: RequestValidationError, err: dict) -> tuple[str, bool]:
    """(plain-words problem, whether it is about the body as a whole)."""
    loc = tuple(err.get("loc", ()))
    kind = err.get("type", "")
    if kind == "json_invalid":
        reason = (err.get("ctx") or {}).get("error", "not JSON")
        text = exc.body if isinstance(exc.body, str) else ""
        pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
        if text and pos is not None:
            line, column = _line_column(text, pos)
            return f"the body is not valid JSON (line {line}, column {column}: {reason})", True
        return f"the body is not valid JSON ({reason})", True
    if kind == "missing" and loc == ("body",):
        return f"the request body is empty: send {_body_wanted(request)}; Content-Type: application/json", True
    if kind == "missing" and len(loc) == 2 and loc[0] == "body":
        name = str(loc[1])
        if _upload_field(request, name):
            return f"the upload needs a file field named '{name}' (multipart/form-data)", False
        if _is_form(request):
            return f"the form needs a field named '{name}' (multipart/form-data)", False
        return f"the body needs a field named '{name}'", False
    if kind == "missing" and len(loc) == 2 and loc[0] in ("query", "header", "path"):
        return f"the {loc[0]} parameter '{loc[1]}' is required", False
    if len(loc) >= 2 and loc[0] in ("query", "path", "header"):
        return f"{loc[0]} parameter '{loc[1]}': {err.get('msg', 'invalid')}", False
    return f"{'.'.join(str(p) for p in loc)}: {err.get('msg', 'invalid')}", False


def explain_validation(request: Request, exc: RequestValidationError) -> tuple[int, str, list[dict]]:
    """(status, detail, errors) of the problem answer for a request FastAPI could not validate."""
    errors, words, whole_body = [], [], False
    for err in exc.errors():
        problem, about_body = _reword(request, exc, err)
        whole_body |= about_body
        errors.append({"where": ".".join(str(p) for p in err.get("loc", ())), "problem": problem})
        words.append(problem)
    detail = "; ".join(dict.fromkeys(words)) or "invalid request"
    return (BODY_STATUS if whole_body else PARAMETER_STATUS), detail, errors
