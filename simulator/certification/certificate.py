"""A certificate for each candidate who passed: one printable, self-contained HTML page.

The certificate id is a hash of the candidate, the deciding transcripts and the run's
stamp, so it changes if any of them does and ``frontline certify --verify`` can vouch
for it. The date is that of the latest deciding attempt, not of the run, so the same
results always print the same certificate.
"""

from __future__ import annotations

import hashlib
from datetime import date
from html import escape

from ..languages.catalogue import Texts
from ..languages.formatting import number, when
from .exam import Exam
from .stamps import Stamp


def certificate_id(candidate: dict, stamp: Stamp) -> str:
    """A short, stable id: sha256 of candidate, deciding transcripts and stamp digest."""
    keys = sorted((p["best"] or {}).get("key", "") for p in candidate["personas"])
    text = "\n".join([candidate["candidate"], *keys, stamp.digest()])
    return hashlib.sha256(text.encode()).hexdigest()[:16].upper()


def _date(candidate: dict, t: Texts) -> str:
    dates = [(p["best"] or {}).get("created") or "" for p in candidate["personas"]]
    latest = max(dates, default="")
    if not latest:
        return t("certificate.undated")
    try:
        return when(date.fromisoformat(latest[:10]), t.language, "long")
    except ValueError:
        return latest[:10]


def certificate_html(candidate: dict, exam: Exam, stamp: Stamp, language: str = "en") -> str:
    """The certificate page for a candidate whose result is 'pass', in ``language`` (its
    words from the catalogue, the exam's title from its own ``languages``)."""
    e, t = escape, Texts(language)
    personas = "".join(
        f"<li>{e(p['persona'])}: {e(number(p['score'], language))}</li>"
        for p in candidate["personas"]
    )
    passed = t(
        "certificate.passed",
        exam=f"<b>{e(exam.id)}</b>",
        score=f"<b>{e(number(candidate['score'], language))}</b>",
        level=f"<b>{e(candidate['level'])}</b>",
        pass_mark=e(number(exam.pass_mark, language)),
    )
    judge = " &middot; " + e(t("certificate.judge", model=stamp.judge.model)) if stamp.judge else ""
    return f"""<!doctype html>
<html lang="{e(language)}"><head><meta charset="utf-8">
<title>{e(t("certificate.title", name=candidate["candidate"]))}</title>
<style>
body{{font-family:Georgia,serif;text-align:center;margin:3rem auto;max-width:46rem;color:#222}}
.frame{{border:6px double #3a5f8f;padding:2.5rem}}h1{{font-size:2rem;margin:.2rem}}
.name{{font-size:1.8rem;font-weight:bold;margin:1.2rem 0}}ul{{list-style:none;padding:0}}
.small{{font-family:system-ui,sans-serif;font-size:.75rem;color:#555;word-break:break-all}}
@media print{{body{{margin:0}}}}
</style></head><body><div class="frame">
<p>{e(t("certificate.brand"))}</p>
<h1>{e(exam.texts(language).title)}</h1>
<p>{e(t("certificate.certifies"))}</p>
<p class="name">{e(candidate["candidate"])}</p>
<p>{passed}</p>
<ul>{personas}</ul>
<p>{e(t("certificate.date", date=_date(candidate, t)))}</p>
<p class="small">{e(t("certificate.id", id=candidate["certificate_id"], stamp=stamp.digest()))}<br>
{e(t("certificate.exam_hash", hash=stamp.exam.hash))} &middot; \
{e(t("certificate.rubric_hash", id=stamp.rubric.id, hash=stamp.rubric.hash))}{judge}</p>
</div></body></html>
"""
