"""Grading in the trainee's language, through the CLI as a subprocess: for each of es, ru,
zh, bg and pt a transcript written natively is graded and its scorecard's stage names,
criterion titles, tips, violation texts and labels are that language's, with no English
from the English rubric or catalogue left in it; a transcript in a language no pack covers
is a clear error naming the file; a certification run's report and certificates are in
Spanish and in Chinese."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulator.certification.exam import load_exam
from simulator.grading import RubricLibrary
from simulator.languages.catalogue import Texts, messages

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "i18n-grading"
RUBRIC = RubricLibrary(ROOT / "rubrics").get("complaint-handling")
LANGUAGES = ["es", "ru", "zh", "bg", "pt"]
SHIPPED = {"FRONTLINE_RUBRICS": str(ROOT / "rubrics"), "FRONTLINE_PERSONAS": str(ROOT / "personas")}


def english_rubric_texts() -> set[str]:
    """Every text the English rubric shows a trainee: title, levels, stages, criteria's
    titles and tips, phrasing rules' titles and tips, the give-away rule's."""
    r = RUBRIC
    texts = {r.title, *(lv.label for lv in r.levels)}
    texts |= {s.title for s in r.stages}
    texts |= {t for _, c in r.criteria() for t in (c.title, c.tip)}
    texts |= {t for p in r.phrasing for t in (p.title, p.tip)}
    if r.give_away:
        texts |= {r.give_away.title, r.give_away.tip}
    return texts


def english_labels() -> set[str]:
    """The English catalogue's scorecard labels, without their placeholders, that are
    long enough to be telling ('Overall:', 'agent turn', 'Instead:')."""
    found = set()
    for key, text in messages("en").items():
        if key.startswith(("scorecard.", "cli.")):
            for part in re.split(r"\{[a-z_]+\}", text):
                part = part.strip(" ,;:()[]-/=.")
                if len(part) >= 5 and re.search(r"[a-z]{4}", part):
                    found.add(part)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_native_transcript_is_graded_in_its_language(cli, language):
    """The file does not say its language: it is detected from the words."""
    done = cli("grade", str(FIXTURES / f"{language}.txt"), env=SHIPPED)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    texts, rubric = Texts(language), RUBRIC.in_language(language)
    # Stage names, criterion titles, the tips of what was missed, the violation's words.
    for stage in rubric.stages:
        assert f"{stage.title} [{stage.domain}]" in out
    missed = [c for _, c in rubric.criteria() if c.id in ("thank-for-raising", "give-contact")]
    for criterion in missed:
        assert criterion.title in out
        assert texts("scorecard.tip", tip=criterion.tip) in out
    calm = next(p for p in rubric.phrasing if p.move.value == "calm_down")
    assert calm.title in out and texts("scorecard.instead", tip=calm.tip) in out
    assert texts("scorecard.fail") in out and rubric.levels[0].label in out
    # Nothing of the English rubric, and none of the English labels, is left.
    leaks = [t for t in english_rubric_texts() if t in out]
    assert leaks == [], leaks
    labels = [t for t in english_labels() if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", out)]
    assert labels == [], labels
    assert not re.search(r"\b(agent|turn|Tip|Overall|Rubric|Phrasing|Instead|needed)\b", out)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_json_scorecard_says_its_language_and_carries_its_texts(cli, language):
    done = cli("grade", str(FIXTURES / f"{language}.txt"), "--json", env=SHIPPED)
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["language"] == language
    rubric = RUBRIC.in_language(language)
    assert card["rubric"]["title"] == rubric.title
    assert card["violations"][0]["title"] == rubric.phrasing[0].title  # calm_down comes first
    assert card["level_label"] == rubric.levels[0].label


def test_a_json_transcript_states_its_language(cli, tmp_path):
    turns = (FIXTURES / "pt.txt").read_text(encoding="utf-8").splitlines()
    data = {
        "schema_version": 1,
        "language": "pt",
        "turns": [
            {"role": line.split(":")[0].lower(), "text": line.split(": ", 1)[1]} for line in turns
        ],
    }
    (tmp_path / "pt.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    done = cli("grade", "pt.json", env=SHIPPED)
    assert done.returncode == 0, done.stderr
    assert "Ficha de avaliação: pt.json" in done.stdout


def test_a_language_header_overrides_detection_and_a_bad_one_is_refused(cli, tmp_path):
    text = (FIXTURES / "es.txt").read_text(encoding="utf-8")
    (tmp_path / "h.txt").write_text("Language: es\n\n" + text, encoding="utf-8")
    done = cli("grade", "h.txt", env=SHIPPED)
    assert done.returncode == 0 and "Hoja de evaluación" in done.stdout
    (tmp_path / "bad.txt").write_text("Language: Spanish\n\n" + text, encoding="utf-8")
    done = cli("grade", "bad.txt", env=SHIPPED)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "bad.txt:1: language: must be a language code such as es or pt-BR" in done.stderr


def test_a_transcript_in_a_language_no_pack_covers_is_a_clear_error(cli, tmp_path):
    """Not a silent 0: the file is named, and so are the packs there are."""
    data = {
        "schema_version": 1,
        "language": "fr",
        "turns": [
            {"role": "customer", "text": "On m'a facturé deux fois."},
            {"role": "agent", "text": "Je suis vraiment désolée, je vous rembourse aujourd'hui."},
        ],
    }
    (tmp_path / "fr.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "ar.txt").write_text(
        "Customer: لقد دفعت مرتين هذا الشهر\nAgent: أنا آسف جدا، سأعيد لك المال اليوم\n",
        encoding="utf-8",
    )
    (tmp_path / "es.txt").write_text(
        (FIXTURES / "es.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    done = cli("grade", "fr.json", "ar.txt", "es.txt", env=SHIPPED)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert (
        "fr.json: language: the conversation is in 'fr', which no language pack covers "
        "(packs: bg, en, es, pt, ru, zh)"
    ) in done.stderr
    assert "ar.txt:1: language: cannot tell which language the conversation is in" in done.stderr
    assert "Hoja de evaluación: es.txt" in done.stdout  # the readable one is still graded
    assert "Scorecard:" not in done.stdout


def _exam_transcripts(folder: Path, language: str) -> None:
    """Two candidates' attempts at the foundation exam, written in ``language``: ana handles
    both customers well (good-<language>.txt), bo tells them to calm down (<language>.txt)."""
    folder.mkdir()
    for n, persona in enumerate(("aggressive-rational-billing", "aggressive-emotional-rude-staff")):
        for who, name in (("ana", f"good-{language}.txt"), ("bo", f"{language}.txt")):
            head = f"Persona: {persona}\nMode: exam\nCandidate: {who}\n"
            head += f"Created: 2026-03-0{n + 1}T09:00:00+00:00\n\n"
            text = (FIXTURES / name).read_text(encoding="utf-8")
            (folder / f"{who}-{n}.txt").write_text(head + text, encoding="utf-8")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("es", ["informe de certificación", "Candidatos", "tasa de aprobados", "Sellos"]),
        ("zh", ["认证报告", "考生", "通过率", "印记"]),
    ],
)
def test_a_certification_report_and_certificate_in_the_transcripts_language(
    cli, tmp_path, language, words
):
    _exam_transcripts(tmp_path / "in", language)
    out = tmp_path / "run"
    exam = ROOT / "rubrics" / "exams" / "foundation.yaml"
    env = SHIPPED | {"FRONTLINE_EXAMS": str(ROOT / "rubrics" / "exams")}
    done = cli("certify", str(exam), "--transcripts", "in", "--out", str(out), "--quiet", env=env)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    # The terminal's summary is in the run's language too.
    assert Texts(language)("cli.certify_reports", path=out / "report.html") in done.stdout
    page = (out / "report.html").read_text(encoding="utf-8")
    assert f'<html lang="{language}">' in page
    for word in words:
        assert word in page
    texts = Texts(language)
    for key in ("report.weakest", "report.skipped", "report.col_criterion"):
        assert texts(key) in page
    title = RubricLibrary(ROOT / "rubrics").get("complaint-handling").in_language(language)
    weakest = {c.title for _, c in title.criteria()}
    assert any(t in page for t in weakest)
    english = ["Weakest criteria", "Candidates", "pass rate", "certification report", "Stamps"]
    assert [w for w in english if w in page] == []
    certificates = sorted((out / "certificates").glob("*.html"))
    assert len(certificates) == 1  # ana passed, bo did not
    for cert in certificates:
        html = cert.read_text(encoding="utf-8")
        assert texts("certificate.certifies") in html
        assert "This certifies that" not in html
        assert load_exam(exam).texts(language).title in html
    # The run remembers its language: --verify writes the same report and finds no change.
    verify = cli("certify", "--verify", str(out), env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_certify_language_overrides_the_transcripts_language(cli, tmp_path):
    _exam_transcripts(tmp_path / "in", "es")
    out = tmp_path / "run"
    exam = ROOT / "rubrics" / "exams" / "foundation.yaml"
    env = SHIPPED | {"FRONTLINE_EXAMS": str(ROOT / "rubrics" / "exams")}
    done = cli(
        "certify", str(exam), "--transcripts", "in", "--out", str(out), "--quiet",
        "--language", "zh", env=env,
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and "认证报告" in page
