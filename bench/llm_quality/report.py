"""docs/llm-quality.md from the harness's results (plain data, one dict per run).

Pure: no model, no server, no clock. Every figure says what it counts and how many items
it was measured on, so a small run is not mistaken for a large one.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence

from .audit import text_flags

AUDIT_KINDS = [
    ("role_reversal", "role reversal (the customer promising the company's actions, EN)"),
    ("agent_speak", "agent-speak (EN)"),
    ("self_address", "addressing themselves by name"),
    ("echo", "echo of the agent's last turn"),
    ("repetition", "repeating an earlier customer line"),
    ("special_token", "special token"),
    ("prompt_text", "the prompt's own text, or a stage direction"),
    ("dangling", "dangling fragment (no sentence end)"),
    ("reveal_missing", "planned reveal not given"),
    ("empty", "empty reply"),
]
SAMPLES_PER_KIND = 3


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:.0f}% ({n}/{d})" if d else "– (0)"


def quantile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(v for v in values if v is not None)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def secs(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def quote(text: str, limit: int = 220) -> str:
    flat = " ".join((text or "").split()).replace("|", "\\|")
    return "“" + (flat if len(flat) <= limit else flat[: limit - 1] + "…") + "”"


def f(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def _setup(run: dict) -> list[str]:
    server, model = run.get("server_pin", {}), run.get("model_pin", {})
    meta = run.get("model_metadata", {})
    lines = [
        "| what | value |",
        "|---|---|",
        f"| code | {run.get('label', '?')} |",
        f"| when | {run.get('started', '?')} |",
        f"| model | {model.get('description', '?')} (`{run.get('model', '?')}`) |",
        f"| model file | `{model.get('file', '?')}` sha256 `{model.get('sha256', '?')}` |",
        f"| its metadata | general.name `{meta.get('general.name', '?')}`, architecture "
        f"`{meta.get('general.architecture', '?')}`, chat template "
        f"{'yes' if meta.get('tokenizer.chat_template') else 'none (the server default)'} |",
    ]
    for c in model.get("chunks", []):
        lines.append(f"| chunk | `{c['package']}=={c['version']}` sha256 `{c['sha256']}` |")
    lines += [
        f"| server | llama.cpp `llama-server` built from `{server.get('package', '?')}"
        f"=={server.get('version', '?')}` (sdist sha256 `{server.get('sha256', '?')}`) |",
        f"| machine | {run.get('machine', '?')} |",
        f"| limits | {run.get('limits', '?')} |",
    ]
    return lines


def _customer(c: dict) -> list[str]:
    turns = c.get("turns", [])
    convos = c.get("conversations", [])
    out = [
        "### The customer",
        "",
        f"{len(convos)} conversations ({len({(x['persona'], x['language']) for x in convos})} "
        f"persona × language, policies {', '.join(sorted({x['policy'] for x in convos}))}), "
        f"{len(turns)} customer turns"
        + (" — **stopped by the time budget**" if c.get("out_of_time") else "")
        + f", {c.get('seconds', 0):.0f} s.",
        "",
    ]
    if not turns:
        return out + ["No turns were measured.", ""]
    errors = [t for t in turns if t.get("error")]
    shown = Counter(t["guard"]["shown"] for t in turns)
    truncated = sum(t["guard"]["truncated"] for t in turns)
    finished = sum(t["guard"]["completed_from_bank"] for t in turns)
    out += [
        "**What the trainee was shown** (per customer turn): "
        + ", ".join(f"{k} {pct(v, len(turns))}" for k, v in sorted(shown.items()))
        + f"; cut after text was shown {pct(truncated, len(turns))}"
        + f", finished from the bank {pct(finished, len(turns))}"
        + f"; backend errors {len(errors)}.",
        "",
        "**Guard failures by kind** (drafts the guards stopped; a turn may fail more than one "
        "draft):",
        "",
        "| kind | drafts | turns with it |",
        "|---|---|---|",
    ]
    kinds = Counter(k for t in turns for k in t["guard"]["failed"])
    for kind, n in kinds.most_common():
        with_it = sum(kind in t["guard"]["failed"] for t in turns)
        out.append(f"| {kind} | {n} | {pct(with_it, len(turns))} |")
    if not kinds:
        out.append("| (none) | 0 | – |")
    drafts = sum(t["guard"]["attempts"] for t in turns)
    out += [
        "",
        f"Drafts requested: {drafts} for {len(turns)} turns ({drafts / len(turns):.2f} per turn).",
        "",
        "**What reached the trainee**, checked by the harness's own audit "
        "(bench/llm_quality/audit.py, independent of the guards; phrase checks English only). "
        "Counted over the turns whose words came from the model (first draft or regenerated) "
        "and, apart, over phrase-bank turns:",
        "",
        "| kind | model's words | phrase bank |",
        "|---|---|---|",
    ]
    for t in turns:  # read older runs with the current text-only checks
        t["audit"] = sorted(set(t["audit"]) | text_flags(t["shown"]))
    model_turns = [t for t in turns if t["guard"]["shown"] != "bank"]
    bank_turns = [t for t in turns if t["guard"]["shown"] == "bank"]
    for kind, label in AUDIT_KINDS:
        a = sum(kind in t["audit"] for t in model_turns)
        b = sum(kind in t["audit"] for t in bank_turns)
        out.append(f"| {label} | {pct(a, len(model_turns))} | {pct(b, len(bank_turns))} |")
    planned = [t for t in turns if t.get("reveal_planned")]
    given = [t for t in planned if t.get("reveal_given")]
    out += [
        "",
        f"**Reveal rate**: the planned hidden fact was given in {pct(len(given), len(planned))} "
        "of the turns where the state machine chose to reveal one (model or bank).",
        "",
    ]
    first = [t["first_visible"] for t in turns if t.get("first_visible") is not None]
    whole = [t["seconds"] for t in turns]
    tokens = sum(t["completion_tokens"] for t in turns)
    gen = sum(t["generation_seconds"] for t in turns)
    prompt = [t["prompt_tokens"] for t in turns if t["prompt_tokens"]]
    out += [
        "**Latency** (per customer turn, through Frontline's renderer and guards):",
        "",
        "| | p50 | p95 | max |",
        "|---|---|---|---|",
        f"| first visible word | {secs(quantile(first, 0.5))} | {secs(quantile(first, 0.95))} "
        f"| {secs(max(first) if first else None)} |",
        f"| whole turn | {secs(quantile(whole, 0.5))} | {secs(quantile(whole, 0.95))} "
        f"| {secs(max(whole))} |",
        "",
        f"Generation: {tokens} tokens in {gen:.0f} s of streaming "
        f"({tokens / gen:.1f} tokens/s as the client saw it)"
        if gen and tokens
        else "Generation: the streams reported no usage (closed before their usage chunk); "
        "see the server's counters below.",
        "",
        f"Prompt size per turn: median {statistics.median(prompt):.0f} tokens "
        f"(all drafts of a turn)."
        if prompt
        else "",
        "",
    ]
    out += ["**Samples of what the trainee saw**, flagged by the audit (model's words only):", ""]
    any_sample = False
    for kind, label in AUDIT_KINDS:
        flagged = [t for t in model_turns if kind in t["audit"]][:SAMPLES_PER_KIND]
        for t in flagged:
            any_sample = True
            out.append(
                f"- *{label}* — {t['persona']} ({t['language']}, {t['policy']}, turn {t['turn']}, "
                f"{t['reaction']}): {quote(t['shown'])}"
            )
    if not any_sample:
        out.append("- (nothing flagged)")
    out += ["", "Unflagged samples (the first model-worded turn of each persona):", ""]
    seen = set()
    for t in model_turns:
        if t["persona"] in seen or t["audit"]:
            continue
        seen.add(t["persona"])
        out.append(f"- {t['persona']} ({t['reaction']}): {quote(t['shown'])}")
    if not seen:
        out.append("- (none)")
    out.append("")
    return out


def _judge(j: dict) -> list[str]:
    items = j.get("items", [])
    out = [
        "### The judge on the gold transcripts",
        "",
        f"{len(items)} transcripts"
        + (" — **stopped by the time budget**" if j.get("out_of_time") else "")
        + f", {j.get('seconds', 0):.0f} s.",
        "",
    ]
    every = [x for i in items for x in i["judgements"]]
    if not every:
        return out + ["No verdicts were measured.", ""]
    answered = [x for x in every if x["said"] != "abstain"]
    agrees = [x for x in every if x["effect"] == "agrees"]
    flips = [x for x in every if x["effect"] == "changed"]
    toward = [x for x in flips if x["result"] == x["expected"]]
    effects = Counter(x["effect"] for x in every)
    out += [
        f"Questions answered: {pct(len(answered), len(every))} (the rest abstained and went "
        "to review).",
        f"Agreement with the rules: {pct(len(agrees), len(answered))} of the answers.",
        f"Flips (the judge changed the rules' verdict): {len(flips)}, of which "
        f"{len(toward)} toward the gold set's expected verdict and {len(flips) - len(toward)} "
        "away from it.",
        "Effects: " + ", ".join(f"{k} {v}" for k, v in effects.most_common()) + ".",
        "",
    ]
    if flips:
        out += [
            "| transcript | criterion | rules → judge | expected | quote |",
            "|---|---|---|---|---|",
        ]
        for i in items:
            for x in i["judgements"]:
                if x["effect"] == "changed":
                    out.append(
                        f"| {i['transcript']} | {x['criterion']} | {x['rule']} → {x['result']} "
                        f"| {x['expected']} | {quote(x.get('quote') or '', 80)} |"
                    )
        out.append("")
    levels = sum(i["rule_level"] != i["judged_level"] for i in items)
    per = [i["seconds"] for i in items]
    calls = sum(i["calls"] for i in items)
    prompt = sum(i["prompt_tokens"] for i in items)
    out += [
        f"Level changed by the judge: {levels} of {len(items)} transcripts.",
        f"Time per transcript: p50 {secs(quantile(per, 0.5))}, max {secs(max(per))}; "
        f"{calls} calls, {prompt / calls:.0f} prompt tokens per call."
        if calls
        else "",
        "",
    ]
    return out


def _f1(reader: dict) -> str:
    return f(reader["f1"]) if reader.get("has_reader", True) else "no rules"


def _detector(d: dict) -> list[str]:
    rows = d.get("languages", [])
    out = [
        "### The move detector on the corpus' test split",
        "",
        "Micro F1 over the moves the reader's vocabulary has (simulator/moves/quality.py); "
        "rules + LLM is the product's combined reader (simulator/moves/combine.py): the model "
        "adds the good moves the rules missed, and violations only on a whole clause's evidence.",
        "",
        "| language | turns | rules F1 | rules + LLM F1 | LLM alone F1 (P / R) | s per LLM call |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "skipped" in r:
            out.append(f"| {r['language']} | – | {r['skipped']} | | | |")
            continue
        calls = r.get("call_seconds", [])
        llm = r["llm"]
        out.append(
            f"| {r['language']} | {r['turns']} | {_f1(r['rules'])} | {_f1(r['rules+llm'])} "
            f"| {f(llm['f1'])} ({f(llm['precision'])} / {f(llm['recall'])}) "
            f"| {secs(quantile(calls, 0.5))} |"
        )
    out.append("")
    return out


def _server(run: dict) -> list[str]:
    m = run.get("server_metrics") or {}
    gen, gen_s = (
        m.get("llamacpp:tokens_predicted_total"),
        m.get("llamacpp:tokens_predicted_seconds_total"),
    )
    pr, pr_s = m.get("llamacpp:prompt_tokens_total"), m.get("llamacpp:prompt_seconds_total")
    if not gen_s and not pr_s:
        return []
    out = ["### Tokens per second (the server's own counters, whole run)", ""]
    if gen_s:
        rate = gen / gen_s
        out.append(f"- generation: {gen:.0f} tokens in {gen_s:.0f} s = **{rate:.1f} tokens/s**")
    if pr_s:
        out.append(
            f"- prompt processing: {pr:.0f} tokens in {pr_s:.0f} s = **{pr / pr_s:.1f} tokens/s** "
            "(tokens the server evaluated; a prompt prefix reused from its cache is not counted)"
        )
    out.append("")
    return out


def render_report(runs: Sequence[dict], intro: str = "") -> str:
    """The whole markdown document for ``runs`` (each the dict the harness saved)."""
    out = ["# LLM quality against a real model", ""]
    if intro:
        out += [intro.strip(), ""]
    for run in runs:
        out += [f"## {run.get('title') or run.get('label', 'run')}", ""]
        out += _setup(run)
        out.append("")
        if run.get("blocked"):
            out += [f"**Not measured:** {run['blocked']}", ""]
        if "customer" in run:
            out += _customer(run["customer"])
        if "judge" in run:
            out += _judge(run["judge"])
        if "detector" in run:
            out += _detector(run["detector"])
        out += _server(run)
    return "\n".join(line for line in out).rstrip() + "\n"
