"""``frontline replay``: replay one of a saved session's turns another way, in the terminal.

The same as the scorecard's replay panel in the web UI (:mod:`simulator.sessions.replay`):
the customer's reaction and the score beside what happened; saved with the session as
practice, never as a result.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import config
from ..errors import FrontlineError
from ..grading.rubric_loader import RubricLibrary
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
    print(describe(result))
    return 0


def _side(title: str, side: Branch, result: ReplayResult) -> list[str]:
    mood = " · ".join(
        f"{k} {getattr(side.mood, k):g} ({getattr(side.mood, k) - v:+g})"
        for k, v in result.before.model_dump().items()
    )
    lines = [f"{title}:", f"  You: {side.reply}", f"  Customer: {side.customer}", f"  mood: {mood}"]
    if side.reasons:
        lines.append(f"  why: {'; '.join(side.reasons)}")
    if side.violations:
        lines.append(f"  phrasing: {'; '.join(side.violations)}")
    lines.append(f"  score so far: {side.score:g}/100 · outcome: {side.outcome.value}")
    return lines


def describe(result: ReplayResult) -> str:
    """The replay as text: what happened, the replay, and the criteria that changed."""
    lines = [f"Replay of turn {result.turn} (practice; not a result)", ""]
    lines += _side("What happened", result.actual, result) + [""]
    lines += _side("Your replay", result.replay, result)
    delta = result.replay.score - result.actual.score
    lines += ["", f"Score {result.actual.score:g} -> {result.replay.score:g} ({delta:+g})"]
    lines += [f"  {c.title}: {c.actual} -> {c.replay}" for c in result.changed]
    return "\n".join(lines)
