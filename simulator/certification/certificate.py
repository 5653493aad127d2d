"""A certificate for each candidate who passed: one printable, self-contained HTML page.

The certificate id is a hash of the candidate, the deciding transcripts and the run's
stamp, so it changes if any of them does and ``frontline certify --verify`` can vouch
for it. The date is that of the latest deciding attempt, not of the run, so the same
results always print the same certificate.
"""

from __future__ import annotations

import hashlib
from html import escape

from .exam import Exam
from .stamps import Stamp


def certificate_id(candidate: dict, stamp: Stamp) -> str:
    """A short, stable id: sha256 of candidate, deciding transcripts and stamp digest."""
    keys = sorted((p["best"] or {}).get("key", "") for p in candidate["personas"])
    text = "\n".join([candidate["candidate"], *keys, stamp.digest()])
    return hashlib.sha256(text.encode()).hexdigest()[:16].upper()


def _date(candidate: dict) -> str:
    dates = [(p["best"] or {}).get("created") or "" for p in candidate["personas"]]
    latest = max(dates, default="")
    return latest[:10] if latest else "undated"


def certificate_html(candidate: dict, exam: Exam, stamp: Stamp) -> str:
    """The certificate page for a candidate whose result is 'pass'."""
    e = escape
    personas = "".join(f"<li>{e(p['persona'])}: {p['score']}</li>" for p in candidate["personas"])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Certificate: {e(candidate["candidate"])}</title>
<style>
body{{font-family:Georgia,serif;text-align:center;margin:3rem auto;max-width:46rem;color:#222}}
.frame{{border:6px double #3a5f8f;padding:2.5rem}}h1{{font-size:2rem;margin:.2rem}}
.name{{font-size:1.8rem;font-weight:bold;margin:1.2rem 0}}ul{{list-style:none;padding:0}}
.small{{font-family:system-ui,sans-serif;font-size:.75rem;color:#555;word-break:break-all}}
@media print{{body{{margin:0}}}}
</style></head><body><div class="frame">
<p>Frontline certification</p>
<h1>{e(exam.title)}</h1>
<p>This certifies that</p>
<p class="name">{e(candidate["candidate"])}</p>
<p>passed the exam <b>{e(exam.id)}</b> with an overall score of <b>{candidate["score"]}</b>
(level: <b>{e(candidate["level"])}</b>; pass mark {exam.pass_mark:g}).</p>
<ul>{personas}</ul>
<p>Date of the deciding attempt: {e(_date(candidate))}</p>
<p class="small">Certificate {e(candidate["certificate_id"])} &middot; stamp {e(stamp.digest())}<br>
exam {e(stamp.exam.hash)} &middot; rubric {e(stamp.rubric.id)} {e(stamp.rubric.hash)}
{"&middot; judge " + e(stamp.judge.model) if stamp.judge else ""}</p>
</div></body></html>
"""
