"""The wall display in Chromium, opened with a display token as the command centre does, from a
server in its own process (so that it can be stopped and started under the open page)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select, update

from dashboard.services.access import Actor
from dashboard.services.display import create_token, revoke_token
from dashboard.store.db import session_scope
from dashboard.store.models import Reading, Station
from tests.browser.helpers import no_console_errors
from tests.conftest import ROOT, make_settings
from tests.integration.inspection_db import copy_demo

pytestmark = pytest.mark.browser
WAIT = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WallServer:
    def __init__(self, tmp_path: Path, url: str):
        self.settings = make_settings(tmp_path, database_url=url)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.secret = create_token(self.settings, Actor.system(), "test-wall")

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": self.settings.database_url, "SECRET_KEY": "wall-test-secret",
               "DASHBOARD_DATA_DIR": str(self.settings.data_dir)}
        self.proc = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--port", str(self.port)],
                                     cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("the server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None

    def wall(self, query: str = "") -> str:
        return f"{self.base}/wall?token={self.secret}{'&' + query if query else ''}"


@pytest.fixture
def server(browser_ready, tmp_path_factory, tmp_path):
    url = next(copy_demo(tmp_path_factory, tmp_path))
    wall = WallServer(tmp_path, url)
    wall.start()
    yield wall
    wall.stop()


def _size(duo, width: int, height: int) -> None:
    duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def _wait(duo, script: str, message: str, timeout: float = WAIT):
    return WebDriverWait(duo.driver, timeout).until(lambda d: d.execute_script(script), message)


CHECKED = (".wall-tile-name, .wall-tile-main, .wall-kpi-value, .wall-kpi-label, .wall-budget, .wall-title-main, "
           ".wall-fresh, .wall-tab, .wall-clock-time, .wall-panel-title, .wall-rank-rate, .wall-ledger-days, "
           ".wall-alert")
OVERFLOWING = """
return [...document.querySelectorAll(arguments[0])].filter(e => e.offsetParent !== null)
  .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 2)
  .map(e => e.className + ': ' + e.textContent.slice(0, 30));
"""
BOXES = ".wall-tile, .wall-rank-row, .wall-ledger-row, .wall-panel"
# Boxes of the active scene that reach into the ticker or past the right edge.
OUTSIDE = """
const root = document.querySelector('.wall-root').getBoundingClientRect();
const boxes = document.querySelectorAll('.wall-scene.is-active :is(' + arguments[0] + ')');
return [...boxes].map(e => e.getBoundingClientRect())
  .filter(r => r.bottom > root.bottom - 0.08 * root.height + 1 || r.right > root.right + 1).length;
"""


@pytest.mark.parametrize("width,height", [(1920, 1080), (3840, 2160)])
def test_the_wall_fills_the_screen_in_chinese_without_scrollbars_or_clipped_text(dash_duo, server, width, height,
                                                                                tmp_path):
    duo = dash_duo
    _size(duo, width, height)
    for scene in ("overview", "air", "compliance", "ledger"):
        duo.driver.get(server.wall(f"scene={scene}"))
        _wait(duo, f"return document.querySelector('#wall-scene-{scene}.is-active') !== null", scene)
        if scene in ("overview", "air"):
            prefix = "wall-ov" if scene == "overview" else "wall-air"
            _wait(duo, f"return document.querySelectorAll('#{prefix}-tiles .wall-tile').length >= 9", "tiles")
        _wait(duo, "return document.querySelector('#wall-clock-time').textContent.length > 0", "clock")
        sizes = duo.driver.execute_script(
            "const d = document.documentElement; return [d.scrollWidth, d.scrollHeight, innerWidth, innerHeight]")
        assert sizes == [width, height, width, height], (scene, sizes)
        assert duo.driver.execute_script(OVERFLOWING, CHECKED) == [], scene
        assert duo.driver.execute_script(OUTSIDE, BOXES) == 0, scene
        assert "数据更新于" in duo.find_element("#wall-fresh").text
        duo.driver.save_screenshot(str(tmp_path / f"wall-{scene}-{width}.png"))
    assert duo.find_element("html").get_attribute("lang") == "zh-CN"
    no_console_errors(duo)


def test_a_new_reading_appears_without_a_reload(dash_duo, server):
    duo = dash_duo
    _size(duo, 1920, 1080)
    duo.driver.get(server.wall("scene=air&refresh=5"))
    tile = "#wall-air-aqi-1316A .wall-tile-aqi"
    _wait(duo, f"return document.querySelector('{tile}') !== null", "tile")
    before = duo.find_element(tile).text
    duo.driver.execute_script("window.__sameDocument = true")
    with session_scope(server.settings.database_url) as session:
        station = session.scalar(select(Station.id).where(Station.code == "1316A"))
        newest = session.scalar(select(Reading.time).where(Reading.station_id == station)
                                .order_by(Reading.time.desc()).limit(1))
        session.execute(update(Reading).where(Reading.station_id == station, Reading.time == newest,
                                              Reading.pollutant == "PM2.5").values(value=300.0))
    assert before != "350"
    _wait(duo, f"return document.querySelector('{tile}').textContent === '350'", "the new reading", timeout=30)
    assert duo.driver.execute_script("return window.__sameDocument === true")  # no reload
    no_console_errors(duo)


def test_rotation_moves_to_the_next_scene(dash_duo, server):
    duo = dash_duo
    _size(duo, 1920, 1080)
    duo.driver.get(server.wall("rotate=10"))
    _wait(duo, "return document.querySelector('#wall-scene-overview.is-active') !== null", "overview first")
    _wait(duo, "return document.querySelector('#wall-scene-air.is-active') !== null", "then air", timeout=25)
    assert duo.driver.execute_script("return document.querySelectorAll('.wall-scene.is-active').length") == 1
    assert "is-active" in duo.find_element("#wall-tab-air").get_attribute("class")


def test_tokens_are_refused_outside_the_wall_and_once_revoked(dash_duo, server):
    duo = dash_duo
    duo.driver.get(f"{server.base}/wall?token=made-up")
    _wait(duo, "return document.body.textContent.includes('无效')", "made-up token refused")
    duo.driver.get(server.wall())
    _wait(duo, "return document.querySelector('#wall-root') !== null", "wall")
    duo.driver.get(f"{server.base}/ledger")
    _wait(duo, "return document.body.textContent.includes('只能打开大屏')", "ledger refused")
    revoke_token(server.settings, Actor.system(), "test-wall")
    duo.driver.get(server.wall())
    _wait(duo, "return document.body.textContent.includes('已撤销')", "revoked token refused")


def test_the_wall_comes_back_after_a_server_restart(dash_duo, server):
    duo = dash_duo
    _size(duo, 1920, 1080)
    duo.driver.get(server.wall("refresh=5"))
    _wait(duo, "return document.querySelectorAll('#wall-ov-tiles .wall-tile').length >= 9", "tiles")
    duo.driver.execute_script("window.__beforeRestart = true")
    server.stop()
    _wait(duo, "return document.documentElement.classList.contains('wall-is-offline')", "offline notice")
    assert "连接中断，正在重连" in duo.find_element("#wall-offline").text
    server.start()
    _wait(duo, "return window.__beforeRestart === undefined && "
               "document.querySelectorAll('#wall-ov-tiles .wall-tile').length >= 9 && "
               "!document.documentElement.classList.contains('wall-is-offline')", "back after the restart", timeout=40)
