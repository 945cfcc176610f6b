"""The built website in a real headless Chromium: every page, on a desktop and on a phone.

One walk visits every page twice, on a 1280 x 1000 desktop window and on a 390 x 844 phone
(mobile emulation, three device pixels per CSS pixel), and records what it finds; each test
below then checks one promise on every page of both walks:

- no console errors, every formula rendered by the bundled MathJax, every image loaded;
- the navigation buttons work: on the phone the menu and the page contents open (and close),
  on the desktop "Toggle primary sidebar" hides and shows the sidebar;
- every figure's alternative text says what it shows (its caption), not its file name;
- figures are legible: the smallest text of each (its font size in the PNG's pixels, recorded
  by ``nnbook.diagrams.figure_png`` in the notebook's output, times the width the browser
  shows the image at over its width in pixels) is at least 11 CSS px on the desktop and on
  the phone; on the phone each is drawn with at least two pixels per CSS pixel (sharp when
  zoomed) and linked to itself (a tap opens it at full size); never distorted;
- nothing makes a page scroll sideways or is cut off at the edge of the screen, except inside
  a box that scrolls (code, a wide formula);
- code fits its box on the desktop (at most 80 columns) and shows no linter directives;
- a folded solution hides its code and its output; opening it shows both;
- axe-core (from npm, pinned, installed into a cache folder on first use) finds no serious or
  critical violation;
- no page loads the icon font's script, nor MathJax without a formula, and each page's bytes
  are reported;
- search excerpts are plain text, no TeX; every internal link resolves.

Screenshots of every page (and of the opened phone menu) go to ``test-artifacts/screenshots``,
the per-page numbers to ``test-artifacts/browser-report.md`` (and ``.json``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT, ensure_debian_packages

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
AXE_VERSION = "4.11.0"
AXE_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nnbook" / (
    f"axe-core-{AXE_VERSION}")
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    "phone": {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True},
}
#: The smallest text of a figure, in CSS px as shown, on every viewport.
SMALLEST_TEXT = 11.0
#: What a page may weigh at most, in bytes: MathJax alone is 1.2 MB, the theme's CSS 0.4 MB.
PAGE_BUDGET = 3_000_000
CODE_COLUMNS = 80


def ensure_chromium() -> None:
    ensure_debian_packages([str(CHROMIUM), str(CHROMEDRIVER)], ["chromium", "chromium-driver"],
                           "the browser test drives Debian's Chromium")


def axe_source() -> str:
    """axe-core's ``axe.min.js``, installed from npm into a cache folder on first use."""
    script = AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing, so axe-core cannot be installed for the accessibility "
                        "check: install Node.js and npm (apt-get install npm) and run the "
                        "tests again.")
        AXE_CACHE.mkdir(parents=True, exist_ok=True)
        result = subprocess.run([npm, "install", "--prefix", str(AXE_CACHE), "--no-save",
                                 "--no-audit", "--no-fund", f"axe-core@{AXE_VERSION}"],
                                capture_output=True, text=True, timeout=600)
        if result.returncode or not script.is_file():
            pytest.fail(f"npm install axe-core@{AXE_VERSION} failed:\n{result.stdout[-3000:]}"
                        f"\n{result.stderr[-3000:]}")
    return script.read_text(encoding="utf-8")


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


def new_browser():
    """A headless Chromium, its cache off (so that every page's bytes are counted)."""
    ensure_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                 "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(120)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    return driver


@pytest.fixture(scope="module")
def browser():
    driver = new_browser()
    yield driver
    driver.quit()


def pages(built_site: Path) -> list[str]:
    return sorted(str(p.relative_to(built_site)) for p in built_site.rglob("*.html")
                  if "_static" not in p.parts and "_sources" not in p.parts)


def figure_text_sizes() -> dict[str, float]:
    """The smallest text (in the PNG's pixels) of every figure, by its file name on the site.

    myst-nb names an output image by the SHA-256 of its bytes; ``figure_png`` records the
    size in the output's metadata.
    """
    sizes = {}
    for notebook in sorted((ROOT / "book").glob("*.ipynb")):
        for cell in nbformat.read(notebook, as_version=4).cells:
            for output in cell.get("outputs", []):
                png = output.get("data", {}).get("image/png")
                if png:
                    name = hashlib.sha256(base64.b64decode(png)).hexdigest() + ".png"
                    size = output.get("metadata", {}).get("image/png", {}).get(
                        "smallest_text_px")
                    sizes[name] = size
    return sizes


def load(driver, url: str) -> None:
    driver.get(url)
    # MathJax typesets after load; wait until it says it is done (or there is nothing to do).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = driver.execute_script(
            "if (document.readyState !== 'complete') return 'loading';"
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


# Everything a page shows, measured in the browser in one go.
PAGE_FACTS = r"""
const main = document.querySelector('main') || document.body;
const visible = (e) => e.checkVisibility({visibilityProperty: true});
const text = document.body.innerText;
const copy = main.cloneNode(true);
copy.querySelectorAll('pre, code, mjx-container, script, style, .highlight, .cell_output')
  .forEach((e) => e.remove());
const prose = copy.textContent;
const images = Array.from(document.images).map((i) => ({
  src: i.src, alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0,
  natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
  naturalHeight: i.naturalHeight, shownHeight: i.getBoundingClientRect().height,
  link: i.closest('a') ? i.closest('a').href : null,
  // A frame that scrolls sideways (a figure wider than the screen), and the note under it.
  scrolls: !!i.closest('a.image-reference') && i.closest('a.image-reference').scrollWidth
    > i.closest('a.image-reference').clientWidth + 1,
  scrollNote: !!(i.closest('a.image-reference') && i.closest('a.image-reference')
    .nextElementSibling && i.closest('a.image-reference').nextElementSibling.classList
    .contains('nnbook-scroll-note')),
  figure: !!i.closest('main figure, main .cell_output'), visible: visible(i)}));
return {
  rawTex: /\\\(|\\\[|\$\$/.test(text),
  dollar: prose.includes('$') ? prose.slice(Math.max(0, prose.indexOf('$') - 60),
                                            prose.indexOf('$') + 60) : null,
  formulas: document.querySelectorAll('.math, span.math, div.math').length,
  rendered: document.querySelectorAll('mjx-container').length,
  mathjax: Array.from(document.scripts).some((s) => /mathjax/i.test(s.src)),
  scripts: Array.from(document.scripts).map((s) => s.src).filter((s) => s),
  images: images,
  links: Array.from(document.querySelectorAll('a[href]')).map((a) => a.href),
};
"""

# Elements that stick out of the screen sideways, unless a box that scrolls holds them.
OVERFLOW = r"""
const vw = document.documentElement.clientWidth;
const main = document.querySelector('main') || document.body;
const scrolls = (e) => /(auto|scroll)/.test(getComputedStyle(e).overflowX);
const out = [];
for (const el of main.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || (r.right <= vw + 1 && r.left >= -1)) continue;
  // Not shown (an off-screen sidebar), or MathJax's copy for screen readers (clipped away).
  if (!el.checkVisibility({visibilityProperty: true}) || el.closest('mjx-assistive-mml')) {
    continue;
  }
  // Held by the nearest box that scrolls, if that box is on the screen; a box on the way
  // that clips (overflow: hidden) cuts it off for good.
  let box = el.parentElement, held = false;
  while (box && box !== document.documentElement) {
    const b = box.getBoundingClientRect();
    if (scrolls(box)) {
      held = b.right <= vw + 1 && b.left >= -1;
      break;
    }
    if (/(hidden|clip)/.test(getComputedStyle(box).overflowX)
        && (r.right > b.right + 1 || r.left < b.left - 1)) {
      break;
    }
    box = box.parentElement;
  }
  if (held) continue;
  const parent = el.parentElement.getBoundingClientRect();
  if (parent.right > vw + 1 || parent.left < -1) continue;  // reported with its parent
  out.push(`<${el.tagName.toLowerCase()} class="${el.className}"> from ${Math.round(r.left)}`
           + ` to ${Math.round(r.right)} px: ${(el.textContent || '').trim().slice(0, 60)}`);
}
return {page: document.documentElement.scrollWidth, viewport: vw, sticking_out: out};
"""

# Open every folded solution, checking that closed it hides its code and its output.
SOLUTIONS = r"""
const visible = (e) => e.checkVisibility({visibilityProperty: true});
const out = [];
const folds = Array.from(document.querySelectorAll(
  'main .tag_solution details, main details.tag_solution'));
for (const fold of folds) {
  const parts = Array.from(fold.querySelectorAll('pre, .cell_output, .sd-card-body > *'))
    .filter((e) => !e.closest('summary'));
  const shown = parts.filter(visible);
  const record = {closed_shows: shown.map((e) => e.textContent.trim().slice(0, 50)),
                  code: fold.querySelectorAll('.cell_input pre').length,
                  output: fold.querySelectorAll('.cell_output').length,
                  label: fold.querySelector('summary').innerText.trim()};
  fold.querySelector('summary').click();
  record.open = fold.open;
  record.open_hides = parts.filter((e) => !visible(e))
    .map((e) => e.textContent.trim().slice(0, 50));
  out.push(record);
}
return out;
"""

# Code as shown (after the solutions were opened): does each block fit its box?
CODE = r"""
return Array.from(document.querySelectorAll('main div.highlight pre')).map((pre) => ({
  input: !!pre.closest('.cell_input'),
  visible: pre.checkVisibility(),
  overflow: pre.scrollWidth - pre.clientWidth,
  longest: Math.max(0, ...pre.textContent.replace(/\n$/, '').split('\n').map((l) => l.length)),
  lint: /#\s*(noqa|type:\s*ignore|pragma|fmt:)/.test(pre.textContent),
}));
"""

# Colour contrast does not depend on the viewport (the theme's colours are the same on every
# screen) and is the slowest rule by far: it is checked on the desktop.
AXE_RUN = r"""
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations'], preload: false,
                   rules: {'label-content-name-mismatch': {enabled: true},
                           'color-contrast': {enabled: arguments[0]}}})
  .then((r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
      where: v.nodes.slice(0, 3).map((n) => n.target.join(' '))}))))
  .catch((e) => done([{id: 'axe-error', impact: 'critical', nodes: 0, where: [String(e)]}]));
"""

WEIGHT = r"""
const entries = performance.getEntriesByType('navigation').concat(
  performance.getEntriesByType('resource'));
return entries.map((e) => [e.name, e.transferSize || 0]);
"""


def shown(driver, element) -> bool:
    return driver.execute_script(
        "const e = arguments[0]; if (!e || !e.getClientRects().length) return false;"
        "const r = e.getBoundingClientRect(); const s = getComputedStyle(e);"
        "return s.visibility !== 'hidden' && r.width > 0 && r.right > 0 "
        "&& r.left < document.documentElement.clientWidth;", element)


def wait_for(condition, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def dialog_open(driver, dialog) -> bool:
    return dialog.get_attribute("open") is not None and shown(driver, dialog) and (
        driver.execute_script("return arguments[0].querySelectorAll('a').length", dialog) > 0)


def dialog_closed(dialog) -> bool:
    return dialog.get_attribute("open") is None


def check_navigation(driver, viewport: str, page: str) -> list[str]:
    """Click the navigation buttons a reader sees; what did not work."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    problems = []
    driver.execute_script("window.scrollTo(0, 0)")
    header = driver.find_elements(By.CSS_SELECTOR, ".bd-header-article .primary-toggle")
    if not header:
        return [f"{page}: no primary sidebar button in the article header"]
    button = header[0]
    if viewport == "desktop":
        sidebar = driver.find_element(By.ID, "pst-primary-sidebar")
        if not shown(driver, sidebar):
            return [f"{page}: the primary sidebar is not shown on the desktop"]
        button.click()
        if not wait_for(lambda: not shown(driver, sidebar)):
            problems.append(f"{page}: 'Toggle primary sidebar' does not hide the sidebar")
        button.click()
        if not wait_for(lambda: shown(driver, sidebar)):
            problems.append(f"{page}: 'Toggle primary sidebar' does not show it again")
        return problems
    for kind, what in (("primary", "menu"), ("secondary", "page contents")):
        toggles = [t for t in driver.find_elements(
            By.CSS_SELECTOR, f".bd-header-article .{kind}-toggle") if t.is_displayed()]
        has_contents = driver.execute_script(
            f"return !!document.querySelector('#pst-{kind}-sidebar a, "
            f"#pst-{kind}-sidebar-modal a')")
        if not toggles:
            if kind == "primary" or has_contents:
                problems.append(f"{page}: no visible {what} button on the phone")
            continue
        dialog = driver.find_element(By.ID, f"pst-{kind}-sidebar-modal")
        toggles[0].click()
        if not wait_for(functools.partial(dialog_open, driver, dialog)):
            problems.append(f"{page}: the {what} button does not open the {what}")
            continue
        if kind == "primary":
            driver.save_screenshot(str(SCREENSHOTS / f"phone-menu__{page.replace('/', '__')}.png"))
        dialog.send_keys(Keys.ESCAPE)
        if not wait_for(functools.partial(dialog_closed, dialog)):
            problems.append(f"{page}: the {what} does not close with Escape")
            driver.execute_script("arguments[0].close()", dialog)
    return problems


def visit(driver, site: str, viewport: str, page: str, axe: str, sizes: dict) -> dict:
    """Load one page in one viewport and record what every check needs."""
    load(driver, f"{site}/{page}")
    driver.save_screenshot(str(SCREENSHOTS / f"{viewport}__{page.replace('/', '__')}.png"))
    facts = driver.execute_script(PAGE_FACTS)
    record = {"console": [e["message"] for e in driver.get_log("browser")
                          if e["level"] == "SEVERE"],
              "facts": facts,
              "overflow": driver.execute_script(OVERFLOW)}
    # The page as a reader gets it first, its solutions folded.
    driver.execute_script(axe)
    record["axe"] = driver.execute_async_script(AXE_RUN, viewport == "desktop")
    record["solutions"] = driver.execute_script(SOLUTIONS)
    record["code"] = driver.execute_script(CODE)  # the solutions' code too, now open
    for what, selector in (("figure", "main figure"), ("solution", "main .tag_solution")):
        if driver.execute_script(f"const e = document.querySelector('{selector}');"
                                 "if (e) e.scrollIntoView({block: 'start'}); return !!e;"):
            driver.save_screenshot(str(SCREENSHOTS / f"{viewport}__{what}__"
                                       f"{page.replace('/', '__')}.png"))
    record["navigation"] = check_navigation(driver, viewport, page)
    record["weight"] = driver.execute_script(WEIGHT)
    record["sizes"] = {img["src"]: sizes.get(img["src"].rsplit("/", 1)[-1])
                       for img in facts["images"]}
    record["console"] += [e["message"] for e in driver.get_log("browser")
                          if e["level"] == "SEVERE"]
    return record


def walk_viewport(site: str, viewport: str, names: list[str], axe: str, sizes: dict) -> dict:
    driver = new_browser()
    try:
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORTS[viewport])
        return {page: visit(driver, site, viewport, page, axe, sizes) for page in names}
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def walk(built_site, site):
    """Every page on the desktop and on the phone (two browsers at once): what each check
    found, per page and viewport."""
    from concurrent.futures import ThreadPoolExecutor

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    axe = axe_source()
    sizes = figure_text_sizes()
    names = pages(built_site)
    started = time.monotonic()
    with ThreadPoolExecutor(len(VIEWPORTS)) as pool:
        futures = {viewport: pool.submit(walk_viewport, site, viewport, names, axe, sizes)
                   for viewport in VIEWPORTS}
        walks = {viewport: future.result() for viewport, future in futures.items()}
    results = {page: {viewport: walks[viewport][page] for viewport in VIEWPORTS}
               for page in names}
    report(results, time.monotonic() - started)
    return results


def impacts(violations) -> dict[str, int]:
    counts = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for violation in violations:
        counts[violation["impact"] or "minor"] += violation["nodes"]
    return counts


def page_problems(page: str, viewport: str, record: dict) -> list[str]:
    """Every problem of one page in one viewport (each test below checks a part of them)."""
    return [problem for check in CHECKS.values() for problem in check(page, viewport, record)]


def smallest_figure_text(record: dict) -> float | None:
    """The smallest text of the page's visible figures, in CSS px as shown."""
    sizes = [record["sizes"][img["src"]] * img["shown"] / img["natural"]
             for img in record["facts"]["images"]
             if img["figure"] and img["visible"] and img["natural"]
             and record["sizes"].get(img["src"])]
    return min(sizes) if sizes else None


def report(results, seconds: float) -> None:
    """test-artifacts/browser-report.md: per page, pass or fail, bytes, axe by impact, the
    smallest figure text."""
    rows = ["| page | viewport | result | bytes | axe critical / serious / moderate / minor "
            "| smallest figure text (CSS px) |",
            "|---|---|---|---:|---|---:|"]
    summary = {}
    for page, viewports in results.items():
        for viewport, record in viewports.items():
            problems = page_problems(page, viewport, record)
            counts = impacts(record["axe"])
            weight = sum(size for _, size in record["weight"])
            smallest = smallest_figure_text(record)
            rows.append(f"| {page} | {viewport} | {'fail' if problems else 'pass'} | "
                        f"{weight:,} | {counts['critical']} / {counts['serious']} / "
                        f"{counts['moderate']} / {counts['minor']} | "
                        f"{'' if smallest is None else f'{smallest:.1f}'} |")
            summary[f"{viewport}:{page}"] = {"problems": problems, "bytes": weight,
                                             "axe": counts,
                                             "axe_rules": [v["id"] for v in record["axe"]],
                                             "smallest_figure_text": smallest}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-report.md").write_text(
        f"# The website in headless Chromium\n\nBoth walks took {seconds:.0f} s.\n\n"
        + "\n".join(rows) + "\n", encoding="utf-8")
    (ARTIFACTS / "browser-report.json").write_text(json.dumps(summary, indent=1),
                                                   encoding="utf-8")


# -- the checks, each a function (page, viewport, record) -> problems ---------------------------
def clean_rendering(page, viewport, record):
    facts, problems = record["facts"], []
    problems += [f"console error: {message}" for message in record["console"]]
    if facts["rawTex"]:
        problems.append("raw TeX left in the text (math not rendered)")
    if facts["dollar"]:
        problems.append(f"a $ left in the text, math not parsed: ...{facts['dollar']}...")
    if facts["formulas"] and not facts["rendered"]:
        problems.append(f"{facts['formulas']} formulas but none rendered by MathJax")
    problems += [f"image not loaded: {img['src']}" for img in facts["images"]
                 if not img["loaded"]]
    if page.startswith("book/0") and not any(img["figure"] for img in facts["images"]):
        problems.append("a chapter page without a single figure")
    return problems


def navigation(page, viewport, record):
    return record["navigation"]


def alt_text(page, viewport, record):
    problems = []
    for img in record["facts"]["images"]:
        alt, name = (img["alt"] or "").strip(), img["src"].rsplit("/", 1)[-1]
        if not alt or name in alt or alt.endswith((".png", ".svg", ".jpg")):
            problems.append(f"image {name} has no alternative text of its own: {alt!r}")
        elif img["figure"] and ("$" in alt or "\\" in alt or len(alt) < 20):
            problems.append(f"figure {name}: its alternative text is not a description: {alt!r}")
    return problems


def legible_figures(page, viewport, record):
    problems = []
    least = SMALLEST_TEXT
    for img in record["facts"]["images"]:
        if not img["figure"] or not img["visible"]:
            continue
        name = img["src"].rsplit("/", 1)[-1]
        size = record["sizes"].get(img["src"])
        if size is None:
            problems.append(f"figure {name}: its smallest text size is not recorded (show it "
                            "with nnbook.diagrams.show or return the Figure)")
            continue
        scale = img["shown"] / img["natural"]
        if abs(img["shownHeight"] / img["naturalHeight"] / scale - 1) > 0.02:
            problems.append(f"figure {name} is distorted: shown {img['shown']:.0f} x "
                            f"{img['shownHeight']:.0f} px, drawn {img['natural']} x "
                            f"{img['naturalHeight']} px")
        if size * scale < least:
            problems.append(f"figure {name}: its smallest text is {size * scale:.1f} CSS px "
                            f"as shown ({img['shown']:.0f} px wide), under {least}")
        if viewport == "phone" and scale > 0.5 + 1e-6:
            problems.append(f"figure {name}: fewer than two image pixels per CSS pixel")
        if viewport == "phone" and img["link"] != img["src"]:
            problems.append(f"figure {name}: a tap does not open it at full size")
        if img["scrolls"] != img["scrollNote"]:
            problems.append(f"figure {name}: " + (
                "it scrolls sideways and no line under it says so" if img["scrolls"]
                else "a line under it says it scrolls, but it does not"))
    return problems


def no_sideways_scrolling(page, viewport, record):
    overflow, problems = record["overflow"], []
    if overflow["page"] > overflow["viewport"] + 1:
        problems.append(f"the page is {overflow['page']} px wide in a {overflow['viewport']} "
                        "px viewport")
    problems += [f"cut off at the screen's edge: {what}" for what in overflow["sticking_out"]]
    return problems


def code_fits(page, viewport, record):
    problems = []
    for block in record["code"]:
        if not block["input"]:
            continue
        if block["lint"]:
            problems.append("a linter directive (# noqa, ...) is shown in code")
        if block["longest"] > CODE_COLUMNS:
            problems.append(f"a code line of {block['longest']} columns (at most "
                            f"{CODE_COLUMNS})")
        if viewport == "desktop" and block["visible"] and block["overflow"] > 1:
            problems.append(f"code is cut off: {block['overflow']} px do not fit its box")
    return problems


def folded_solutions(page, viewport, record):
    problems = []
    if page.startswith("book/0") and not record["solutions"]:
        problems.append("a chapter page without a folded solution")
    for fold in record["solutions"]:
        if fold["closed_shows"]:
            problems.append(f"a closed '{fold['label']}' shows {fold['closed_shows'][:2]}")
        if not fold["open"] or fold["open_hides"]:
            problems.append(f"an opened '{fold['label']}' hides {fold['open_hides'][:2]}")
    return problems


def accessibility(page, viewport, record):
    return [f"axe-core, {v['impact']}: {v['id']} ({v['nodes']}x: {', '.join(v['where'])})"
            for v in record["axe"] if v["impact"] in ("serious", "critical")]


def page_weight(page, viewport, record):
    problems = []
    names = [name for name, _ in record["weight"]]
    if any(name.split("?")[0].endswith("fontawesome.js") for name in names):
        problems.append("loads fontawesome.js (1.5 MB of icons)")
    problems += [f"loads the whole icon font {name.rsplit('/', 1)[-1]}" for name in names
                 if "/webfonts/fa-" in name]
    if record["facts"]["mathjax"] and not record["facts"]["formulas"]:
        problems.append("loads MathJax without a formula on the page")
    weight = sum(size for _, size in record["weight"])
    if weight > PAGE_BUDGET:
        biggest = sorted(record["weight"], key=lambda item: -item[1])[:3]
        problems.append(f"weighs {weight:,} bytes (budget {PAGE_BUDGET:,}); the most: "
                        + ", ".join(f"{n.rsplit('/', 1)[-1]} {s:,}" for n, s in biggest))
    problems += [f"script from outside the site: {src}" for src in record["facts"]["scripts"]
                 if not src.startswith("http://127.0.0.1")]
    return problems


CHECKS = {"clean_rendering": clean_rendering, "navigation": navigation, "alt_text": alt_text,
          "legible_figures": legible_figures, "no_sideways_scrolling": no_sideways_scrolling,
          "code_fits": code_fits, "folded_solutions": folded_solutions,
          "accessibility": accessibility, "page_weight": page_weight}


def every_page(walk, check) -> list[str]:
    return [f"{viewport} {page}: {problem}" for page, viewports in walk.items()
            for viewport, record in viewports.items()
            for problem in check(page, viewport, record)]


@pytest.mark.parametrize("check", list(CHECKS))
def test_every_page_on_desktop_and_phone(walk, check):
    problems = every_page(walk, CHECKS[check])
    assert not problems, "\n".join(problems)


def test_every_internal_link_resolves(walk, site):
    links = {link for viewports in walk.values() for record in viewports.values()
             for link in record["facts"]["links"] if link.startswith(site)}
    problems = []
    for link in sorted(links):
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


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_search_finds_pages_and_shows_plain_text(walk, site, browser, viewport):
    from selenium.webdriver.common.by import By

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", VIEWPORTS[viewport])
    try:
        for query in ("backpropagation", "delta receptor"):
            browser.get(f"{site}/search.html?q={urllib.parse.quote(query)}")
            def excerpts() -> list[str]:
                return [e.text for e in browser.find_elements(
                    By.CSS_SELECTOR, "#search-results ul.search li p.context")]

            assert wait_for(lambda: len(excerpts()) >= 3, 30), (
                f"search for {query!r}: fewer than 3 excerpts")
            time.sleep(0.5)
            found = excerpts()
            raw = [e for e in found if any(mark in e for mark in (
                "\\(", "\\[", "\\delta", "\\partial", "\\frac", "^{", "_{", "$"))]
            assert not raw, f"search for {query!r} shows TeX in excerpts: {raw[:2]}"
        browser.save_screenshot(str(SCREENSHOTS / f"{viewport}__search-results.png"))
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
