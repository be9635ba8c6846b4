"""The report in a real browser: headless Chromium (Debian's /usr/bin/chromium) via Playwright.

Checks what an analyst does: flagged notes render in order, a category filter hides the
others, a mention marked "routine" comes back in the downloaded CSV, and a note holding
``<script>`` or HTML is shown as text and never run. A screenshot is kept under pytest's
temporary folder (outside git).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from casenotes.triage.report import ReportMention, ReportNote, render_report, report_notes

CHROMIUM = os.environ.get("CASENOTES_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = '<script>window.pwned = 1</script><img src=x onerror="window.pwned=2"> smell of gas'


def _note(note_id: str, text: str, term: str, category: str, label: str, p: float,
          ) -> ReportNote:
    start = text.index(term)
    return ReportNote(note_id, text, (ReportMention(start, start + len(term), term, category,
                                                    "present", label, p,
                                                    ("cue=concern (+0.50)",)),),
                      p, label == "risk")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    notes = [
        _note("damp-1", "Black mould in baby's bedroom, getting worse", "Black mould",
              "damp_mould", "risk", 0.81),
        _note("gas-1", "T/C strong smell of gas in kitchen", "smell of gas", "gas", "risk", 0.97),
        _note("co-1", "CO alarm sounding, tenant has headaches", "CO alarm", "carbon_monoxide",
              "risk", 0.93),
        _note("evil", HOSTILE, "smell of gas", "gas", "risk", 0.60),
        _note("rent", "Rent paid, asbestos survey booked", "asbestos", "asbestos", "routine",
              0.05),
    ]
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_report(report_notes(notes)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, report: Path, tmp_path: Path) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
    opened.goto(report.as_uri())
    yield opened
    opened.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    context.close()
    assert errors == []


def shown_ids(page: Any) -> list[str]:
    return [n.get_attribute("data-note-id") for n in page.locator("article.note").all()
            if n.is_visible()]


def test_flagged_notes_render_highest_risk_first(page: Any) -> None:
    assert shown_ids(page) == ["gas-1", "co-1", "damp-1", "evil"]
    assert page.locator("article.note .mention").count() == 4


def test_filtering_by_category_hides_the_other_notes(page: Any) -> None:
    page.select_option("#category", "gas")
    assert shown_ids(page) == ["gas-1", "evil"]
    page.select_option("#category", "")
    page.fill("#search", "baby")
    assert shown_ids(page) == ["damp-1"]


def _wait_until_stored_for_other_pages(page: Any, label: str) -> None:
    """Wait until a second tab sees the saved label, as a reloaded page will.

    Chromium hands a page's localStorage writes to its browser process asynchronously; on a
    loaded machine a reload straight after a click can read the store before the write lands.
    """
    other = page.context.new_page()
    other.goto(page.url)
    other.wait_for_function(
        """label => Object.keys(localStorage).some(key => key.startsWith("casenotes-labels:")
                   && (localStorage.getItem(key) || "").includes(label))""",
        arg=label, timeout=10_000)
    other.close()


def test_a_mention_marked_routine_is_in_the_downloaded_csv(page: Any) -> None:
    row = page.locator('article[data-note-id="co-1"] tr')
    row.locator('button[data-choice="routine"]').click()
    with page.expect_download() as download:
        page.click("#download")
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["note_id"], r["term"], r["label"]) for r in rows] == [
        ("co-1", "CO alarm", "routine")]
    assert rows[0]["start"] == "0" and rows[0]["end"] == "8"
    from casenotes.triage.review import read_analyst_labels  # casenotes train reads it as it is

    labels = read_analyst_labels(download.value.path())
    assert [(a.note_id, a.start, a.end, a.label) for a in labels] == [("co-1", 0, 8, "routine")]
    _wait_until_stored_for_other_pages(page, "routine")
    page.reload()  # labels persist in the browser
    assert page.locator('article[data-note-id="co-1"] button[data-choice="routine"]') \
        .get_attribute("aria-pressed") == "true"


def test_two_tabs_of_one_report_keep_each_other_s_labels(page: Any) -> None:
    """A tab that labels after another tab saved takes the other's labels first, so neither
    writes its older copy over the other's."""
    other = page.context.new_page()
    other.goto(page.url)
    page.locator('article[data-note-id="co-1"] button[data-choice="routine"]').click()
    other.wait_for_function(
        """() => Object.keys(localStorage).some(key => key.startsWith("casenotes-labels:")
                 && (localStorage.getItem(key) || "").includes("routine"))""", timeout=10_000)
    other.locator('article[data-note-id="gas-1"] button[data-choice="risk"]').click()
    stored = other.evaluate("""() => Object.keys(localStorage)
        .filter(key => key.startsWith("casenotes-labels:"))
        .map(key => JSON.parse(localStorage.getItem(key)))""")
    assert sorted(stored[0].values()) == ["risk", "routine"]
    assert other.locator('article[data-note-id="co-1"] button[data-choice="routine"]') \
        .get_attribute("aria-pressed") == "true"
    other.close()


def test_keyboard_labels_the_current_mention(page: Any) -> None:
    page.keyboard.press("j")
    page.keyboard.press("r")
    with page.expect_download() as download:
        page.click("#download")
    rows = list(csv.DictReader(io.StringIO(
        Path(download.value.path()).read_text(encoding="utf-8"))))
    assert ("gas-1", "risk") in [(r["note_id"], r["label"]) for r in rows]


def test_html_in_a_note_is_shown_as_text_and_never_run(page: Any) -> None:
    assert page.evaluate("window.pwned") is None
    text = page.locator('article[data-note-id="evil"] .text').inner_text()
    assert "<script>window.pwned = 1</script>" in text
    assert page.locator('article[data-note-id="evil"] img').count() == 0


def test_reviewed_notes_leave_the_not_yet_reviewed_view(page: Any) -> None:
    page.select_option("#label", "unreviewed")
    assert "gas-1" in shown_ids(page)
    page.locator('article[data-note-id="gas-1"] button[data-choice="risk"]').click()
    assert "gas-1" not in shown_ids(page)
    assert page.locator("#reviewed").inner_text().startswith("1 mention labelled")
