"""Take the README's screenshots of the real app in headless Chromium.

    python docs/screenshots.py [--out docs/screenshots] [--user admin] [PATH ...]

Builds the demo district in a temporary SQLite database, serves it on a free local port, logs in
as the demo editor (``--user`` another role) and saves one PNG per page and language
(``home-zh.png``, ``air-en.png``, …).
Needs Debian's chromium and chromium-driver and a CJK font (fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

DEFAULT_PATHS = ["/"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser(width: int, height: int) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 f"--window-size={width},{height}", "--hide-scrollbars", "--lang=zh-CN"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def _settle(driver: webdriver.Chrome) -> None:
    """Wait until Dash has no callback in flight and plotly has drawn."""
    WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".page")))
    WebDriverWait(driver, 30).until(
        lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-dash-is-loading='true']")
    )
    time.sleep(1.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=DEFAULT_PATHS)
    parser.add_argument("--out", default=str(Path(__file__).parent / "screenshots"))
    parser.add_argument("--width", type=int, default=1360)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--full", action="store_true", help="capture the whole page height")
    parser.add_argument("--user", default="editor", choices=["viewer", "inspector", "editor", "admin"],
                        help="the demo login to take them as (the admin page needs admin)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    tmp = Path(tempfile.mkdtemp(prefix="dash-shots-"))
    env = dict(os.environ, DASHBOARD_DATA_DIR=str(tmp), DATABASE_URL=f"sqlite:///{tmp / 'demo.db'}")
    demo = subprocess.run([sys.executable, "-m", "dashboard", "demo"], env=env, capture_output=True,
                          text=True, check=True).stdout
    password = next(line.split()[-1] for line in demo.splitlines() if f"user {args.user} " in line)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "dashboard", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(base + "/health", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        driver = _browser(args.width, args.height)
        try:
            driver.get(base + "/login")
            driver.find_element(By.ID, "username").send_keys(args.user)
            driver.find_element(By.ID, "password").send_keys(password)
            driver.find_element(By.ID, "login-submit").click()
            for lang in ("zh", "en"):
                driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
                for path in args.paths:
                    driver.get(base + path)
                    _settle(driver)
                    if args.full:
                        height = driver.execute_script("return document.body.scrollHeight")
                        driver.set_window_size(args.width, max(args.height, height))
                        time.sleep(0.5)
                    name = (path.strip("/").replace("/", "-") or "home") + f"-{lang}.png"
                    driver.save_screenshot(str(out / name))
                    driver.set_window_size(args.width, args.height)
                    print(out / name)
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
