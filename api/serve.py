"""`python -m api.serve [uvicorn options]`: the API server as `make serve` runs it.

uvicorn with the connection protocol that drops slow and incomplete requests
(api.server_protocol) and the app `api.app:app`; every other uvicorn option
(--host, --port, --workers, --root-path …) passes through. ZONES_READ_TIMEOUT_S is
checked before the server starts, so a bad value stops it with one line naming the variable.
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

PROTOCOL = "api.server_protocol:ReadTimeoutProtocol"


def uvicorn_args(extra: Sequence[str] = ()) -> list[str]:
    """The uvicorn command-line arguments of the served app."""
    return ["api.app:app", "--http", PROTOCOL, *extra]


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn.main

    from api.settings import SettingError, read_timeout_s

    try:
        read_timeout_s()
    except SettingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    uvicorn.main.main(args=uvicorn_args(sys.argv[1:] if argv is None else argv), prog_name="python -m api.serve")


if __name__ == "__main__":
    main()
