"""The built website in a real headless Chromium: every page, as a reader meets it.

On every page: no console errors; math rendered by the bundled MathJax (no raw ``\\(`` left);
every image loaded; every internal link resolves. On chapter pages a solution toggle opens and
shows its code. The search page finds "backpropagation". A screenshot of every page is saved in
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def ensure_chromium() -> None:
    """Install Debian's chromium and chromium-driver when they are missing (needs root)."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        pytest.fail("Chromium is missing: install Debian's chromium and chromium-driver "
                    "(apt-get install chromium chromium-driver) and run the tests again.")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
        result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if result.returncode:
            pytest.fail(f"{' '.join(command)} failed:\n{result.stdout[-3000:]}"
                        f"\n{result.stderr[-3000:]}")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(built_site):
    """The built site served on 127.0.0.1 (a free port), as its base URL."""
    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    ensure_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1600",
                 "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def pages(built_site: Path) -> list[str]:
    return sorted(str(p.relative_to(built_site)) for p in built_site.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts)


def load(driver, url: str) -> None:
    driver.get(url)
    # MathJax typesets after load; wait until it says it is done (or there is nothing to do).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = driver.execute_script(
            "if (!window.MathJax) return 'none';"
            "if (!MathJax.startup || !MathJax.startup.promise) return 'loading';"
            "if (window.__typeset === undefined) {"
            "  window.__typeset = 'pending';"
            "  MathJax.startup.promise.then(() => { window.__typeset = 'done'; }); }"
            "return window.__typeset;")
        if state in ("none", "done"):
            return
        time.sleep(0.1)
    pytest.fail(f"MathJax did not finish typesetting {url} within 30 s")


def test_every_page_renders_cleanly(built_site, site, browser):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    links: set[str] = set()
    for page in pages(built_site):
        url = f"{site}/{page}"
        load(browser, url)
        browser.save_screenshot(str(SCREENSHOTS / (page.replace("/", "__") + ".png")))
        errors = [entry["message"] for entry in browser.get_log("browser")
                  if entry["level"] == "SEVERE"]
        problems += [f"{page}: console error: {message}" for message in errors]

        text = browser.execute_script("return document.body.innerText")
        if "\\(" in text or "\\[" in text or "$$" in text:
            problems.append(f"{page}: raw TeX left in the text (math not rendered)")
        # A lone $ in the prose (code and rendered formulas aside) is math MyST did not parse.
        prose = browser.execute_script(
            "const main = document.querySelector('main') || document.body;"
            "const copy = main.cloneNode(true);"
            "copy.querySelectorAll('pre, code, mjx-container, script, style, .highlight, "
            ".cell_output').forEach(e => e.remove());"
            "return copy.textContent")
        if "$" in prose:
            at = prose.index("$")
            problems.append(f"{page}: a $ left in the text, math not parsed: "
                            f"...{' '.join(prose[max(0, at - 60):at + 60].split())}...")
        has_math = browser.execute_script(
            "return document.querySelectorAll('.math, span.math, div.math').length")
        rendered = browser.execute_script(
            "return document.querySelectorAll('mjx-container').length")
        if has_math and not rendered:
            problems.append(f"{page}: {has_math} formulas but none rendered by MathJax")
        broken = browser.execute_script(
            "return Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
        problems += [f"{page}: image not loaded: {src}" for src in broken]
        if page.startswith("book/0"):
            images = browser.execute_script("return document.images.length")
            if not images:
                problems.append(f"{page}: a chapter page without a single figure")
        scripts = browser.execute_script(
            "return Array.from(document.scripts).map(s => s.src).filter(s => s)")
        problems += [f"{page}: script from outside the site: {src}" for src in scripts
                     if not src.startswith(site)]
        links.update(browser.execute_script(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"))

    for link in sorted(links):
        if not link.startswith(site):
            continue
        target, _, fragment = link.partition("#")
        try:
            with urllib.request.urlopen(target, timeout=10) as response:
                body = response.read().decode("utf-8", "replace")
        except urllib.error.URLError as error:
            problems.append(f"broken link {link}: {error}")
            continue
        if fragment and target.endswith(".html"):
            anchor = urllib.parse.unquote(fragment)
            if f'id="{anchor}"' not in body:
                problems.append(f"link to a missing anchor: {link}")
    assert not problems, "\n".join(problems)


def test_solution_toggle_opens_and_shows_the_code(built_site, site, browser):
    chapters = [p for p in pages(built_site) if p.startswith("book/0")]
    assert chapters
    for page in chapters:
        load(browser, f"{site}/{page}")
        toggles = browser.find_elements("css selector", "details.hide summary")
        solutions = [t for t in toggles if "Show solution" in t.text]
        assert solutions, f"{page}: no 'Show solution' toggle"
        details = solutions[0].find_element("xpath", "..")
        code = details.find_element("css selector", "div.highlight pre")
        assert not code.is_displayed(), f"{page}: the solution is open before it is asked for"
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", solutions[0])
        solutions[0].click()
        deadline = time.monotonic() + 5
        while not code.is_displayed() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert code.is_displayed() and code.text.strip(), f"{page}: the toggle shows no code"
        hints = [t for t in browser.find_elements("css selector", "details summary")
                 if t.text.strip().startswith("Hint")]
        assert hints, f"{page}: no folded hint"


def test_search_finds_backpropagation(site, browser):
    browser.get(f"{site}/search.html?q=backpropagation")
    deadline = time.monotonic() + 30
    results = []
    while time.monotonic() < deadline and not results:
        results = browser.find_elements("css selector", "#search-results ul.search li")
        time.sleep(0.2)
    assert results, "the search page found nothing for 'backpropagation'"
