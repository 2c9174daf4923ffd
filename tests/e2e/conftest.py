"""A real Chromium (Debian's package) driven by Playwright against the live test server.

Outside CI a missing /usr/bin/chromium skips these tests; under CI=true it fails them (.ci/run installs it).
"""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: .ci/run installs Debian's package")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (390 x 844, touch) with the live server as base URL."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, base_url=live_server.url
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    page = context.new_page()
    yield page
    context.close()


# axe-core from npm (package.json pins it; `npm ci`, which `make test` runs, puts it in node_modules).
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("axe-core is not installed: run `npm ci` at the repository root (make test does)")
        pytest.skip("needs axe-core from npm (npm ci)")
    return AXE


@pytest.fixture
def axe(axe_script):
    """Check the page in front of the user with axe-core; fail on any serious or critical violation.

    The script is evaluated through the DevTools protocol rather than added as a <script> tag: the site's
    Content Security Policy refuses inline scripts, and turning the policy off would check another page.
    """
    source = axe_script.read_text(encoding="utf-8")

    def check(page) -> None:
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(source)
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
        report = [
            f"{v['impact']} {v['id']}: {v['help']} ({v['helpUrl']})\n"
            + "\n".join(f"    {' '.join(map(str, node['target']))}: {node['failureSummary']}" for node in v["nodes"])
            for v in blocking
        ]
        assert not blocking, f"axe-core on {page.url}:\n" + "\n".join(report)

    return check


DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def shot(tmp_path):
    """Screenshot a page as `name`.png: into docs/screenshots/ under `make screenshots` (SCREENSHOTS=1, with the
    Chinese fonts installed), else into the test's own folder, so that a test run never rewrites the repo."""
    folder = DOCS_SHOTS if os.environ.get("SCREENSHOTS") == "1" else tmp_path

    def take(page, name: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
