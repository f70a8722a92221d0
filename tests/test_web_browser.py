"""The pages as a person uses them, in Debian's Chromium driven by Playwright (no browser is
downloaded): search → job → equivalent jobs → path → competence gap, by clicking.

``JOBGRAPH_SCREENSHOTS=docs/screenshots`` also saves a picture of each screen there.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="module")
def base_url(web_app: Any) -> Iterator[str]:
    """The application served by uvicorn on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(web_app, host="127.0.0.1", port=port,
                                          log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():  # CI installs it (scripts/setup --test): a missing one fails
        pytest.fail(f"Chromium is needed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("JOBGRAPH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_search_job_equivalents_path_gap_by_clicking(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(base_url + "/")
    assert page.title().startswith("Rechercher")
    page.get_by_label("Un emploi, un métier, un code ROME").first.fill("assistant")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=assistant")
    results = page.locator("#job-results li")
    assert results.count() >= 2
    _shot(page, "1-search")

    page.locator("#job-results a", has_text="Assistant administratif").first.click()
    page.wait_for_url("**/job/missions-locales/assistant-administratif")
    assert page.locator("h1").inner_text().startswith("Assistant administratif")
    assert page.get_by_text("Niveau du cadre national (CNC)").count() == 1
    _shot(page, "2-job")

    page.get_by_role("link", name="Emplois équivalents").click()
    page.wait_for_url("**/equivalents")
    rows = page.locator("table.answer tbody tr")
    assert rows.count() > 3
    assert page.locator("th[data-column=otherLabel]").inner_text() == "Emploi"
    _shot(page, "3-equivalents")

    page.get_by_role("link", name="Assistant administratif").first.click()
    page.get_by_label("Parcours — Emploi visé").fill("missions-locales/directeur")
    page.get_by_role("button", name="Parcours").click()
    page.wait_for_url("**/path?*")
    assert page.locator("figure.drawing svg[role=img]").count() == 1
    assert page.locator("section.path").first.locator("ol.steps li").count() == 3
    _shot(page, "4-path")

    page.locator("#gap-link").click()
    page.wait_for_url("**/gap?*")
    assert page.locator("h1").inner_text() == "Écart de compétences"
    assert page.locator("table.answer tbody tr").count() > 0
    _shot(page, "5-gap")

    # English, kept while clicking on
    page.get_by_role("link", name="Language: English").click()
    assert page.locator("h1").inner_text() == "Competence gap"
    page.locator("main p a").first.click()
    assert page.locator("h1").inner_text().startswith("Assistant administratif")
    assert "lang=en" in page.url
    assert errors == [], errors  # no script error, nothing blocked by the CSP
    context.close()


def test_other_screens_render_and_work_by_keyboard(browser: Any, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(base_url + "/rome/M1607")
    assert page.locator("h1").inner_text().startswith("M1607")
    _shot(page, "6-rome")
    page.goto(base_url + "/referential/cci-2015")
    assert page.locator("#h-ladder").count() == 1
    _shot(page, "7-referential")
    page.goto(base_url + "/referential/cci-2015/validation")
    total = page.locator("table.findings tbody tr").count()
    # the filters apply on change (app.js), and work without it (the Filter button)
    page.get_by_label("Acceptés").select_option("yes")
    page.wait_for_url("**accepted=yes*")
    assert 0 < page.locator("table.findings tbody tr").count() <= total
    _shot(page, "8-validation")
    # keyboard: the skip link comes first, then the search box
    page.goto(base_url + "/job/cci-2015/juriste")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "top-q"
    assert errors == [], errors
    context.close()


def test_no_browser_is_downloaded() -> None:
    # Playwright's own browsers would live here; the tests use Debian's Chromium only
    cache = Path.home() / ".cache" / "ms-playwright"
    assert not cache.exists() or not any(cache.glob("chromium-*")), cache
    assert shutil.which("chromium") or Path(CHROMIUM).exists()
