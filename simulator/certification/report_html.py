"""The cohort report as one self-contained HTML page (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape
from typing import TextIO

_CSS = """
.none-eligible{border:1px solid #a11;background:#fdecea;padding:.5rem .75rem;border-radius:6px}
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}.pass{color:#17692d;font-weight:600}.fail{color:#a11;font-weight:600}
.needs_review{color:#8a5a00;font-weight:600}.small{font-size:.85rem;color:#555}
code{font-size:.8rem;word-break:break-all}details{margin:.3rem 0}
.kpi{display:inline-block;margin:0 2rem .5rem 0}.kpi b{font-size:1.4rem;display:block}
"""


def _e(value: object) -> str:
    return escape("" if value is None else str(value))


def _tick(x: float, axis_y: float, height: int, label: object) -> str:
    """A tick and its score under a bin edge: bins span edges, so "60" sits where the
    60-70 bin begins and where a pass mark of 60 is drawn."""
    return (
        f'<line class="tick" x1="{x:.1f}" y1="{axis_y:.1f}" x2="{x:.1f}" '
        f'y2="{axis_y + 4:.1f}" stroke="#444"/><text class="tick-label" x="{x:.1f}" '
        f'y="{height - 10}" font-size="11" text-anchor="middle">{label}</text>'
    )


def distribution_svg(
    bins: list[dict], pass_mark: float, width: int = 560, height: int = 220
) -> str:
    """A bar chart of the score distribution, with the pass mark as a dashed line."""
    pad_l, pad_b, pad_t = 36, 28, 12
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    top = max((b["count"] for b in bins), default=0) or 1
    bar_w = plot_w / len(bins)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="Score distribution">',
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{pad_l + plot_w}" '
        f'y2="{pad_t + plot_h}" stroke="#444"/>',
        f'<text x="4" y="{pad_t + 10}" font-size="11">{top}</text>',
        f'<text x="4" y="{pad_t + plot_h}" font-size="11">0</text>',
    ]
    for i, b in enumerate(bins):
        h = plot_h * b["count"] / top
        x = pad_l + i * bar_w
        passing = b["from"] >= pass_mark
        parts.append(
            f'<rect x="{x + 2:.1f}" y="{pad_t + plot_h - h:.1f}" width="{bar_w - 4:.1f}"'
            f' height="{h:.1f}" fill="{"#3a8f4f" if passing else "#9aa5b1"}">'
            f"<title>{b['from']}-{b['to']}: {b['count']}</title></rect>"
        )
        parts.append(_tick(x, pad_t + plot_h, height, b["from"]))
    if bins:  # the right edge of the last bin
        parts.append(_tick(pad_l + plot_w, pad_t + plot_h, height, bins[-1]["to"]))
    mark_x = pad_l + plot_w * pass_mark / 100
    parts.append(
        f'<line x1="{mark_x:.1f}" y1="{pad_t}" x2="{mark_x:.1f}" y2="{pad_t + plot_h}"'
        f' stroke="#a11" stroke-dasharray="4 3"/>'
        f'<text x="{mark_x + 3:.1f}" y="{pad_t + 10}" font-size="11" fill="#a11">'
        f"pass {pass_mark:g}</text></svg>"
    )
    return "".join(parts)


def _evidence(crit: dict) -> str:
    items = []
    for ev in crit.get("evidence", []):
        if isinstance(ev, dict):
            turn = f"agent turn {ev['agent_turn']}: " if ev.get("agent_turn") else ""
            items.append(f"{_e(turn)}&ldquo;{_e(ev.get('quote') or '')}&rdquo;")
        else:
            items.append(_e(ev))
    if crit.get("note"):
        items.append(f"<span class=small>{_e(crit['note'])}</span>")
    return "<br>".join(items)


def candidate_html(c: dict, index: dict[str, dict]) -> str:
    """One candidate's details: each persona's deciding attempt with its evidence."""
    rows = []
    for p in c["personas"]:
        best = p["best"]
        head = (
            f"<b>{_e(p['persona'])}</b>: <span class={p['result']}>{_e(p['result'])}"
            f"</span>, {p['score']}"
        )
        if best is None:
            rows.append(f"<p>{head} &mdash; no attempt</p>")
            continue
        verdicts = {
            v.get("criterion"): v for v in ((best.get("judge") or {}).get("verdicts") or [])
        }
        crit_rows = "".join(
            f"<tr><td>{_e(index.get(cr['id'], {}).get('stage'))}</td>"
            f"<td>{_e(index.get(cr['id'], {}).get('title') or cr['id'])}</td>"
            f"<td>{_e(cr.get('verdict'))}</td><td>{_evidence(cr)}</td>"
            f"<td>{_e((verdicts.get(cr['id']) or {}).get('verdict', ''))}</td></tr>"
            for cr in best["criteria"]
        )
        review = "".join(f"<li>{_e(r)}</li>" for r in best.get("review") or [])
        attempts = ", ".join(
            f"{_e(a['source'])} ({a['score']}{'' if a['counted'] else ', not counted'})"
            for a in p["attempts"]
        )
        rows.append(
            f"<p>{head} &mdash; deciding attempt {_e(best['source'])}</p>"
            + (f"<ul class=needs_review>{review}</ul>" if review else "")
            + f"<p class=small>attempts: {attempts}</p>"
            + "<table><tr><th>stage</th><th>criterion</th><th>result</th>"
            + f"<th>evidence</th><th>judge</th></tr>{crit_rows}</table>"
        )
    stages = ", ".join(f"{_e(s['title'])} {s['score']}" for s in c["stages"])
    cert = (
        f' &middot; <a href="{_e(c["certificate"])}">certificate</a>'
        if c.get("certificate")
        else ""
    )
    return (
        f"<details><summary><b>{_e(c['candidate'])}</b> &mdash; "
        f"<span class={c['result']}>{_e(c['result'])}</span>, {c['score']} "
        f"({_e(c['level'])}){cert}</summary><p class=small>{stages}</p>"
        f"{''.join(rows)}</details>"
    )


def candidate_summary_html(c: dict) -> str:
    """One candidate's line in the results table."""
    return (
        f"<tr><td>{_e(c['candidate'])}</td><td class={c['result']}>{_e(c['result'])}</td>"
        f"<td>{_e(c['level'])}</td><td>{c['score']}</td></tr>"
    )


# Past this many candidates the page lists results only; the evidence for each criterion
# is in report.json and criteria.csv (a page of hundreds of megabytes helps nobody).
DETAIL_LIMIT = 500


def _none_eligible(head: dict) -> str:
    """A plain warning when graded transcripts exist but none counted for the exam."""
    co = head["cohort"]
    t = co["transcripts"]
    if co["candidates"] or not t["ineligible"]:
        return ""
    return (
        f'<p class="none-eligible"><b>No transcript was eligible for exam '
        f"{_e(head['exam']['id'])}</b>, so there are no candidates: every graded "
        "transcript is listed under <i>Skipped and ineligible transcripts</i> with the "
        "reason.</p>"
    )


def write_report_html(
    fh: TextIO,
    head: dict,
    summary_rows: Callable[[TextIO], None],
    details: Callable[[TextIO], None] | None,
    skipped: Iterable[dict],
) -> None:
    """Write the report page. Self-contained: it opens from a zip or an e-mail attachment.

    ``head`` is the report without its candidates (exam, stamp, judge_used, cohort,
    criteria); ``summary_rows`` and ``details`` write each candidate's line
    (:func:`candidate_summary_html`) and details (:func:`candidate_html`) to the file
    they are given, the latter None past :data:`DETAIL_LIMIT` candidates; ``skipped``
    are the skipped and ineligible transcripts."""
    exam, co, stamp = head["exam"], head["cohort"], head["stamp"]
    weakest = "".join(
        f"<tr><td>{_e(w['title'] or w['id'])}</td><td>{_e(w['stage'])}</td>"
        f"<td>{w['met']}/{w['applicable']}</td>"
        f"<td>{w['met_rate'] * 100:.0f}%</td></tr>"
        for w in co["weakest_criteria"]
    )
    stamps = "".join(
        f"<tr><td>{_e(k)}</td><td>{_e(v['id'])}</td><td><code>{_e(v['hash'])}</code></td></tr>"
        for k, v in (("exam", stamp["exam"]), ("rubric", stamp["rubric"]))
    )
    stamps += "".join(
        f"<tr><td>persona</td><td>{_e(p['id'])}</td><td><code>{_e(p['hash'])}</code></td></tr>"
        for p in stamp["personas"]
    )
    if stamp.get("judge"):
        j = stamp["judge"]
        stamps += (
            f"<tr><td>judge</td><td>{_e(j['model'])} &times;{j.get('samples', 1)}</td>"
            f"<td><code>{_e(j['prompt_hash'])}</code></td></tr>"
        )
    stamps += f"<tr><td>grader</td><td colspan=2><code>{_e(stamp['grader'])}</code></td></tr>"
    rate = f"{co['pass_rate'] * 100:.1f}%"
    judge = "yes" if head["judge_used"] else "no"
    if head["judge_used"]:
        flips = co.get("judge_flips") or {"criteria": 0, "transcripts": 0}
        judge += (
            f"; it changed {flips['criteria']} criterion verdict(s) in "
            f"{flips['transcripts']} transcript(s)"
        )
    fh.write(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(exam["title"])}: certification report</title>
<style>{_CSS}</style></head><body>
<h1>{_e(exam["title"])}</h1>
<p class=small>Exam <b>{_e(exam["id"])}</b>, rubric <b>{_e(exam["rubric"])}</b>, pass mark
{exam["pass_mark"]:g}, {exam["attempts"]} attempt(s) per persona, {_e(exam["mode"])} mode;
personas: {_e(", ".join(exam["personas"]))}. LLM judge: {judge}.</p>
<h2>Cohort</h2>
<div><span class=kpi><b>{co["candidates"]}</b>candidates</span>
<span class=kpi><b>{rate}</b>pass rate</span>
<span class=kpi><b>{co["passed"]}</b>passed</span><span class=kpi><b>{co["failed"]}</b>failed</span>
<span class=kpi><b>{co["needs_review"]}</b>need human review</span>
<span class=kpi><b>{_e(co["mean_score"])}</b>mean score</span></div>
<p class=small>{co["transcripts"]["total"]} transcripts; {co["transcripts"]["malformed"]} malformed,
{co["transcripts"]["eligible"]} eligible, {co["transcripts"]["ineligible"]} not eligible
(listed at the end, with the reason).</p>{_none_eligible(head)}
{distribution_svg(co["distribution"], exam["pass_mark"])}
<h2>Weakest criteria</h2>
<table><tr><th>criterion</th><th>stage</th><th>met</th><th>rate</th></tr>{weakest}</table>
<h2>Candidates</h2>
<table><tr><th>candidate</th><th>result</th><th>level</th><th>score</th></tr>""")
    summary_rows(fh)
    fh.write("</table>\n")
    if details is not None:
        details(fh)
    else:
        fh.write(
            f"<p class=small>{co['candidates']} candidates: the evidence for "
            "each criterion is in report.json and criteria.csv.</p>"
        )
    fh.write("""
<h2>Skipped and ineligible transcripts</h2>
<table><tr><th>source</th><th>reason</th></tr>""")
    for s in skipped:
        fh.write(f"<tr><td>{_e(s['source'])}</td><td>{_e(s['reason'])}</td></tr>")
    fh.write(f"""</table>
<h2>Stamps</h2>
<p class=small>Check with <code>frontline certify --verify DIR</code>: it re-grades every
transcript and confirms these hashes still match the files.</p>
<table><tr><th>what</th><th>id</th><th>hash</th></tr>{stamps}</table>
</body></html>
""")
