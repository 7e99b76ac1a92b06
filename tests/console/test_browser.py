"""The console in a real headless Chromium (Debian's chromium, driven by Playwright; no browser download).

One browser and one server for the module, pages visited in the order a user would; the re-drive comes
last because it changes the lake. With LOGLAKE_SCREENSHOTS=docs/img each page is also saved as a PNG
for docs/console.md.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console.console_lake import Settings
from loglake.console.server import Server
from loglake.transform.settings import EtlSettings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("the console's browser tests need Debian's chromium: apt-get install -y chromium", pytrace=False)
    pytest.skip("no chromium: apt-get install -y chromium (.ci/run installs it)", allow_module_level=True)

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

SHOTS = os.environ.get("LOGLAKE_SCREENSHOTS")


@pytest.fixture(scope="module")
def page(server: Server) -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        opened = browser.new_page(viewport={"width": 1100, "height": 720})
        opened.set_default_timeout(15_000)
        opened.goto(server.url)
        yield opened
        browser.close()


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"))


def bars(page: Page) -> list[tuple[str, int]]:
    page.wait_for_selector("#busy", state="hidden")
    found: list[Any] = page.eval_on_selector_all(
        "#chart g.bar", "gs => gs.map(g => [g.dataset.start, Number(g.dataset.total)])"
    )
    return [(start, total) for start, total in found]


def show_hour_of_ten(page: Page) -> None:
    """The events page (the page at load) over [2026-11-29T10:00, 11:00): five events, one bar a minute. Each
    drawing is waited for (#busy shows from the click until the answer is drawn): a drawing still on its way
    would replace what the test does next."""
    page.wait_for_selector("#busy", state="hidden")
    page.select_option("#range", "custom")
    page.fill("#since", "2026-11-29T10:00:00Z")
    page.fill("#until", "2026-11-29T11:00:00Z")
    page.click("#apply-range")
    page.wait_for_selector("#busy", state="hidden")
    expect(page.locator("#histogram-total")).to_have_text("5 events, one bar = 60 s")


def test_the_url_opens_the_events_page_and_a_time_range_changes_the_histogram(page: Page) -> None:
    assert page.url.endswith("/")  # the token moved into the cookie
    expect(page.locator("#histogram-total")).to_have_text("10 events, one bar = 1800 s")
    assert sum(total for _start, total in bars(page)) == 10
    show_hour_of_ten(page)
    assert bars(page) == [
        ("2026-11-29T10:00:00Z", 1),
        ("2026-11-29T10:01:00Z", 1),
        ("2026-11-29T10:02:00Z", 1),
        ("2026-11-29T10:03:00Z", 1),
        ("2026-11-29T10:04:00Z", 1),
    ]
    assert page.locator("#chart rect[data-level=ERROR]").count() == 2
    shot(page, "events")


def test_dragging_over_the_histogram_zooms_in(page: Page) -> None:
    show_hour_of_ten(page)  # its own range, so it runs alone too (`pytest ...::test_dragging...` zoomed nothing)
    box = page.locator("#chart").bounding_box()
    assert box is not None
    left = box["x"] + 50 + (box["width"] - 50) * 1.5 / 60  # from 10:01:30 ...
    right = box["x"] + 50 + (box["width"] - 50) * 3.5 / 60  # ... to 10:03:30
    page.mouse.move(left, box["y"] + 100)
    page.mouse.down()
    page.mouse.move(right, box["y"] + 100)
    page.mouse.up()
    expect(page.locator("#histogram-total")).to_have_text("2 events, one bar = 5 s")
    assert [start for start, _total in bars(page)] == ["2026-11-29T10:02:00Z", "2026-11-29T10:03:00Z"]


def test_a_saved_query_runs_from_its_form(page: Page) -> None:
    page.select_option("#range", "")  # the whole lake
    page.click("a[data-page=query]")
    page.wait_for_selector("#saved option[value=errors_per_service_per_hour]", state="attached")
    page.select_option("#saved", "errors_per_service_per_hour")
    expect(page.locator("#params input[name=since]")).to_have_value("1970-01-01")
    page.fill("#params input[name=since]", "2026-11-29")
    page.click("#explain")
    expect(page.locator("#plan")).to_contain_text("logs: 2 partitions, 2 of 3 files")
    page.click("#run")
    expect(page.locator("#result-summary")).to_contain_text("1 rows")
    cells = page.locator("#result td").all_inner_texts()
    assert cells == ["/app/api", "2026-11-29T10:00:00", "2"]
    shot(page, "query")


def test_search_highlights_matches_and_a_row_expands_to_its_fields_and_neighbours(page: Page) -> None:
    page.click("a[data-page=search]")
    page.fill("#pattern", "timeout")
    page.check("#ignore-case")
    page.click("#find")
    expect(page.locator("#search-summary")).to_contain_text("2 matches")
    assert page.locator("#matches mark").all_inner_texts() == ["Timeout", "timeout"]
    page.locator("#matches tr.match").nth(1).click()
    detail = page.locator("#matches tr.detail")
    expect(detail).to_contain_text("event_id")
    neighbours = detail.locator("table.neighbours tr").all_inner_texts()
    assert len(neighbours) == 8  # 2 before (the day before is out of reach), the event, 5 after
    assert "timeout talking to db" in detail.locator("table.neighbours tr.self").inner_text()
    shot(page, "search")


def test_nested_field_values_show_as_json_and_stay_escaped(page: Page) -> None:
    """An event's nested fields (a struct, a list) read as JSON in its Fields table, not [object Object]."""
    cells = page.evaluate(
        """() => {
          const shown = table(["field", "value"], [["req", fieldText({path: "/a<b>", tags: ["x", 1]})],
                                                   ["n", fieldText(3)], ["none", fieldText(null)]]);
          const box = document.createElement("div");
          box.innerHTML = shown;
          return [...box.querySelectorAll("td")].map((td) => [td.textContent, td.innerHTML]);
        }"""
    )
    assert cells == [
        ["req", "req"],
        ['{"path":"/a<b>","tags":["x",1]}', '{"path":"/a&lt;b&gt;","tags":["x",1]}'],
        ["n", "n"],
        ["3", "3"],
        ["none", "none"],
        ["", ""],
    ]


def test_tables_and_health_pages(page: Page) -> None:
    page.click("a[data-page=tables]")
    expect(page.locator("#tables h3")).to_have_text(["logs"])
    shot(page, "tables")
    page.click("a[data-page=health]")
    expect(page.locator("#conservation")).to_contain_text(
        "holds: 2 raw objects, 12 raw events = 10 clean + 2 quarantined"
    )
    expect(page.locator("#pending")).to_have_text("0")
    shot(page, "health")


def test_redriving_quarantined_records_moves_the_counts(page: Page, settings: Settings) -> None:
    page.click("a[data-page=quarantine]")
    expect(page.locator("#quarantine-total")).to_have_text("2")
    assert page.locator("#quarantine-counts td").all_inner_texts()[:3] == ["format_mismatch", "/aws/vpc/main", "2"]
    shot(page, "quarantine")
    settings.etl = EtlSettings()  # the route that rejected them is removed from the configuration
    page.click("button.redrive")
    expect(page.locator("#quarantine-note")).to_have_text("re-drove 1 raw objects: 2 → 0 quarantined")
    expect(page.locator("#quarantine-total")).to_have_text("0")
    page.click("a[data-page=health]")
    expect(page.locator("#conservation")).to_contain_text("12 raw events = 12 clean + 0 quarantined")
