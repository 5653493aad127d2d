"""The trainer's day in the web UI (issue 16, items 7-12), through the running app: the
designer keeps comments, offers to replace a former name, speaks plainly and clears what
belonged to the previous draft; calibration gives one verdict; certification reports
eligibility; the cohort view. gradio_client where the API shows it, Chromium where only
the page does."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from test_web_browser import ARTIFACTS, Tab, retype
from web_server import ROOT, api_client, start_server

pytestmark = pytest.mark.slow

USERS = [("ann", "trainee", "ann-password"), ("tom", "trainer", "tom-password")]
RECLINER = "chronic-emotional-faulty-recliner"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("web-trainer"), USERS)
    yield srv
    srv.stop()


def attr(html: str, name: str) -> str:
    return re.search(rf'{name}="([^"]*)"', html)[1]


def csv_rows(download: dict) -> list[dict]:
    text = Path(download["value"]).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def shipped(persona_id: str) -> str:
    return (ROOT / "personas" / f"{persona_id}.yaml").read_text(encoding="utf-8")


def editor_text(page) -> str:
    return page.evaluate("() => document.querySelector('#fl-yaml .cm-content').innerText")


def open_persona(page, file_name: str) -> None:
    page.click("#fl-tab-designer-button")
    page.locator("#fl-design-browse input").fill(file_name)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#fl-problems:has-text('valid persona {file_name[:-5]}')")


# -- 7: the form keeps comments ----------------------------------------------------------
@pytest.mark.browser
def test_the_form_keeps_every_comment_of_the_file(browser, server):
    tom = Tab(browser, server, "tom")
    page = tom.page
    open_persona(page, f"{RECLINER}.yaml")
    original = shipped(RECLINER)
    comments = [
        m[1] for line in original.splitlines() if (m := re.search(r"(?:^|\s)(#\s.*)$", line))
    ]
    assert any("yaml-language-server" in c for c in comments) and len(comments) >= 3
    assert any("§" in c for c in comments)
    page.click("#fl-design-form-tab-button")
    retype(page, "#fl-form-summary textarea", "A salon owner whose recliner died again.")
    page.click("#fl-design-yaml-tab-button")
    page.wait_for_function(
        "() => document.querySelector('#fl-yaml .cm-content')"
        ".innerText.includes('whose recliner died again')"
    )
    # What the form wrote is what gets saved; read the saved file, not the editor's drawn
    # lines (CodeMirror draws only its viewport, and the file is longer than it).
    page.click("#fl-design-save")
    page.wait_for_selector(f"#fl-design-status:has-text('Saved {RECLINER}')")
    text = (server.personas / f"{RECLINER}.yaml").read_text(encoding="utf-8")
    assert "whose recliner died again" in text
    for comment in comments:
        assert comment in text, f"the form dropped {comment!r}"
    tom.close()


# -- 8: a renamed customer ---------------------------------------------------------------
@pytest.mark.browser
def test_renaming_offers_to_replace_the_old_name_and_validate_warns(browser, server, tmp_path):
    tom = Tab(browser, server, "tom")
    page = tom.page
    open_persona(page, f"{RECLINER}.yaml")
    page.click("#fl-design-form-tab-button")
    assert not page.is_visible("#fl-design-rename")
    retype(page, "#fl-form-name textarea", "Zora Quinn")
    page.wait_for_selector("#fl-design-rename:has-text('Zora Quinn')")  # typing has settled
    page.wait_for_selector("#fl-lint li[data-code='stale-name']")
    assert "Bernie Okafor" in page.inner_text("#fl-lint")
    button = page.locator("#fl-design-rename")
    assert "Bernadette Okafor" in button.inner_text() and "Zora Quinn" in button.inner_text()
    button.click()
    page.wait_for_selector("#fl-design-status:has-text('Replaced the former name')")
    # The list is redrawn when the new lint arrives (the old one still carries data-count):
    # wait for the stale-name warnings to go, rather than for any list.
    page.wait_for_selector("#fl-lint li[data-code='stale-name']", state="detached")
    assert page.locator("#fl-lint li[data-code='stale-name']").count() == 0
    assert not page.is_visible("#fl-design-rename")
    text = editor_text(page)
    assert "Okafor" not in text and "It's Bernie Quinn." in text and "Mrs Quinn" in text
    tom.close()

    # `frontline validate` warns about the renamed file that kept the old name, by line.
    renamed = tmp_path / f"{RECLINER}.yaml"
    renamed.write_text(
        shipped(RECLINER).replace("name: Bernadette Okafor", "name: Zora Quinn"), encoding="utf-8"
    )
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "validate", str(renamed)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    line = next(
        n
        for n, text in enumerate(renamed.read_text().splitlines(), 1)
        if "It's Bernie Okafor" in text
    )
    assert f"{renamed}:{line}: warning: case.facts[0]: names the customer 'Bernie Okafor'" in out
    assert "[stale-name]" in out


# -- 9: plain messages, wrapping, headers, nothing stale ---------------------------------
def test_designer_problems_are_in_plain_words_and_the_save_note_points_up(server):
    tom = api_client(server, "tom")
    bad = shipped(RECLINER).replace(f"id: {RECLINER}", "id: Recliner_Case", 1)
    problems = tom.predict(bad, api_name="/designer_check")[0]
    assert (
        "must be lowercase letters, digits and hyphens, 2–63 characters, starting with a "
        "letter or digit"
    ) in problems
    assert "should match pattern" not in problems and "^[a-z0-9]" not in problems
    status = tom.predict(bad, api_name="/designer_save")[0]
    assert "below" not in status and "listed under the editor" in status


@pytest.mark.browser
def test_editor_wraps_headers_stay_whole_and_a_new_upload_clears_the_old_draft(
    browser, server, tmp_path
):
    tom = Tab(browser, server, "tom")
    page = tom.page
    open_persona(page, f"{RECLINER}.yaml")
    # The YAML editor wraps long lines instead of scrolling sideways.
    assert page.locator("#fl-yaml .cm-lineWrapping").count() == 1
    page.click("#fl-design-calibrate")
    page.wait_for_selector("#fl-calibration[data-valid='true']")
    page.click("#fl-design-try")
    page.wait_for_function(
        "() => document.querySelectorAll('#fl-design-chat .message-row').length >= 1"
    )
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        broken = page.evaluate("""() => [...document.querySelectorAll(
            '#fl-calibration-matrix th')].filter(th => {
              const r = document.createRange(); r.selectNodeContents(th);
              return th.innerText.trim() && r.getClientRects().length > 1;
            }).map(th => th.innerText)""")
        assert broken == [], f"headers break across lines at {width}px: {broken}"
    page.set_viewport_size({"width": 1280, "height": 900})
    tom.shot("designer-calibration-headers")

    # A broken upload replaces the draft: the old calibration and test chat go with it.
    bad = tmp_path / "broken.yaml"
    bad.write_text("schema_version: 1\nid: [unclosed\n", encoding="utf-8")
    page.set_input_files("input[data-testid='Upload a persona file-upload-button']", str(bad))
    page.wait_for_selector("#fl-problems li")
    page.wait_for_function("() => !document.querySelector('#fl-calibration')")
    assert page.locator("#fl-design-chat .message-row").count() == 0
    assert page.locator("#fl-calibration-matrix table").count() == 0
    tom.close()


# -- 11: one calibration verdict ---------------------------------------------------------
def test_designer_and_cli_give_one_calibration_verdict(server, tmp_path):
    """A persona that reacts exactly like a shipped one: the CLI fails it, so does the
    designer (it used to show ✓ beside 'Not distinct')."""
    twin = shipped(RECLINER).replace(f"id: {RECLINER}", "id: recliner-twin", 1)
    summary, _ = api_client(server, "tom").predict(twin, api_name="/designer_calibrate")
    assert attr(summary, "data-distinct") == "false"
    assert attr(summary, "data-ok") == "false" and "✗ NOT calibrated" in summary
    assert "✓" not in summary

    folder = tmp_path / "personas"
    folder.mkdir()
    (folder / f"{RECLINER}.yaml").write_text(shipped(RECLINER), encoding="utf-8")
    (folder / "recliner-twin.yaml").write_text(twin, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "simulator", "calibrate", "--runs", "1", "--workers", "1"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**__import__("os").environ, "FRONTLINE_PERSONAS": str(folder)},
    )
    assert run.returncode == 1
    verdict = run.stderr.strip().splitlines()[-1]
    assert verdict.startswith("NOT calibrated") and "recliner-twin" in verdict
    assert verdict.split(": ", 1)[1].split(",")[-1].strip() in summary


# -- 12: the cohort view -----------------------------------------------------------------
@pytest.fixture(scope="module")
def cohort(server):
    from cohort_data import seed_cohort

    return seed_cohort(server.folder / "sessions.sqlite3")


def test_cohort_view_filters_and_exports_for_trainers_only(server, cohort):
    from gradio_client.exceptions import AppError

    tom = api_client(server, "tom")
    everyone = tom.predict([], [], [], [], "", "", api_name="/cohort")
    summary = everyone[0]
    total = sum(len(ids) for ids in cohort.values())
    assert attr(summary, "data-sessions") == str(total) and attr(summary, "data-trainees") == "3"
    assert 'id="fl-cohort-weakest"' in summary and 'id="fl-cohort-progress"' in summary
    for name in cohort:
        assert f'data-trainee="{name}"' in summary
    plots = everyone[1]
    assert plots.count("<svg") == 2 and 'data-trainee="bea"' in plots
    rows = csv_rows(everyone[2])
    assert {r["session"] for r in rows} == {s for ids in cohort.values() for s in ids}

    bea = tom.predict(["bea"], [], [], ["exam"], "", "", api_name="/cohort")
    assert attr(bea[0], "data-sessions") == "1" and 'data-trainee="ann"' not in bea[0]
    rows = csv_rows(bea[2])
    assert {r["session"] for r in rows} == {cohort["bea"][-1]} and {r["mode"] for r in rows} == {
        "exam"
    }
    march = tom.predict([], [], [], [], "2026-03-09", "2026-03-15", api_name="/cohort")
    assert attr(march[0], "data-sessions") == "3"
    with pytest.raises(AppError, match="is not a date"):
        tom.predict([], [], [], [], "9 March", "", api_name="/cohort")
    with pytest.raises(AppError, match="for trainers"):
        api_client(server, "ann").predict([], [], [], [], "", "", api_name="/cohort")


@pytest.mark.browser
def test_cohort_tab_on_desktop_and_phone(browser, server, cohort):
    ann = Tab(browser, server, "ann")
    assert not ann.page.locator("#fl-tab-cohort-button").is_visible(), "trainees see no cohort"
    ann.close()
    tom = Tab(browser, server, "tom")
    page = tom.page
    page.click("#fl-tab-cohort-button")
    page.wait_for_selector("#fl-cohort[data-sessions]")
    assert page.locator("#fl-cohort-trainees tbody tr").count() == len(cohort)
    assert page.locator("#fl-cohort-plots svg polyline[data-trainee]").count() == len(cohort)
    assert page.is_visible("#fl-cohort-csv")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_viewport_size({"width": 1280, "height": page.evaluate("document.body.scrollHeight")})
    page.screenshot(path=str(ARTIFACTS / "cohort.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    # Nothing wider than the phone's screen but the tables' own scroll boxes.
    overflow = page.evaluate("() => document.documentElement.scrollWidth")
    assert overflow <= 390, f"the page scrolls sideways at 390 px ({overflow} px wide)"
    page.screenshot(path=str(ARTIFACTS / "cohort-phone.png"), full_page=True)
    tom.close()


# -- 10: certification says who is eligible and why --------------------------------------
def test_certification_page_reports_eligibility_and_the_reason(server, tmp_path):
    from gradio_client import handle_file
    from test_web_certify import run_to_the_end

    conversation = (ROOT / "tests" / "gold" / "aggressive-exemplary.txt").read_text("utf-8")
    plain = tmp_path / "dora.txt"  # names no persona: it can never count for an exam
    plain.write_text(conversation, encoding="utf-8")
    tom = api_client(server, "tom")
    started = tom.predict(
        "foundation",
        "Uploaded transcript files",
        [handle_file(str(plain))],
        "",
        False,
        api_name="/certify_start",
    )
    _, polled = run_to_the_end(tom, started)
    progress = next(o for o in polled if isinstance(o, str) and "fl-cert-progress" in o)
    assert attr(progress, "data-eligible") == "0" and "0 eligible for the exam" in progress
    report = next(o for o in polled if isinstance(o, str) and "fl-cert-eligibility" in o)
    assert "No transcript was eligible for exam foundation" in report
    assert "dora.txt</b>: no persona recorded in the transcript" in report

    # With header lines the same conversation counts.
    headed = tmp_path / "eve.txt"
    headed.write_text(
        "Persona: aggressive-rational-billing\nMode: exam\n\n" + conversation, encoding="utf-8"
    )
    started = tom.predict(
        "foundation",
        "Uploaded transcript files",
        [handle_file(str(headed))],
        "",
        False,
        api_name="/certify_start",
    )
    _, polled = run_to_the_end(tom, started)
    progress = next(o for o in polled if isinstance(o, str) and "fl-cert-progress" in o)
    assert attr(progress, "data-eligible") == "1"


@pytest.mark.browser
def test_starting_a_run_with_no_files_gives_one_clear_message(browser, server):
    tom = Tab(browser, server, "tom")
    page = tom.page
    page.click("#fl-tab-certification-button")
    page.wait_for_selector("#fl-cert-exam input")
    page.click("#fl-cert-start")
    page.wait_for_selector("#fl-cert-progress[data-phase='nothing']")
    assert "Choose the transcript files to grade first" in page.inner_text("#fl-cert-progress")
    page.wait_for_timeout(500)
    assert page.locator(".toast-body").count() == 0
    badges = page.locator(
        "#fl-tab-certification .error:visible, [id^=fl-cert] .status-tracker:visible .error"
    )
    assert badges.count() == 0, badges.all_inner_texts()
    tom.shot("certification-no-files")
    tom.close()
