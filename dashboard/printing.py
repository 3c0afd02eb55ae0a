"""A page of the dashboard printed to PDF by headless Chromium, exactly as a user's browser prints it.

The PDF is the page itself, not a second rendering of it: this process serves the app on a free
local port, lets Chromium in with a one-time login (``auth.grant_one_login``: a random token,
valid for one request of this process's own server), and has Chromium print the page with the
app's print stylesheet (``assets/print.css``: A4, running header, page numbers). The window is as
wide as A4's printable width, so the charts are laid out for paper from the start. Chromium is
started as soon as the port is open, while the app is still being built: its start-up is most of
the time a PDF takes.

Chromium is the renderer the browser tests already need (Debian: ``chromium``); its path can be
given with ``DASHBOARD_CHROMIUM``. Nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: A4 printable width at 96 px per inch with the print stylesheet's 12 mm side margins.
A4_WINDOW = (703, 1100)
#: Virtual time Chromium gives the page to load and run its callbacks before printing (ms).
RENDER_BUDGET_MS = 5_000


class RendererMissing(RuntimeError):
    """No Chromium to print with."""


class RenderFailed(RuntimeError):
    """Chromium ran but wrote no PDF."""


def chromium() -> str:
    """The path of the Chromium to print with, or ``RendererMissing`` saying what to install."""
    configured = os.environ.get("DASHBOARD_CHROMIUM")
    if configured:
        path = shutil.which(configured)
        if path is None:
            raise RendererMissing(f"DASHBOARD_CHROMIUM={configured} is not an executable")
        return path
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    raise RendererMissing(
        "printing to PDF needs Chromium: install it (Debian/Ubuntu: apt-get install chromium "
        "fonts-wqy-microhei) or set DASHBOARD_CHROMIUM to its path"
    )


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the command prints its own summary
        pass


class _WhenReady:
    """A WSGI app that holds requests until the real one is given: the port is open (and
    Chromium starting) while the dashboard is still being built."""

    def __init__(self) -> None:
        self._app = None
        self._ready = threading.Event()

    def set(self, app) -> None:
        self._app = app
        self._ready.set()

    def __call__(self, environ, start_response):
        if not self._ready.wait(timeout=120):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"not ready"]
        return self._app(environ, start_response)  # type: ignore[misc]


@contextmanager
def serving() -> Iterator[tuple[str, Callable]]:
    """A local server on a free port of 127.0.0.1 for the duration: yields its base URL and the
    function that gives it the WSGI app to serve (requests wait until then)."""
    holder = _WhenReady()
    server = make_server("127.0.0.1", 0, holder, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", holder.set
    finally:
        server.shutdown()
        thread.join(timeout=5)


class PrintJob:
    """Headless Chromium loading ``url`` and printing it to PDF, started at once and collected by
    ``finish`` (so that it starts while the page's server is still getting ready)."""

    def __init__(self, url: str, timeout: float = 120) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="dashboard-print-")
        self._target = Path(self._profile.name) / "page.pdf"
        args = [
            chromium(), "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--hide-scrollbars",
            f"--user-data-dir={self._profile.name}", f"--window-size={A4_WINDOW[0]},{A4_WINDOW[1]}",
            "--no-pdf-header-footer", f"--virtual-time-budget={RENDER_BUDGET_MS}",
            "--run-all-compositor-stages-before-draw", f"--print-to-pdf={self._target}", url,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run its sandbox as root
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def cancel(self) -> None:
        """Stop Chromium and remove its profile (the page will not be printed)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.communicate()
        self._profile.cleanup()

    def finish(self, out: Path) -> None:
        """Wait for Chromium and move the PDF to ``out`` (``RenderFailed`` if it wrote none)."""
        try:
            try:
                _, stderr = self._process.communicate(timeout=self.timeout)
            except subprocess.TimeoutExpired as exc:
                self._process.kill()
                self._process.communicate()
                raise RenderFailed(f"Chromium did not finish within {self.timeout:.0f} s") from exc
            if not self._target.exists() or self._target.stat().st_size == 0:
                detail = (stderr or "").strip().splitlines()[-1:] or [f"exit status {self._process.returncode}"]
                raise RenderFailed(f"Chromium wrote no PDF: {detail[0]}")
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(self._target), out)
        finally:
            self._profile.cleanup()
