"""The cohort report as one self-contained HTML page (inline CSS and SVG, no scripts)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from html import escape
from typing import TextIO

from ..languages.catalogue import Texts
from ..languages.formatting import number

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
    bins: list[dict],
    pass_mark: float,
    width: int = 560,
    height: int = 220,
    label: str | None = None,
    title: str = "Score distribution",
) -> str:
    """A bar chart of the score distribution, with the pass mark as a dashed line."""
    pad_l, pad_b, pad_t = 36, 28, 12
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    top = max((b["count"] for b in bins), default=0) or 1
    bar_w = plot_w / len(bins)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{_e(title)}">',
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
        f"{_e(label or f'pass {pass_mark:g}')}</text></svg>"
    )
    return "".join(parts)


def _evidence(crit: dict, t: Texts) -> str:
    items = []
    for ev in crit.get("evidence", []):
        if isinstance(ev, dict):
            turn = (
                t("report.agent_turn", turn=ev["agent_turn"]) + " " if ev.get("agent_turn") else ""
            )
            items.append(f"{_e(turn)}&ldquo;{_e(ev.get('quote') or '')}&rdquo;")
        else:
            items.append(_e(ev))
    if crit.get("note"):
        items.append(f"<span class=small>{_e(crit['note'])}</span>")
    return "<br>".join(items)


def _result(t: Texts, result: str) -> str:
    """A candidate's or persona's result (pass, fail, needs_review) in the reader's words."""
    return t(f"report.result_{result}")


def _verdict(t: Texts, verdict: str | None) -> str:
    return t(f"scorecard.word_{verdict}") if verdict in ("met", "missed", "not_applicable") else ""


def candidate_html(c: dict, index: dict[str, dict], language: str = "en") -> str:
    """One candidate's details: each persona's deciding attempt with its evidence."""
    t = Texts(language)
    n = partial(number, language=language)
    rows = []
    for p in c["personas"]:
        best = p["best"]
        head = (
            f"<b>{_e(p['persona'])}</b>: <span class={p['result']}>{_e(_result(t, p['result']))}"
            f"</span>, {_e(n(p['score']))}"
        )
        if best is None:
            rows.append(f"<p>{head} &mdash; {_e(t('report.no_attempt'))}</p>")
            continue
        verdicts = {
            v.get("criterion"): v for v in ((best.get("judge") or {}).get("verdicts") or [])
        }
        crit_rows = "".join(
            f"<tr><td>{_e(_stage(index.get(cr['id'], {})))}</td>"
            f"<td>{_e(index.get(cr['id'], {}).get('title') or cr['id'])}</td>"
            f"<td>{_e(_verdict(t, cr.get('verdict')))}</td><td>{_evidence(cr, t)}</td>"
            f"<td>{_e((verdicts.get(cr['id']) or {}).get('verdict', ''))}</td></tr>"
            for cr in best["criteria"]
        )
        review = "".join(f"<li>{_e(r)}</li>" for r in best.get("review") or [])
        attempts = ", ".join(
            f"{_e(a['source'])} ({_e(n(a['score']))}"
            f"{'' if a['counted'] else ', ' + _e(t('report.not_counted'))})"
            for a in p["attempts"]
        )
        rows.append(
            f"<p>{head} &mdash; {_e(t('report.deciding_attempt', source=best['source']))}</p>"
            + (f"<ul class=needs_review>{review}</ul>" if review else "")
            + f"<p class=small>{_e(t('report.attempts'))}: {attempts}</p>"
            + f"<table><tr><th>{_e(t('report.col_stage'))}</th>"
            + f"<th>{_e(t('report.col_criterion'))}</th><th>{_e(t('report.col_result'))}</th>"
            + f"<th>{_e(t('report.col_evidence'))}</th><th>{_e(t('report.col_judge'))}</th></tr>"
            + f"{crit_rows}</table>"
        )
    stages = ", ".join(f"{_e(s['title'])} {_e(n(s['score']))}" for s in c["stages"])
    cert = (
        f' &middot; <a href="{_e(c["certificate"])}">{_e(t("report.certificate"))}</a>'
        if c.get("certificate")
        else ""
    )
    return (
        f"<details><summary><b>{_e(c['candidate'])}</b> &mdash; "
        f"<span class={c['result']}>{_e(_result(t, c['result']))}</span>, {_e(n(c['score']))} "
        f"({_e(c['level'])}){cert}</summary><p class=small>{stages}</p>"
        f"{''.join(rows)}</details>"
    )


def candidate_summary_html(c: dict, language: str = "en") -> str:
    """One candidate's line in the results table."""
    t = Texts(language)
    return (
        f"<tr><td>{_e(c['candidate'])}</td><td class={c['result']}>"
        f"{_e(_result(t, c['result']))}</td>"
        f"<td>{_e(c['level'])}</td><td>{_e(number(c['score'], language))}</td></tr>"
    )


# Past this many candidates the page lists results only; the evidence for each criterion
# is in report.json and criteria.csv (a page of hundreds of megabytes helps nobody).
DETAIL_LIMIT = 500


def _none_eligible(head: dict, t: Texts) -> str:
    """A plain warning when graded transcripts exist but none counted for the exam."""
    co = head["cohort"]
    n = co["transcripts"]
    if co["candidates"] or not n["ineligible"]:
        return ""
    return f'<p class="none-eligible">{t("report.none_eligible", exam=_e(head["exam"]["id"]))}</p>'


def write_report_html(
    fh: TextIO,
    head: dict,
    summary_rows: Callable[[TextIO], None],
    details: Callable[[TextIO], None] | None,
    skipped: Iterable[dict],
    language: str = "en",
    title: str | None = None,
) -> None:
    """Write the report page. Self-contained: it opens from a zip or an e-mail attachment.

    ``head`` is the report without its candidates (exam, stamp, judge_used, cohort,
    criteria); ``summary_rows`` and ``details`` write each candidate's line
    (:func:`candidate_summary_html`) and details (:func:`candidate_html`) to the file
    they are given, the latter None past :data:`DETAIL_LIMIT` candidates; ``skipped``
    are the skipped and ineligible transcripts. Its words are in ``language``, and
    ``title`` is the exam's title in it (default: the exam's own)."""
    t = Texts(language)
    n = partial(number, language=language)
    exam, co, stamp = head["exam"], head["cohort"], head["stamp"]
    title = title or exam["title"]
    weakest = "".join(
        f"<tr><td>{_e(w['title'] or w['id'])}</td>"
        f"<td>{_e(_stage(head.get('criteria', {}).get(w['id']) or w))}</td>"
        f"<td>{w['met']}/{w['applicable']}</td>"
        f"<td>{_e(n(round(w['met_rate'] * 100)))}%</td></tr>"
        for w in co["weakest_criteria"]
    )
    what = {k: _e(t(f"report.stamp_{k}")) for k in ("exam", "rubric", "persona", "judge", "grader")}
    stamps = "".join(
        f"<tr><td>{what[k]}</td><td>{_e(v['id'])}</td><td><code>{_e(v['hash'])}</code></td></tr>"
        for k, v in (("exam", stamp["exam"]), ("rubric", stamp["rubric"]))
    )
    stamps += "".join(
        f"<tr><td>{what['persona']}</td><td>{_e(p['id'])}</td>"
        f"<td><code>{_e(p['hash'])}</code></td></tr>"
        for p in stamp["personas"]
    )
    if stamp.get("judge"):
        j = stamp["judge"]
        stamps += (
            f"<tr><td>{what['judge']}</td><td>{_e(j['model'])} &times;{j.get('samples', 1)}</td>"
            f"<td><code>{_e(j['prompt_hash'])}</code></td></tr>"
        )
    stamps += (
        f"<tr><td>{what['grader']}</td><td colspan=2><code>{_e(stamp['grader'])}</code></td></tr>"
    )
    rate = f"{n(round(co['pass_rate'] * 100, 1))}%"
    judge = t("report.judge_yes") if head["judge_used"] else t("report.judge_no")
    if head["judge_used"]:
        flips = co.get("judge_flips") or {"criteria": 0, "transcripts": 0}
        judge += t(
            "report.judge_flips", criteria=flips["criteria"], transcripts=flips["transcripts"]
        )
    about = t(
        "report.about",
        exam=f"<b>{_e(exam['id'])}</b>",
        rubric=f"<b>{_e(exam['rubric'])}</b>",
        pass_mark=_e(n(exam["pass_mark"])),
        attempts=exam["attempts"],
        mode=_e(t(f"report.mode_{exam['mode']}")),
        personas=_e(", ".join(exam["personas"])),
        judge=_e(judge),
    )
    tr = co["transcripts"]
    counts = t(
        "report.transcripts",
        total=tr["total"],
        malformed=tr["malformed"],
        eligible=tr["eligible"],
        ineligible=tr["ineligible"],
    )
    mean = "" if co["mean_score"] is None else n(co["mean_score"])

    def kpi(value: object, key: str) -> str:
        return f"<span class=kpi><b>{_e(value)}</b>{_e(t(key))}</span>"

    def th(*keys: str) -> str:
        return "<tr>" + "".join(f"<th>{_e(t(k))}</th>" for k in keys) + "</tr>"

    chart = distribution_svg(
        co["distribution"],
        exam["pass_mark"],
        label=t("report.chart_pass", mark=n(exam["pass_mark"])),
        title=t("report.chart_title"),
    )
    weakest_head = th(
        "report.col_criterion", "report.col_stage", "report.col_met", "report.col_rate"
    )
    candidates_head = th(
        "report.col_candidate", "report.col_result", "report.col_level", "report.col_score"
    )
    fh.write(f"""<!doctype html>
<html lang="{_e(language)}"><head><meta charset="utf-8">
<title>{_e(t("report.page_title", title=title))}</title>
<style>{_CSS}</style></head><body>
<h1>{_e(title)}</h1>
<p class=small>{about}</p>
<h2>{_e(t("report.cohort"))}</h2>
<div>{kpi(co["candidates"], "report.kpi_candidates")}
{kpi(rate, "report.kpi_pass_rate")}
{kpi(co["passed"], "report.kpi_passed")}{kpi(co["failed"], "report.kpi_failed")}
{kpi(co["needs_review"], "report.kpi_needs_review")}
{kpi(mean, "report.kpi_mean")}</div>
<p class=small>{_e(counts)}</p>{_none_eligible(head, t)}
{chart}
<h2>{_e(t("report.weakest"))}</h2>
<table>{weakest_head}{weakest}</table>
<h2>{_e(t("report.candidates"))}</h2>
<table>{candidates_head}""")
    summary_rows(fh)
    fh.write("</table>\n")
    if details is not None:
        details(fh)
    else:
        fh.write(f"<p class=small>{_e(t('report.no_details', n=co['candidates']))}</p>")
    fh.write(f"""
<h2>{_e(t("report.skipped"))}</h2>
<table>{th("report.col_source", "report.col_reason")}""")
    for s in skipped:
        fh.write(f"<tr><td>{_e(s['source'])}</td><td>{_e(s['reason'])}</td></tr>")
    fh.write(f"""</table>
<h2>{_e(t("report.stamps"))}</h2>
<p class=small>{t("report.verify_hint")}</p>
<table>{th("report.col_what", "report.col_id", "report.col_hash")}{stamps}</table>
</body></html>
""")


def _stage(entry: dict) -> str:
    """A criterion's stage as the reader names it: its title in the report's language,
    else its id."""
    return entry.get("stage_title") or entry.get("stage") or ""
