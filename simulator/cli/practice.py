"""``frontline practice``: a practice session in the terminal; ``frontline export``: a
saved session as a JSON transcript.

The practice loop reads one agent turn per line from standard input, so it works both
interactively and with piped input (``printf 'Hello\\n/end\\n' | frontline practice ...``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from .. import config
from ..customer.reason_words import reasons_in
from ..customer.state import CustomerState, Outcome, Step
from ..errors import FrontlineError
from ..languages.catalogue import Texts
from ..languages.formatting import number
from ..persona.loader import PersonaLibrary
from ..persona.model import PROMISE_OUTCOMES
from ..persona.overlay import PersonaFile
from ..render.base import Renderer
from ..render.offline import OfflineRenderer
from ..sessions import Conversation, SessionStore
from ..sessions.follow_up import start_follow_up
from ..transcript import turn_problem
from .record_prompt import record_after_call

END_COMMANDS = {"/end", "/quit", "/exit"}


def texts(conv: Conversation) -> Texts:
    """The CLI's own words in the session's language (the language the customer speaks)."""
    return Texts(conv.persona.language)


def outcome_text(outcome: Outcome, t: Texts) -> str:
    """``resolved: the customer accepted the remedy``, in the reader's language."""
    ongoing = outcome is Outcome.ONGOING
    word = "cli.outcome_unresolved" if ongoing else f"scorecard.outcome_{outcome.value}"
    return t("cli.outcome_what", outcome=t(word), why=t(f"cli.outcome_why_{outcome.value}"))


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "practice",
        help="talk to a simulated customer in the terminal",
        description="Practise a complaint in the terminal. Type one reply per "
        "line; /end finishes. Works offline with no API key; with an LLM "
        "configured (FRONTLINE_LLM_*) it words the customer's replies.",
    )
    p.add_argument(
        "--persona", metavar="ID", help="the customer to talk to (see `frontline personas`)"
    )
    p.add_argument(
        "--language",
        metavar="L",
        help="the language to practise in, e.g. es, ru, zh (default: the persona's own; "
        "`frontline personas` lists each persona's languages)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="varies the customer's wording (default 0; for --follow-up, the original's)",
    )
    p.add_argument("--resume", metavar="SESSION_ID", help="carry on a saved session")
    p.add_argument(
        "--follow-up",
        metavar="SESSION_ID",
        dest="follow_up",
        help="call the customer of a resolved session back, days later in the story (§3.11): "
        "they remember whether the promise was kept",
    )
    p.add_argument(
        "--promise",
        choices=PROMISE_OUTCOMES,
        help="with --follow-up: how the promise turned out (default: the scenario's choice)",
    )
    p.add_argument(
        "--exam",
        action="store_true",
        help="exam mode: no mood shown, and the "
        "session is recorded as an exam (what certification exams accept)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="word the customer from the phrase "
        "banks even when an LLM is configured (FRONTLINE_LLM_*)",
    )
    _store_args(p)
    p.add_argument(
        "--export", metavar="FILE", type=Path, help="write the JSON transcript to FILE at the end"
    )
    p.set_defaults(func=run)

    e = sub.add_parser("export", help="write a saved session as a JSON transcript")
    e.add_argument("session", metavar="SESSION_ID")
    e.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="file to write (default: standard output)"
    )
    _store_args(e)
    e.set_defaults(func=run_export)


def _store_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        help=f"session database (default: {config.database_path()})",
    )
    p.add_argument("--user", default="local", help="whose sessions these are (default: local)")


# -- the session loop -------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    store = SessionStore(args.db)
    try:
        conv = _open(args, store, PersonaLibrary())
        _talk(conv)
        _finish(conv, store, args.export, args.db)
    finally:
        store.close()
    return 0


def _renderer(offline: bool) -> Renderer:
    """The configured renderer (an LLM if FRONTLINE_LLM_* says so), else the phrase banks."""
    if offline:
        return OfflineRenderer()
    from ..wiring import renderer_from_config

    return renderer_from_config()


def _read_as_configured(conv: Conversation, offline: bool) -> Conversation:
    """The configured move detector (rules, plus the model when detect_moves is on)."""
    if offline:
        return conv
    from ..wiring import detector_from_config

    return conv.read_with(detector_from_config(conv.persona.language))


def _open(args: argparse.Namespace, store: SessionStore, library: PersonaLibrary) -> Conversation:
    renderer = _renderer(args.offline)
    if args.resume and args.follow_up:
        raise FrontlineError("use --resume or --follow-up, not both")
    if args.resume:
        conv = Conversation.resume(store, args.resume, library, user=args.user, renderer=renderer)
        _read_as_configured(conv, args.offline)
        if args.exam and conv.info.mode != "exam":
            raise FrontlineError(
                f"session {args.resume} is a {conv.info.mode} session; "
                "--exam cannot turn it into an exam"
            )
        if args.persona and args.persona != conv.persona.id:
            raise FrontlineError(
                f"session {args.resume} is with {conv.persona.id!r}, not {args.persona!r}"
            )
        if args.language and args.language != conv.persona.language:
            raise FrontlineError(
                f"session {args.resume} is in {conv.persona.language!r}, not {args.language!r}"
            )
        t = texts(conv)
        _header(conv, t("cli.resuming", id=conv.session_id))
        for turn in conv.turns:
            print(f"{t('cli.customer' if turn.role == 'customer' else 'cli.you')}{turn.text}")
        return conv
    if args.follow_up:
        if args.persona:
            raise FrontlineError(
                "--follow-up calls back the session's own customer; drop --persona"
            )
        if args.language:
            raise FrontlineError(
                "--follow-up speaks the language of the session it follows; drop --language"
            )
        conv = start_follow_up(
            store,
            args.follow_up,
            library,
            user=args.user,
            renderer=renderer,
            seed=args.seed,
            promise=args.promise,
        )
        days = conv.persona.case.follow_up.days_later if conv.persona.case.follow_up else 0
        t = texts(conv)
        _header(conv, t("cli.follow_up_session", id=conv.session_id, days=days, of=args.follow_up))
        print(t("cli.follow_up_intro") + "\n", flush=True)
        return conv
    if args.promise:
        raise FrontlineError("--promise goes with --follow-up")
    persona = library.get(args.persona) if args.persona else _choose(library)
    if args.language:
        persona = persona.in_language(args.language)
    conv = Conversation.start(
        persona,
        store=store,
        seed=args.seed or 0,
        user=args.user,
        renderer=renderer,
        mode="exam" if args.exam else "training",
    )
    _read_as_configured(conv, args.offline)
    _header(
        conv, texts(conv)("cli.exam_session" if args.exam else "cli.session", id=conv.session_id)
    )
    return conv


def _choose(library: PersonaLibrary) -> PersonaFile:
    ids = library.ids()
    if not ids:
        raise FrontlineError(
            f"no personas in {library.folder}; check them with `frontline validate`"
        )
    if not sys.stdin.isatty():
        raise FrontlineError("choose a customer with --persona ID; available: " + ", ".join(ids))
    for n, pid in enumerate(ids, 1):
        print(f"{n:>3}. {pid}: {library.personas[pid].summary}")
    while True:
        answer = input(f"Choose a customer [1-{len(ids)}]: ").strip()
        if answer in ids:
            return library.get(answer)
        if answer.isdigit() and 1 <= int(answer) <= len(ids):
            return library.get(ids[int(answer) - 1])
        print("Type a number from the list or a persona id.")


def _header(conv: Conversation, title: str) -> None:
    p, t = conv.persona, texts(conv)
    print(
        t(
            "cli.header",
            title=title,
            name=p.identity.name,
            id=p.id,
            case=p.case.title,
            renderer=conv.renderer.name,
        )
    )
    # The trainee's brief: the company's rules for this case (DOMAIN §3.9).
    for line in p.trainee_brief():
        print(f"  {line}")
    if conv.info.mode == "exam":
        print(t("cli.exam_mode"))
    print(t("cli.instructions") + "\n", flush=True)


def _talk(conv: Conversation) -> None:
    if conv.owes_reply:
        _say(conv.pending_reply(), conv)
    interactive = sys.stdin.isatty()
    t = texts(conv)
    while conv.accepts_input:
        if conv.closing_open:
            # The follow-up criteria need this turn: the customer accepted, the call is
            # not over until the trainee closes it.
            print(t("cli.close_call"), flush=True)
        line = _read_line(t("cli.you") if interactive else "")
        if line is None or line.strip().lower() in END_COMMANDS:
            conv.end()
            break
        if not line.strip():
            continue
        if (why := turn_problem(line.strip())) is not None:  # the limit grading applies too
            print(t("cli.not_sent", why=why), file=sys.stderr)
            continue
        _say(conv.reply(line), conv)


def _read_line(prompt: str) -> str | None:
    """One line of input, or None at end of input."""
    if prompt:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = sys.stdin.readline()
    return line.rstrip("\n") if line else None


def _say(chunks: Iterable[str], conv: Conversation) -> None:
    """Print the customer's words as they stream in. If the renderer fails (the language
    model is down), say what is saved and how to carry on, instead of a bare error."""
    started = False
    t = texts(conv)
    try:
        for chunk in chunks:
            if not started:  # no "Customer: " left dangling if the first words never come
                print(t("cli.customer"), end="", flush=True)
                started = True
            print(chunk, end="", flush=True)
    except FrontlineError as exc:  # the renderer's (the LLM backend's) errors
        if started:
            print(t("cli.cut_off"), flush=True)
        raise FrontlineError(_saved_note(conv, exc)) from None
    print()
    if conv.info.mode == "exam":  # an exam shows what a real call shows: the words only
        return
    previous = conv.steps[-2].state if len(conv.steps) > 1 else None
    print("  " + mood_line(conv.last_step, previous, t), flush=True)


def _saved_note(conv: Conversation, exc: Exception) -> str:
    t = texts(conv)
    last_is_yours = conv.turns and conv.turns[-1].role == "agent"
    key = "cli.no_answer_reply_saved" if last_is_yours else "cli.no_answer_session_saved"
    return f"{exc}\n" + t(key, id=conv.session_id)


def mood_line(step: Step, previous: CustomerState | None, t: Texts | None = None) -> str:
    """``mood: anger 62 ↓8 · trust 36 ↑6 · patience 76 ↓4 (Apologised; ...)``, labels and
    numbers in ``t``'s language."""
    t = t or Texts("en")
    parts = []
    for field in ("anger", "trust", "patience"):
        value = getattr(step.state, field)
        part = t(f"cli.mood_{field}", value=number(value, t.language))
        if previous is not None:
            delta = round(value - getattr(previous, field), 1)
            if delta:
                part += f" {'↑' if delta > 0 else '↓'}{number(abs(delta), t.language)}"
        parts.append(part)
    # Recorded in the effects tables' words; shown in the reader's language.
    reasons = reasons_in(step.reasons(), t)
    mood = t("cli.mood", values=" · ".join(parts))
    if not reasons:
        return mood
    return t("cli.mood_why", mood=mood, reasons=t("cli.reasons_joint").join(reasons))


def _finish(conv: Conversation, store: SessionStore, export: Path | None, db: Path | None) -> None:
    replies = sum(turn.role == "agent" for turn in conv.turns)
    t = texts(conv)
    said = t("cli.replies_one" if replies == 1 else "cli.replies_other", n=replies)
    print("\n" + t("cli.outcome", outcome=outcome_text(conv.outcome, t), replies=said))
    # DOMAIN §3.10: the call is over; now the record (skippable). A follow-up call adds
    # to the original's record rather than making its own.
    if not conv.info.follow_up_of:
        record_after_call(conv, store, _read_line, sys.stdin.isatty(), t)
    if conv.outcome is Outcome.RESOLVED and not conv.info.follow_up_of:
        print(t("cli.follow_up_hint", id=conv.session_id))
    print(t("cli.saved", id=conv.session_id, path=store.path))
    if export is not None and conv.turns:
        _write(export, store.export_json(conv.session_id, conv.info.user))
        print(t("cli.written", path=export))
        print(t("cli.grade_it", path=export))
    elif conv.turns:
        print(t("cli.export_it", id=conv.session_id, db=f" --db {db}" if db else ""))


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise FrontlineError(f"cannot write {path}: {exc.strerror or exc}") from None


# -- export -----------------------------------------------------------------------------
def run_export(args: argparse.Namespace) -> int:
    db = args.db or config.database_path()
    if not db.is_file():
        raise FrontlineError(f"no session database at {db}")
    with SessionStore(db) as store:
        text = store.export_json(args.session, args.user)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write(args.output, text)
        print(f"Transcript written to {args.output}.", file=sys.stderr)
    return 0
