"""Headless Chromium with the network cut off, driven over the DevTools protocol.

Used to check a generated map as a person would see it (the tests), to time it
(`make bench`) and to take the PNGs of `kizone map --png`. Needs Debian's
`chromium` and the `websockets` package; nothing is downloaded at run time.

The network is cut three ways: a dead proxy for every non-loopback URL, a host
resolver that resolves nothing but loopback, and background services off. Every
request the page makes is still recorded, so a caller can assert that none of
them was meant for another machine.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from zones.errors import Unavailable

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
LOCAL_SCHEMES = {"file", "data", "blob", "about", "chrome", "devtools"}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class BrowserUnavailable(Unavailable):
    """No Chromium or no CDP client library on this machine."""

    default_code = "browser_unavailable"


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and (parts.hostname or "") in LOOPBACK_HOSTS


@dataclass
class PageResult:
    """What a page did: every URL it requested, JS errors, the page's own timing and state."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    render_ms: float | None = None
    state: dict | None = None
    screenshot: bytes | None = None

    @property
    def remote_requests(self) -> list[str]:
        return [u for u in self.requests if not is_local(u)]


# Runs in the page: counts, per registered layer, the features Leaflet holds, the ones it
# projected to screen rings (drawn into the canvas in the current view), and the painted
# pixels of the canvas.
STATE_JS = r"""
(() => {
  const k = window.kizoneMap;
  if (!k) return {hook: false};
  const layers = {};
  for (const [key, layer] of Object.entries(k.layers)) {
    let total = 0, drawn = 0;
    layer.eachLayer(l => {
      total += 1;
      if (k.map.hasLayer(l) && l._parts && l._parts.length > 0) drawn += 1;
    });
    layers[key] = {expected: k.features[key], total: total, drawn: drawn, onMap: k.map.hasLayer(layer)};
  }
  let painted = 0, canvases = 0;
  document.querySelectorAll('canvas.leaflet-zoom-animated, .leaflet-overlay-pane canvas').forEach(c => {
    canvases += 1;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted += 1;
  });
  const texts = Array.from(document.querySelectorAll('.kz-box')).map(e => e.innerText);
  return {hook: true, kind: k.kind, layers: layers, canvases: canvases, paintedPixels: painted,
          svgPaths: document.querySelectorAll('.leaflet-overlay-pane svg path').length,
          zoom: k.map.getZoom(), controls: texts,
          layerControl: document.querySelectorAll('.leaflet-control-layers-selector').length,
          scale: !!document.querySelector('.leaflet-control-scale')};
})()
"""

# Resolves once the load event has fired, no zoom/pan animation or canvas redraw is pending
# and one more frame has been painted:
# the time a person sees the drawn map, measured on the page's own clock from navigation start.
IDLE_JS = r"""
new Promise(resolve => {
  const settled = () => {
    const k = window.kizoneMap;
    if (!k) return true;
    const busy = k.map._animatingZoom || k.map._panAnim && k.map._panAnim._inProgress
      || Object.values(k.map._layers).some(l => l._redrawRequest);
    return !busy;
  };
  const wait = () => requestAnimationFrame(() => settled()
    ? requestAnimationFrame(() => resolve(performance.now())) : wait());
  if (document.readyState === 'complete') wait(); else window.addEventListener('load', wait);
})
"""


class Chromium:
    """One headless Chromium, one tab; use as a context manager."""

    def __init__(self, width: int = 1280, height: int = 800, timeout: float = 30.0):
        self.executable = find_chromium()
        if self.executable is None:
            raise BrowserUnavailable("no chromium on PATH (Debian: apt-get install chromium)")
        try:
            from websockets.sync.client import connect  # noqa: F401
        except ImportError as exc:
            raise BrowserUnavailable("the 'websockets' package is needed to drive Chromium") from exc
        self.width, self.height, self.timeout = width, height, timeout
        self._proc: subprocess.Popen | None = None
        self._ws = None
        self._next_id = 0
        self._events: list[dict] = []
        self._session: str | None = None

    def __enter__(self) -> "Chromium":
        from websockets.sync.client import connect

        self._profile = tempfile.mkdtemp(prefix="kizone-chromium-")
        args = [
            self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions",
            "--disable-domain-reliability", "--metrics-recording-only", "--mute-audio",
            "--hide-scrollbars", "--allow-file-access-from-files",
            "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=127.0.0.1;localhost;[::1]",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
            f"--user-data-dir={self._profile}", f"--window-size={self.width},{self.height}",
            "--remote-debugging-port=0", "about:blank",
        ]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ws_url = self._read_ws_url()
        self._stack = contextlib.ExitStack()
        self._ws = self._stack.enter_context(connect(ws_url, max_size=None, open_timeout=self.timeout))
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Network.enable", "Runtime.enable"):
            self.send(method)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False})
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._ws is not None:
                self._stack.close()
        finally:
            if self._proc is not None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            shutil.rmtree(self._profile, ignore_errors=True)

    def _read_ws_url(self) -> str:
        deadline = time.monotonic() + self.timeout
        assert self._proc and self._proc.stderr
        seen = []
        while time.monotonic() < deadline:
            line = self._proc.stderr.readline()
            if not line:
                if self._proc.poll() is not None:
                    break
                continue
            seen.append(line)
            match = re.search(r"DevTools listening on (ws://\S+)", line)
            if match:
                return match.group(1)
        raise BrowserUnavailable("chromium did not start: " + "".join(seen[-5:]).strip())

    # -- protocol ---------------------------------------------------------------------------
    def _call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._ws.send(json.dumps(msg))
        deadline = time.monotonic() + self.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"chromium did not answer {method} within {self.timeout:.0f} s")
            reply = json.loads(self._ws.recv(timeout=remaining))
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def send(self, method: str, params: dict | None = None) -> dict:
        return self._call(method, params, self._session)

    def evaluate(self, expression: str, await_promise: bool = False):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": await_promise})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(f"page script failed: {details.get('exception', {}).get('description') or details.get('text')}")
        return result["result"].get("value")

    def _wait_for(self, expression: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if self.evaluate(expression):
                    return
            except RuntimeError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"chromium: {expression} not true within {self.timeout:.0f} s")
            time.sleep(0.02)

    # -- what callers use -------------------------------------------------------------------
    def open(self, url: str, screenshot: bool = True) -> PageResult:
        """Load url, wait until the map is painted, and report what happened."""
        # Start from a blank page (a change of #fragment alone would not load anything), and
        # mark it, so its answers are never taken for the new page's.
        self.send("Page.navigate", {"url": "about:blank"})
        self._wait_for("location.href === 'about:blank' && document.readyState === 'complete'")
        self.evaluate("window.__kzOldDocument = true")
        self._events.clear()
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fresh = self.evaluate("window.__kzOldDocument === undefined")
                render_ms = self.evaluate(IDLE_JS, await_promise=True) if fresh else None
            except RuntimeError:
                render_ms = None  # the context was replaced mid-call by the navigation
            if render_ms is not None and self.evaluate("window.__kzOldDocument === undefined"):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish rendering within {self.timeout:.0f} s")
            time.sleep(0.02)
        result = PageResult(render_ms=float(render_ms))
        result.state = self.evaluate(STATE_JS)
        if screenshot:
            shot = self.send("Page.captureScreenshot", {"format": "png"})
            result.screenshot = base64.b64decode(shot["data"])
        self.evaluate("1")  # flush events that arrived while capturing
        for ev in self._events:
            method, params = ev["method"], ev.get("params", {})
            if method == "Network.requestWillBeSent":
                result.requests.append(params["request"]["url"])
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                result.errors.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                result.errors.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                result.errors.append(f"load failed: {params.get('errorText')}")
        return result


def file_url(path: os.PathLike | str) -> str:
    return Path(path).resolve().as_uri()


def screenshot_file(html_path: os.PathLike | str, png_path: os.PathLike | str,
                    width: int = 1200, height: int = 760) -> PageResult:
    """Open a map file in headless Chromium and write what it shows to a PNG."""
    with Chromium(width=width, height=height) as browser:
        result = browser.open(file_url(html_path))
    Path(png_path).write_bytes(result.screenshot or b"")
    return result
