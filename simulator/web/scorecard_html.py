"""The scorecard as HTML: shown in the app and downloaded as one self-contained, printable
file (inline CSS and SVG, no scripts, nothing fetched).

It shows the overall score and level, per-stage scores, every criterion with the trainee's
own words (or the tip when missed), the phrasing violations highlighted inside the
transcript, and the customer's mood over the turns.
"""

from __future__ import annotations

from functools import partial
from html import escape

from ..languages.catalogue import Texts
from ..languages.formatting import number, when
from ..transcript import Transcript
from .mood import mood_plot_svg

STYLE = """
.sc { font-family: ui-sans-serif, system-ui, 'Segoe UI', Roboto, Arial, sans-serif;
  color: #1f2933; line-height: 1.45; max-width: 900px; }
.sc h2 { margin: 0 0 4px; } .sc h3 { margin: 22px 0 8px; border-bottom: 1px solid #d9dee3;
  padding-bottom: 4px; }
.sc-meta { color: #52606d; font-size: .92em; }
.sc-head { display: flex; gap: 24px; align-items: center; flex-wrap: wrap; margin: 12px 0; }
.sc-overall { font-size: 2.6em; font-weight: 700; }
.sc-badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 600;
  font-size: .9em; }
.sc-pass { background: #dcf5e3; color: #1e6b3a; } .sc-fail { background: #fde2e1; color: #a12622; }
.sc-level { background: #e6eef7; color: #1d4f7c; }
.sc-stage { display: grid; grid-template-columns: 220px 1fr 56px; gap: 10px;
  align-items: center; margin: 4px 0; }
.sc-bar { height: 10px; background: #e4e7eb; border-radius: 5px; overflow: hidden; }
.sc-bar > span { display: block; height: 100%; background: #0f9d9a; }
.sc-crit { margin: 6px 0 10px; padding: 6px 10px; border-left: 4px solid #cbd2d9; }
.sc-crit.met { border-color: #3c9d5d; } .sc-crit.missed { border-color: #d64545; }
.sc-crit.not_applicable { color: #7b8794; }
.sc-verdict { font-weight: 700; font-size: .8em; letter-spacing: .04em; margin-right: 6px; }
.sc-crit.met .sc-verdict { color: #1e6b3a; } .sc-crit.missed .sc-verdict { color: #a12622; }
.sc-quote { margin: 3px 0 0 12px; font-style: italic; }
.sc-tip { margin: 3px 0 0 12px; } .sc-tip b { color: #8a5a00; }
.sc-dom { color: #7b8794; font-size: .85em; }
.sc-turn { margin: 6px 0; padding: 8px 12px; border-radius: 10px; max-width: 78%; }
.sc-turn.customer { background: #f1f3f5; } .sc-turn.agent { background: #e3f4f3;
  margin-left: auto; }
.sc-who { font-size: .78em; color: #52606d; font-weight: 600; }
mark.sc-violation { background: #fde2e1; color: #8a1c17; border-bottom: 2px solid #d64545;
  padding: 0 2px; }
.sc-viol { margin: 6px 0; }
@media print { .sc { max-width: none; } .sc-turn { break-inside: avoid; }
  .sc-crit { break-inside: avoid; } }
"""


def _fmt(value: float | None, language: str = "en") -> str:
    return "n/a" if value is None else number(value, language)


def texts_of(card: dict) -> Texts:
    """The scorecard's words in the card's own language (the transcript's)."""
    return Texts(card.get("language") or "en")


# Level labels that only repeat the pass/not-yet verdict (rubrics' lowest and pass levels).
_VERDICT_WORDS = {"pass", "passed", "fail", "failed", "not yet"}


def verdict_badge(card: dict, t: Texts | None = None) -> str:
    """One badge: PASS or NOT YET, with the rubric's level when it adds something
    ("PASS · Excellent"), never beside a second badge saying the same ("PASS" / "Pass")."""
    t = t or texts_of(card)
    label = (card.get("level_label") or "").strip()
    passed, not_yet = t("scorecard.pass"), t("scorecard.not_yet")
    text = passed if card["passed"] else not_yet
    repeats = _VERDICT_WORDS | {passed.lower(), not_yet.lower(), t("scorecard.fail").lower()}
    if label and label.lower() not in repeats and not _repeats_verdict(card, label):
        text += f" · {label}"
    return (
        f'<span class="sc-badge {"sc-pass" if card["passed"] else "sc-fail"}" '
        f'data-level="{escape(card.get("level") or "")}">{escape(text)}</span>'
    )


def _repeats_verdict(card: dict, label: str) -> bool:
    """A translated lowest or pass level ('Suspenso', 'Aprobado') says what the badge says."""
    return (card.get("language") or "en") != "en" and card.get("level") in ("fail", "pass")


def _header(card: dict, transcript: Transcript, customer: str | None, t: Texts) -> str:
    n = partial(number, language=t.language)
    verdict = verdict_badge(card, t)
    result = card.get("customer") or {}
    outcome = result.get("outcome") or (transcript.outcome.value if transcript.outcome else "")
    if outcome == "ongoing":
        outcome = t("scorecard.ended_undecided")
    elif outcome:
        outcome = t(f"scorecard.outcome_{outcome}")
    turns = card["agent_turns"]
    parts = [
        (t("scorecard.meta_rubric", title=card["rubric"]["title"]), card["rubric"]["title"]),
        (t("scorecard.meta_customer", name=customer or ""), customer or card.get("persona")),
        (t("scorecard.meta_trainee", name=card.get("candidate") or ""), card.get("candidate")),
        (t("scorecard.meta_outcome", outcome=outcome), outcome),
        (t("scorecard.turns_one" if turns == 1 else "scorecard.turns_other", n=turns), True),
        (when(transcript.created, t.language) if transcript.created else "", transcript.created),
    ]
    if not customer and card.get("persona"):
        parts[1] = (t("scorecard.meta_customer", name=card["persona"]), True)
    meta = " · ".join(escape(text) for text, shown in parts if shown)
    line = t(
        "scorecard.head_line",
        pass_mark=n(card["pass_mark"]),
        criteria=n(card["criteria_score"]),
        penalties=n(card["penalty_total"]),
    )
    return (
        f'<h2>{escape(t("scorecard.title"))}</h2><div class="sc-meta">{meta}</div>'
        f'<div class="sc-head"><div class="sc-overall" data-overall="{card["overall"]}">'
        f"{escape(n(card['overall']))}<small>/100</small></div><div>{verdict}"
        f'<div class="sc-meta">{escape(line)}</div></div></div>'
    )


def _stages(card: dict, t: Texts) -> str:
    rows = []
    for s in card["stages"]:
        width = 0 if s["score"] is None else s["score"]
        rows.append(
            f'<div class="sc-stage" data-stage="{escape(s["id"])}"><div>'
            f'{escape(s["title"])} <span class="sc-dom">{escape(s["domain"])}</span>'
            f'</div><div class="sc-bar"><span style="width:{width:.0f}%"></span></div>'
            f"<div>{escape(_fmt(s['score'], t.language))}</div></div>"
        )
    return f"<h3>{escape(t('scorecard.stages'))}</h3>" + "".join(rows)


def _evidence(t: Texts, e: dict) -> str:
    said = t("scorecard.evidence", turn=e["agent_turn"], quote=f"“{e['quote']}”")
    return f'<div class="sc-quote">{escape(said)}</div>'


def _criteria(card: dict, t: Texts) -> str:
    label = {v: t(f"scorecard.verdict_{v}") for v in ("met", "missed", "not_applicable")}
    out = [f"<h3>{escape(t('scorecard.criteria'))}</h3>"]
    for stage in card["stages"]:
        out.append(f"<h4>{escape(stage['title'])}</h4>")
        for c in (c for c in card["criteria"] if c["stage"] == stage["id"]):
            body = []
            if c["verdict"] == "met":
                body += [_evidence(t, e) for e in c["evidence"]]
            else:
                if c.get("note"):
                    body.append(f'<div class="sc-quote">{escape(c["note"])}</div>')
                if c["verdict"] == "missed":
                    body += [_evidence(t, e) for e in c["evidence"][:1]]
                    body.append(
                        f'<div class="sc-tip"><b>{escape(t("scorecard.tip_label"))}</b> '
                        f"{escape(c.get('tip') or '')}</div>"
                    )
            out.append(
                f'<div class="sc-crit {c["verdict"]}" data-criterion="{escape(c["id"])}">'
                f'<span class="sc-verdict">{escape(label[c["verdict"]])}</span>'
                f'{escape(c["title"])} <span class="sc-dom">{escape(c["domain"])}</span>'
                f"{''.join(body)}</div>"
            )
    return "".join(out)


def _record(card: dict, t: Texts) -> str:
    """The complaint record made after the call, field by field with the reason (§3.10)."""
    record = card.get("record")
    if not record:
        return ""
    label = {v: t(f"scorecard.verdict_{v}") for v in ("met", "missed")}
    only = "" if record["against_case"] else " " + t("scorecard.record_only")
    rows = [
        f'<div class="sc-crit {f["verdict"]}" data-record-field="{escape(f["field"])}">'
        f'<span class="sc-verdict">{escape(label[f["verdict"]])}</span>{escape(f["label"])}'
        f'<div class="sc-quote">{escape(f["reason"])}</div></div>'
        for f in record["fields"]
    ]
    fields = t("scorecard.record_fields", met=record["met"], of=record["of"])
    return (
        f'<h3 id="fl-record-result">{escape(t("scorecard.record_heading"))} '
        f'<span class="sc-dom">§3.10</span>: {escape(fields + only)}</h3>' + "".join(rows)
    )


def _violations(card: dict, t: Texts) -> str:
    heading = f"<h3>{escape(t('scorecard.phrasing'))}</h3>"
    if not card["violations"]:
        return f"{heading}<p>{escape(t('scorecard.no_violations_sentence'))}</p>"
    why, instead = escape(t("scorecard.why_label")), escape(t("scorecard.instead_label"))
    items = [
        f'<div class="sc-viol"><b>−{escape(number(v["penalty"], t.language))}</b> '
        f'{escape(v["title"])} <span class="sc-dom">{escape(v["domain"])}</span>, '
        + escape(t("scorecard.evidence", turn=v["agent_turn"], quote=f"“{v['quote']}”"))
        + (f'<div class="sc-why"><b>{why}</b> {escape(v["why"])}</div>' if v.get("why") else "")
        + f'<div class="sc-tip"><b>{instead}</b> {escape(v["tip"])}</div></div>'
        for v in card["violations"]
    ]
    return heading + "".join(items)


def _highlight(text: str, spans: list[dict]) -> str:
    """The turn's text with each violation's quote marked (spans may not overlap)."""
    out, pos = [], 0
    for v in sorted(spans, key=lambda v: v["start"]):
        start, end = v["start"], v["start"] + len(v["quote"])
        if start < pos or text[start:end] != v["quote"]:
            continue  # overlapping or stale offsets: leave the text unmarked
        out.append(escape(text[pos:start]))
        out.append(
            f'<mark class="sc-violation" title="{escape(v["title"])}">'
            f"{escape(text[start:end])}</mark>"
        )
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _transcript(card: dict, transcript: Transcript, t: Texts) -> str:
    by_turn: dict[int, list[dict]] = {}
    for v in card["violations"]:
        by_turn.setdefault(v["turn"], []).append(v)
    names = {"customer": t("scorecard.speaker_customer"), "agent": t("scorecard.speaker_you")}
    rows = []
    for i, turn in enumerate(transcript.turns):
        rows.append(
            f'<div class="sc-turn {turn.role}" data-turn="{i}"><div class="sc-who">'
            f"{escape(names[turn.role])}</div>{_highlight(turn.text, by_turn.get(i, []))}</div>"
        )
    return f"<h3>{escape(t('scorecard.transcript_heading'))}</h3>" + "".join(rows)


def _mood(transcript: Transcript, t: Texts) -> str:
    if not transcript.trajectory:
        return ""
    points = [r.model_dump() for r in transcript.trajectory]
    return f"<h3>{escape(t('scorecard.mood_heading'))}</h3>" + mood_plot_svg(points, t=t)


def scorecard_fragment(card: dict, transcript: Transcript, customer: str | None = None) -> str:
    """The scorecard as an HTML fragment with its own styles (for the app); ``customer``
    names the persona in the header (its id otherwise). Its words are in the card's
    language, like the text scorecard's."""
    t = texts_of(card)
    return (
        f'<style>{STYLE}</style><div class="sc" id="fl-scorecard-body" lang="{escape(t.language)}">'
        f"{_header(card, transcript, customer, t)}{_stages(card, t)}{_mood(transcript, t)}"
        f"{_criteria(card, t)}{_record(card, t)}{_violations(card, t)}"
        f"{_transcript(card, transcript, t)}</div>"
    )


def scorecard_document(card: dict, transcript: Transcript, customer: str | None = None) -> str:
    """The scorecard as a complete, self-contained, printable HTML page."""
    t = texts_of(card)
    title = t(
        "scorecard.document_title",
        candidate=card.get("candidate") or "",
        persona=card.get("persona") or "",
    )
    return (
        f'<!doctype html>\n<html lang="{escape(t.language)}"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><meta name="viewport" '
        'content="width=device-width, initial-scale=1"></head><body>'
        f"{scorecard_fragment(card, transcript, customer)}</body></html>\n"
    )
