"""Import progress: a one-line bar (rows, MB/s, ETA) on a terminal, plain lines in a log."""
from __future__ import annotations

import sys
import time
from typing import TextIO

LOG_EVERY_S = 5.0  # a log gets a line this often (and at the end)
BAR_EVERY_S = 0.2
BAR_WIDTH = 28


class Progress:
    """Counts rows and bytes against a known total and shows them to a person or a log."""

    def __init__(self, total_bytes: int, total_rows: int, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total_bytes, self.total_rows = max(total_bytes, 1), max(total_rows, 1)
        self.rows = 0
        self.bytes = 0.0
        self.start = time.monotonic()
        self._shown = self.start

    def advance(self, rows: int, nbytes: float) -> None:
        self.rows += rows
        self.bytes += nbytes
        now = time.monotonic()
        if now - self._shown >= (BAR_EVERY_S if self.tty else LOG_EVERY_S):
            self._show(now)

    def done(self) -> None:
        self._show(time.monotonic(), final=True)

    def line(self, now: float | None = None) -> str:
        elapsed = max((now or time.monotonic()) - self.start, 1e-9)
        mbps = self.bytes / 1e6 / elapsed
        frac = min(self.rows / self.total_rows, 1.0)
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        eta_s = f"{eta:,.0f} s" if eta == eta else "?"
        return (f"{self.rows:,}/{self.total_rows:,} rows ({frac:.0%}), {mbps:,.1f} MB/s, "
                f"{self.rows / elapsed:,.0f} rows/s, ETA {eta_s}")

    def _show(self, now: float, final: bool = False) -> None:
        self._shown = now
        text = self.line(now)
        if self.tty:
            filled = int(BAR_WIDTH * min(self.rows / self.total_rows, 1.0))
            self.stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {text}" + ("\n" if final else ""))
        else:
            self.stream.write(f"progress: {text}\n")
        self.stream.flush()
