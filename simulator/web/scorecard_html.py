"""The scorecard as HTML: shown in the app and downloaded as one self-contained, printable
file (inline CSS and SVG, no scripts, nothing fetched).

It shows the overall score and level, per-stage scores, every criterion with the trainee's
own words (or the tip when missed), the phrasing violations highlighted inside the
transcript, and the customer's mood over the turns.
"""

from __future__ import annotations

from html import escape

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


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


# Level labels that only repeat the pass/not-yet verdict (rubrics' lowest and pass levels).
_VERDICT_WORDS = {"pass", "passed", "fail", "failed", "not yet"}


def verdict_badge(card: dict) -> str:
    """One badge: PASS or NOT YET, with the rubric's level when it adds something
    ("PASS · Excellent"), never beside a second badge saying the same ("PASS" / "Pass")."""
    label = (card.get("level_label") or "").strip()
    text = "PASS" if card["passed"] else "NOT YET"
    if label and label.lower() not in _VERDICT_WORDS:
        text += f" · {label}"
    return (
        f'<span class="sc-badge {"sc-pass" if card["passed"] else "sc-fail"}" '
        f'data-level="{escape(card.get("level") or "")}">{escape(text)}</span>'
    )


def _header(card: dict, transcript: Transcript, customer: str | None) -> str:
    verdict = verdict_badge(card)
    result = card.get("customer") or {}
    outcome = result.get("outcome") or (transcript.outcome.value if transcript.outcome else "")
    if outcome == "ongoing":
        outcome = "ended before the customer decided"
    meta = " · ".join(
        escape(x)
        for x in (
            f"rubric: {card['rubric']['title']}",
            f"customer: {customer or card.get('persona') or ''}",
            f"trainee: {card.get('candidate') or ''}",
            f"outcome: {outcome}",
            f"{card['agent_turns']} agent turns",
            (transcript.created or "").replace("T", " "),
        )
        if x.split(": ")[-1]
    )
    return (
        f'<h2>Scorecard</h2><div class="sc-meta">{meta}</div>'
        f'<div class="sc-head"><div class="sc-overall" data-overall="{card["overall"]}">'
        f"{card['overall']:g}<small>/100</small></div><div>{verdict}"
        f'<div class="sc-meta">pass mark '
        f"{card['pass_mark']:g} · criteria {card['criteria_score']:g} · penalties "
        f"−{card['penalty_total']:g}</div></div></div>"
    )


def _stages(card: dict) -> str:
    rows = []
    for s in card["stages"]:
        width = 0 if s["score"] is None else s["score"]
        rows.append(
            f'<div class="sc-stage" data-stage="{escape(s["id"])}"><div>'
            f'{escape(s["title"])} <span class="sc-dom">{escape(s["domain"])}</span>'
            f'</div><div class="sc-bar"><span style="width:{width:.0f}%"></span></div>'
            f"<div>{_fmt(s['score'])}</div></div>"
        )
    return "<h3>Stages</h3>" + "".join(rows)


def _criteria(card: dict) -> str:
    label = {"met": "MET", "missed": "MISSED", "not_applicable": "N/A"}
    out = ["<h3>Criteria</h3>"]
    for stage in card["stages"]:
        out.append(f"<h4>{escape(stage['title'])}</h4>")
        for c in (c for c in card["criteria"] if c["stage"] == stage["id"]):
            body = []
            if c["verdict"] == "met":
                body += [
                    f'<div class="sc-quote">agent turn {e["agent_turn"]}: '
                    f"“{escape(e['quote'])}”</div>"
                    for e in c["evidence"]
                ]
            else:
                if c.get("note"):
                    body.append(f'<div class="sc-quote">{escape(c["note"])}</div>')
                if c["verdict"] == "missed":
                    body += [
                        f'<div class="sc-quote">agent turn {e["agent_turn"]}: '
                        f"“{escape(e['quote'])}”</div>"
                        for e in c["evidence"][:1]
                    ]
                    body.append(
                        f'<div class="sc-tip"><b>Tip:</b> {escape(c.get("tip") or "")}</div>'
                    )
            out.append(
                f'<div class="sc-crit {c["verdict"]}" data-criterion="{escape(c["id"])}">'
                f'<span class="sc-verdict">{label[c["verdict"]]}</span>'
                f'{escape(c["title"])} <span class="sc-dom">{escape(c["domain"])}</span>'
                f"{''.join(body)}</div>"
            )
    return "".join(out)


def _violations(card: dict) -> str:
    if not card["violations"]:
        return "<h3>Phrasing</h3><p>No phrasing violations.</p>"
    items = [
        f'<div class="sc-viol"><b>−{v["penalty"]:g}</b> {escape(v["title"])} '
        f'<span class="sc-dom">{escape(v["domain"])}</span>, agent turn {v["agent_turn"]}: '
        f"“{escape(v['quote'])}”"
        + (f'<div class="sc-why"><b>Why:</b> {escape(v["why"])}</div>' if v.get("why") else "")
        + f'<div class="sc-tip"><b>Instead:</b> {escape(v["tip"])}</div></div>'
        for v in card["violations"]
    ]
    return "<h3>Phrasing</h3>" + "".join(items)


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


def _transcript(card: dict, transcript: Transcript) -> str:
    by_turn: dict[int, list[dict]] = {}
    for v in card["violations"]:
        by_turn.setdefault(v["turn"], []).append(v)
    rows = []
    for i, t in enumerate(transcript.turns):
        who = "Customer" if t.role == "customer" else "You"
        rows.append(
            f'<div class="sc-turn {t.role}" data-turn="{i}"><div class="sc-who">{who}'
            f"</div>{_highlight(t.text, by_turn.get(i, []))}</div>"
        )
    return "<h3>Transcript</h3>" + "".join(rows)


def _mood(transcript: Transcript) -> str:
    if not transcript.trajectory:
        return ""
    points = [r.model_dump() for r in transcript.trajectory]
    return "<h3>Customer mood over the turns</h3>" + mood_plot_svg(points)


def scorecard_fragment(card: dict, transcript: Transcript, customer: str | None = None) -> str:
    """The scorecard as an HTML fragment with its own styles (for the app); ``customer``
    names the persona in the header (its id otherwise)."""
    return (
        f'<style>{STYLE}</style><div class="sc" id="fl-scorecard-body">'
        f"{_header(card, transcript, customer)}{_stages(card)}{_mood(transcript)}"
        f"{_criteria(card)}{_violations(card)}{_transcript(card, transcript)}</div>"
    )


def scorecard_document(card: dict, transcript: Transcript, customer: str | None = None) -> str:
    """The scorecard as a complete, self-contained, printable HTML page."""
    title = f"Frontline scorecard — {card.get('candidate') or ''} — {card.get('persona') or ''}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<title>{escape(title)}</title><meta name="viewport" '
        'content="width=device-width, initial-scale=1"></head><body>'
        f"{scorecard_fragment(card, transcript, customer)}</body></html>\n"
    )
