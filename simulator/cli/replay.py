"""``frontline replay``: replay one of a saved session's turns another way, in the terminal.

The same as the scorecard's replay panel in the web UI (:mod:`simulator.sessions.replay`):
the customer's reaction and the score beside what happened; saved with the session as
practice, never as a result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import config
from ..customer.reason_words import reasons_in
from ..errors import FrontlineError
from ..grading.rubric_loader import RubricLibrary
from ..languages.catalogue import Texts
from ..languages.formatting import number
from ..persona.loader import PersonaLibrary
from ..sessions import SessionStore
from ..sessions.replay import Branch, ReplayResult, replay_turn


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "replay",
        help="replay one of your turns another way",
        description="Replay agent turn N of a saved session with a different "
        "reply: see how the customer would have reacted and how the score "
        "would change. Replays are practice, saved with the session, never "
        "counted as results.",
    )
    p.add_argument("session", metavar="SESSION_ID")
    p.add_argument(
        "--turn", type=int, required=True, metavar="N", help="which of your turns (1 is the first)"
    )
    p.add_argument("--reply", required=True, metavar="TEXT", help="what you say instead")
    p.add_argument("--rubric", metavar="ID", help="grade with this rubric (default: the session's)")
    p.add_argument(
        "--db", metavar="PATH", help=f"session database (default: {config.database_path()})"
    )
    p.add_argument("--user", default="local", help="whose session it is (default: local)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    db = Path(args.db) if args.db else config.database_path()
    if not db.is_file():
        raise FrontlineError(f"no session database at {db}")
    with SessionStore(db) as store:
        info = store.get(args.session, args.user)
        rubric = RubricLibrary().get(args.rubric or info.rubric or None)
        result = replay_turn(
            store,
            args.session,
            args.user,
            turn=args.turn,
            reply=args.reply,
            personas=PersonaLibrary(),
            rubric=rubric,
        )
        store.save_replay(args.session, args.user, result.model_dump(mode="json"))
    print(describe(result, Texts(info.language or "en")))
    return 0


def _side(title: str, side: Branch, result: ReplayResult, t: Texts) -> list[str]:
    parts = []
    for k, v in result.before.model_dump().items():
        now = getattr(side.mood, k)
        change = f"{number(now, t.language)} ({'+' if now >= v else '-'}"
        change += f"{number(abs(now - v), t.language)})"
        parts.append(t(f"cli.mood_{k}", value=change))
    lines = [
        t("cli.replay_side", title=title),
        f"  {t('replay.you')} {side.reply}",
        f"  {t('replay.customer')} {side.customer}",
        "  " + t("cli.mood", values=" · ".join(parts)),
    ]
    if side.reasons:
        reasons = t("cli.reasons_joint").join(reasons_in(side.reasons, t))
        lines.append("  " + t("replay.why", reasons=reasons))
    if side.violations:
        rules = t("cli.reasons_joint").join(side.violations)
        lines.append("  " + t("replay.phrasing", rules=rules))
    outcome = t(
        "cli.outcome_unresolved"
        if side.outcome.value == "ongoing"
        else f"scorecard.outcome_{side.outcome.value}"
    )
    score = number(side.score, t.language)
    lines.append("  " + t("cli.replay_score", score=score, outcome=outcome))
    return lines


def _verdict(verdict: str, t: Texts) -> str:
    """A criterion's verdict (met, missed, not_applicable) as the scorecard words it."""
    try:
        return t(f"scorecard.verdict_{verdict}")
    except KeyError:  # a verdict this version does not know: as recorded
        return verdict


def describe(result: ReplayResult, t: Texts | None = None) -> str:
    """The replay as text in ``t``'s language (English by default): what happened, the
    replay, and the criteria that changed."""
    t = t or Texts("en")
    lines = [t("cli.replay_heading", turn=result.turn), ""]
    lines += _side(t("replay.actual"), result.actual, result, t) + [""]
    lines += _side(t("replay.yours"), result.replay, result, t)
    delta = result.replay.score - result.actual.score
    change = ("+" if delta >= 0 else "-") + number(abs(delta), t.language)
    before, after = number(result.actual.score, t.language), number(result.replay.score, t.language)
    lines += ["", t("cli.replay_change", before=before, after=after, change=change)]
    lines += [
        f"  {c.title}: {_verdict(c.actual, t)} -> {_verdict(c.replay, t)}" for c in result.changed
    ]
    return "\n".join(lines)
