"""Bearer-token check for every request that writes to the store.

Tokens come from the server's configuration (ZONES_WRITE_TOKENS); with none
configured the server is read-only. Tokens are compared in constant time and
the revision history records the token's name, never the token.
"""
from __future__ import annotations

import hmac

from fastapi import Request

from api.problems import Problem

ENABLE_HINT = ("set ZONES_WRITE_TOKENS=name:secret (comma-separate several) in the server's environment, "
               "restart it, and send the header 'Authorization: Bearer secret'")


def require_writer(request: Request) -> str:
    """The name of the token the request carries; 401/403 problem otherwise."""
    tokens: tuple[tuple[str, str], ...] = request.app.state.settings.write_tokens
    if not tokens:
        raise Problem(403, "Writes disabled", f"this server is read-only: no write token is configured; to enable writes {ENABLE_HINT}")
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise Problem(401, "Token required", "writing needs a bearer token: send the header 'Authorization: Bearer <token>'",
                      headers={"WWW-Authenticate": 'Bearer realm="kizone"'})
    given_b = given.strip().encode("utf-8")
    match = None
    for name, token in tokens:  # compare with every token so timing reveals nothing
        if hmac.compare_digest(given_b, token.encode("utf-8")):
            match = name
    if match is None:
        raise Problem(403, "Wrong token", "the bearer token is not one this server accepts for writes")
    return match
