"""Which feature ids a layer may hold: those a URL can carry to the feature and back.

Every feature is addressed as /collections/{layer}/items/{id}, with the id percent-encoded
as one path segment. Most characters survive that (spaces, `?`, `#`, `%`, Korean text), but
some cannot:

- `/`: servers and proxies decode %2F before routing, so the id splits into two segments;
- `.` and `..` alone: clients resolve them as "this" and "parent" directories (RFC 3986 §5.2.4);
- control characters (U+0000–U+001F, U+007F–U+009F): dropped or refused by HTTP clients,
  invisible in every listing;
- text that is not valid Unicode (lone surrogates): it has no UTF-8 form to percent-encode;
- the empty id, and ids longer than MAX_ID_CHARS characters (URLs have practical limits, and
  an id is a name, not a payload).

An import holding such an id is refused as a whole, naming the ids, rather than stored with
features no link can reach.

>>> id_fault("fez_ai") is None and id_fault("광산구 1-2") is None and id_fault("a?b#c%") is None
True
>>> id_fault("a/b")
"contains '/'"
>>> id_fault("..")
"is '..', which URLs resolve as a directory step"
"""
from __future__ import annotations

import re
import unicodedata

MAX_ID_CHARS = 200


def id_fault(fid: str) -> str | None:
    """Why `fid` cannot be a feature id, or None when it can."""
    if fid == "":
        return "is empty"
    if len(fid) > MAX_ID_CHARS:
        return f"is {len(fid):,} characters long (at most {MAX_ID_CHARS})"
    if "/" in fid:
        return "contains '/'"
    if fid in (".", ".."):
        return f"is {fid!r}, which URLs resolve as a directory step"
    try:
        fid.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode text (a lone surrogate)"
    control = next((c for c in fid if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        return f"contains the control character U+{ord(control):04X}"
    return None


# The control characters (Unicode category Cc: exactly these two ranges)
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _all_addressable(ids: list[str]) -> bool:
    """True when no id has a fault, proven on the whole list at once (C loops, no Python step per
    id): lengths, the bare dot names, one search of the ids joined and one UTF-8 encoding. False
    means "look at each id".

    >>> _all_addressable(["a", "광산구 1-2"]), _all_addressable(["a", "b/c"]), _all_addressable(["a", ""])
    (True, False, False)
    """
    if not ids:
        return True
    if "" in ids or "." in ids or ".." in ids or max(map(len, ids)) > MAX_ID_CHARS:
        return False
    joined = "/".join(ids)  # '/' is refused inside an id, so it separates them unambiguously
    if joined.count("/") != len(ids) - 1 or _CONTROL.search(joined):
        return False
    try:
        joined.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def id_refusal(ids: list[str], shown: int = 5) -> str | None:
    """One line naming the ids no URL can address (the first `shown` of them), or None."""
    if _all_addressable(ids):
        return None
    bad = [(i, fid, fault) for i, fid in enumerate(ids) if (fault := id_fault(fid)) is not None]
    if not bad:
        return None
    listed = "; ".join(f"feature #{i + 1} id {fid[:40]!r}{'…' if len(fid) > 40 else ''} {fault}"
                       for i, fid, fault in bad[:shown])
    more = f" (and {len(bad) - shown} more)" if len(bad) > shown else ""
    return (f"{len(bad)} feature id(s) cannot be used in a URL: {listed}{more}; ids are 1-{MAX_ID_CHARS} "
            f"characters without '/', control characters or a bare '.'/'..'")
