"""Real Chromium (Debian's, never a downloaded one) driving the live site, with axe-core on every
page a journey visits."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.live_fixtures import site  # noqa: F401 - the shared live site fixture

CHROMIUM = os.environ.get("ACADEMY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = (
    Path(__file__).resolve().parents[2]
    / "academy"
    / "static"
    / "vendor"
    / "axe-core"
    / "axe.min.js"
)
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
AXE_REPORT = Path(os.environ.get("ACADEMY_AXE_REPORT", "/tmp/academy-axe-report.jsonl"))


@pytest.fixture(scope="session")
def playwright_instance():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (make system-deps)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(params=sorted(VIEWPORTS), ids=sorted(VIEWPORTS))
def device(request):
    return request.param


@pytest.fixture
def new_page(browser, site, device):  # noqa: F811
    """``new_page()`` opens a Vietnamese page on the live site in the current viewport.

    CSP is bypassed so axe (an inline-evaluated script) can run; it also leaves the Markdown
    sanitiser alone against the XSS payloads (tests/e2e/test_keyboard_and_xss.py)."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=site.base_url,
            locale="vi-VN",
            bypass_csp=True,
            timezone_id="Asia/Ho_Chi_Minh",
            **VIEWPORTS[device],
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # uncaught page errors: a journey must produce none
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def run_axe(page) -> list[dict]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


class Auditor:
    """Checks each page a journey visits with axe and collects what it finds."""

    def __init__(self, device: str):
        self.device = device
        self.problems: list[dict] = []
        self.pages: list[str] = []

    def check(self, page, label: str | None = None) -> None:
        page.wait_for_load_state("load")
        path = page.url.split("//", 1)[-1].split("/", 1)[-1]
        self.pages.append("/" + path)
        for violation in run_axe(page):
            self.problems.append(
                {"page": "/" + path, "label": label, "device": self.device, **violation}
            )

    def assert_clean(self) -> None:
        if self.problems:
            with AXE_REPORT.open("a") as report:
                for problem in self.problems:
                    report.write(json.dumps(problem, ensure_ascii=False) + "\n")
        assert not self.problems, "axe serious/critical violations:\n" + "\n".join(
            f"{p['page']} [{p['device']}] {p['id']} ({p['impact']}): {p['help']} at {p['nodes']}"
            for p in self.problems
        )


@pytest.fixture
def axe(device):
    return Auditor(device)
