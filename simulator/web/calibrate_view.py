"""Calibration and the persona linter in the designer: what a trainer sees before saving.

The linter's warnings go under the validation result on every check and save (they never
block saving); "Calibrate" runs the reference trainee policies against the draft and the
personas of the folder, and shows the matrix and the DOMAIN expectations that fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ..calibration import calibration_report
from ..calibration.lint import LintWarning, lint_persona
from ..languages.catalogue import Texts
from ..persona.model import Persona
from .persona_edit import ENGLISH, located, problems_html, validate_text

CALIBRATION_RUNS = 3
EMPTY_MATRIX = ""


def draft_file(persona: Persona) -> str:
    """The name warnings give the draft: the file it would be saved as."""
    return f"{persona.id}.yaml"


def warnings_html(warnings: Sequence[LintWarning], t: Texts = ENGLISH) -> str:
    """The linter's warnings by line and field; nothing when there are none."""
    if not warnings:
        return '<div id="fl-lint" data-count="0"></div>'
    items = "".join(
        f'<li data-field="{escape(w.field)}" data-code="{escape(w.code)}">'
        f"{located(w.line, w.field, t)}: "
        f"{escape(w.message)} <small>[{escape(w.code)}]</small></li>"
        for w in warnings
    )
    return (
        f'<div id="fl-lint" data-count="{len(warnings)}">'
        f"<b>{escape(t('designer.warnings', count=len(warnings)))}</b> "
        f"{escape(t('designer.warnings_allowed'))}<ul>{items}</ul></div>"
    )


def lint_html(persona: Persona, text: str, t: Texts = ENGLISH) -> str:
    """The linter's warnings about a valid draft, as :func:`warnings_html`."""
    return warnings_html(lint_persona(persona, draft_file(persona), text), t)


def calibrate_draft(text: str, others: Sequence[Persona], t: Texts = ENGLISH) -> tuple[str, str]:
    """(summary HTML, matrix markdown) for the draft in the editor. An invalid draft gives
    its problems, as the designer lists them, and no matrix."""
    persona, problems = validate_text(text)
    if persona is None:
        return (
            f'<div id="fl-calibration" data-valid="false">{escape(t("designer.fix_first"))} '
            f"{problems_html(problems, t=t)}</div>",
            EMPTY_MATRIX,
        )
    report = calibration_report(
        persona, runs=CALIBRATION_RUNS, others=list(others), text=text, path=draft_file(persona)
    )
    compared = len({p.id for p in others} - {persona.id})
    failed = "".join(
        f'<li data-expectation="{escape(r.expectation.id)}"><b>{escape(r.expectation.id)}</b> '
        f"(DOMAIN {escape(r.expectation.domain)}): {escape(r.expectation.says)}"
        f"<ul>{''.join(f'<li><code>{escape(line)}</code></li>' for line in lines)}</ul></li>"
        for r in report.failed
        for lines in [r.about(persona.id) or r.failures]
    )
    verdict = report.verdict  # the same verdict, and exit code, as `frontline calibrate`
    twin = "" if report.distinct else f"<p>{t('designer.not_distinct')}</p>"
    summary = (
        f'<div id="fl-calibration" data-valid="true" data-persona="{escape(persona.id)}" '
        f'data-failed="{len(report.failed)}" data-warnings="{len(report.warnings)}" '
        f'data-distinct="{str(report.distinct).lower()}" '
        f'data-ok="{str(verdict.ok).lower()}">'
        f"{t('designer.calibration_of', id=escape(persona.id))} "
        f'<span class="fl-verdict">{verdict.mark} {escape(verdict.summary())}</span>, '
        f"{escape(t('designer.calibration_runs', runs=CALIBRATION_RUNS, count=compared))}"
        f"{f'<ul>{failed}</ul>' if failed else ''}{twin}"
        f"{warnings_html(report.warnings, t)}</div>"
    )
    return summary, report.to_markdown()
