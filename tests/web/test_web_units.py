"""The web UI's pure parts, without a server: designer validation and form, templates,
saving, the scorecard HTML (escaping, highlights, self-contained), plots, and roles."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import FrontlineError
from simulator.grading.grader import grade
from simulator.grading.rubric_loader import RubricLibrary
from simulator.persona.loader import PersonaLibrary
from simulator.persona.model import Archetype
from simulator.sessions import SessionStore
from simulator.transcript import Transcript
from simulator.users import Role, UserStore
from simulator.web.auth import AccessDenied, require_designer, viewer
from simulator.web.context import WebContext
from simulator.web.history import progress_svg
from simulator.web.mood import meter_html, mood_plot_svg
from simulator.web.persona_edit import (
    FORM_FIELDS,
    apply_form,
    form_values,
    problems_html,
    template_for,
    validate_text,
    write_persona,
)
from simulator.web.scorecard_html import scorecard_document, scorecard_fragment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def personas():
    lib = PersonaLibrary(ROOT / "personas")
    return [lib.get(i) for i in lib.ids()]


@pytest.mark.parametrize("archetype", [a.value for a in Archetype])
def test_every_archetype_template_is_a_valid_new_persona(archetype, personas):
    persona, problems = validate_text(template_for(archetype, personas))
    assert problems == [] and persona.id == f"new-{archetype.replace('_', '-')}"
    assert persona.archetype.value == archetype


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_editor_validation_never_raises(text):
    persona, problems = validate_text(text)
    assert (persona is None) == bool(problems)
    problems_html(problems)


def test_problem_text_is_escaped():
    _, problems = validate_text("<script>alert(1)</script>: 1\n")
    html = problems_html(problems)
    assert problems and "<script" not in html


def test_problems_name_line_and_field(personas):
    text = template_for("meek", personas).replace("difficulty:", "difficulty: 9\nx_difficulty:")
    _, problems = validate_text(text)
    fields = {p.field for p in problems}
    assert "x_difficulty" in fields and all(p.line for p in problems)
    html = problems_html(problems)
    assert 'data-field="x_difficulty"' in html and f'data-count="{len(problems)}"' in html


def test_form_reads_and_writes_the_yaml(personas):
    text = template_for("vip", personas)
    values = form_values(text)
    assert dict(zip([n for n, _ in FORM_FIELDS], values, strict=True))["archetype"] == "vip"
    values[[n for n, _ in FORM_FIELDS].index("name")] = "Vera Newman"
    values[[n for n, _ in FORM_FIELDS].index("anger")] = 40.0
    new = apply_form(text, values)
    persona, problems = validate_text(new)
    assert problems == [] and persona.identity.name == "Vera Newman"
    assert persona.start.anger == 40
    with pytest.raises(gr.Error, match="Fix the YAML first"):
        apply_form("id: [unclosed", values)


def test_saving_never_takes_another_personas_id(tmp_path, personas):
    text = template_for("meek", personas)
    persona, _ = validate_text(text)
    path = write_persona(tmp_path, persona, text, {})
    assert path.name == "new-meek.yaml" and path.read_text() == text
    write_persona(tmp_path, persona, text, {"new-meek": path})  # saving again is fine
    with pytest.raises(FrontlineError, match="already used by other.yaml"):
        write_persona(tmp_path, persona, text, {"new-meek": tmp_path / "other.yaml"})
    assert [p.name for p in tmp_path.iterdir()] == ["new-meek.yaml"]  # no temp files left


def _card_and_transcript():
    transcript = Transcript.model_validate(
        {
            "id": "t1",
            "candidate": "ann<b>",
            "outcome": "escalated",
            "turns": [
                {"role": "customer", "text": "You charged me twice <script>alert(1)</script>."},
                {"role": "agent", "text": "Please calm down. I will refund you today."},
                {"role": "customer", "text": "Don't tell me to calm down!"},
            ],
            "trajectory": [
                {"turn": 0, "anger": 70, "trust": 30, "patience": 80, "reaction": "opening"},
                {"turn": 1, "anger": 90, "trust": 25, "patience": 75, "reaction": "escalate"},
            ],
        }
    )
    rubric = RubricLibrary(ROOT / "rubrics").get()
    return grade(transcript, rubric).model_dump(mode="json"), transcript


def test_scorecard_highlights_violations_and_escapes_text():
    card, transcript = _card_and_transcript()
    assert any(v["quote"] == "Please calm down." for v in card["violations"])
    html = scorecard_fragment(card, transcript)
    assert re.search(r'<mark class="sc-violation"[^>]*>Please calm down\.</mark>', html)
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "ann&lt;b&gt;" in html and "outcome: escalated" in html
    named = scorecard_fragment(card, transcript, customer="Dana Reyes (x)")
    assert "customer: Dana Reyes (x)" in named
    assert html.count('class="sc-crit ') == len(card["criteria"])
    assert html.count('class="sc-stage"') == len(card["stages"])


def test_stale_offsets_are_not_highlighted():
    card, transcript = _card_and_transcript()
    for v in card["violations"]:
        v["start"] += 3
    assert "sc-violation" not in scorecard_fragment(card, transcript).split("<h3>Transcript")[1]


def test_scorecard_document_is_self_contained():
    card, transcript = _card_and_transcript()
    page = scorecard_document(card, transcript)
    assert page.startswith("<!doctype html>") and "@media print" in page
    assert "<script" not in page.replace("&lt;script", "")
    assert not re.search(r'(src|href|url)\s*[=(]\s*["\']?(https?:)?//', page)


def test_meter_and_plots_carry_the_values():
    html = meter_html(72.0, 20.0, 55.5, previous=(60.0, 25.0, 60.0))
    assert 'data-anger="72.0"' in html and ">+12<" in html and ">-5<" in html
    svg = mood_plot_svg(
        [
            {"turn": 0, "anger": 70, "trust": 30, "patience": 80},
            {"turn": 1, "anger": 90, "trust": 25, "patience": 75},
        ]
    )
    assert svg.count("<polyline") == 3
    assert "No graded sessions" in progress_svg([])
    prog = progress_svg([("#1", {"Accept": 50.0, "Solve": 0.0}), ("#2", {"Accept": 100.0})])
    assert prog.count("<polyline") == 2 and 'data-stage="Accept"' in prog


def _ctx(tmp_path, users: UserStore | None) -> WebContext:
    return WebContext(
        store=SessionStore(tmp_path / "s.sqlite3"),
        personas_dir=ROOT / "personas",
        users=users,
        renderer=None,
    )


def test_roles_decide_who_may_design(tmp_path):
    users = UserStore(tmp_path / "users.yaml")
    users.add("ann", Role.TRAINEE, "ann-password")
    users.add("tom", Role.TRAINER, "tom-password")
    ctx = _ctx(tmp_path, users)
    assert viewer(ctx, SimpleNamespace(username="ann")).role is Role.TRAINEE
    with pytest.raises(AccessDenied, match="for trainers"):
        require_designer(ctx, SimpleNamespace(username="ann"))
    assert require_designer(ctx, SimpleNamespace(username="tom")).name == "tom"
    for nobody in (None, SimpleNamespace(username=None), SimpleNamespace(username="eve")):
        with pytest.raises(AccessDenied, match="not logged in"):
            viewer(ctx, nobody)


def test_local_mode_is_one_user_who_may_do_everything(tmp_path):
    who = viewer(_ctx(tmp_path, None), None)
    assert who.local and who.name == "local" and who.can_design


def test_the_designers_download_is_the_file_saving_writes(tmp_path, personas, monkeypatch):
    """A draft the editor hands over without a final newline: the download offered for it
    and the saved file are the same bytes (a whole CI run saw them differ by that newline)."""
    from simulator.web.designer import DesignerView

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "gradio"))
    text = template_for("meek", personas).rstrip("\n")
    persona, (_, download) = DesignerView._checked(SimpleNamespace(), text, "tom")
    saved = write_persona(tmp_path / "personas", persona, text, {})
    offered = download.value["path"] if isinstance(download.value, dict) else download.value
    assert Path(offered).read_bytes() == saved.read_bytes()
