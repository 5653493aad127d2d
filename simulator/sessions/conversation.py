"""A practice session: the customer machine, a renderer and the store, tied together.

Typical use (the terminal command and the web UI do exactly this)::

    store = SessionStore()                      # or SessionStore(tmp_path / "s.sqlite3")
    conv = Conversation.start(persona, store=store, user="ana")
    for chunk in conv.opening():                # the customer's complaint, streamed
        show(chunk)
    while conv.accepts_input:                   # after an acceptance, one closing turn
        for chunk in conv.reply(agent_text):    # agent turn saved first, then streamed
            show(chunk)
        conv.last_step.changes                  # why anger/trust/patience moved
    conv.outcome                                # Outcome.RESOLVED, ESCALATED, ...
    conv.transcript()                           # what the grader reads

Guarantees:

- ``reply(text)`` runs the state machine and commits the agent turn and the new state
  *before* it returns the stream; so nothing the trainee typed is lost if rendering
  fails or the process dies. The customer's words are saved once fully streamed.
- If the customer still owes words (the opening, or the reply to the last agent turn:
  a renderer failed, the stream was abandoned, the process was killed), ``owes_reply`` is
  True and ``pending_reply()`` streams them; ``reply()`` refuses until then.
- ``Conversation.resume(store, session_id, personas, user=...)`` rebuilds a session from
  the store: the saved states are used as they are, so a resumed session is in exactly
  the state it was left in.
- User errors (empty text, a finished session, a changed persona) raise
  :class:`FrontlineError` with a message meant for the trainee; a session or persona that
  is not there raises :class:`NotFound` (a FrontlineError too).

What a conversation exposes: ``session_id``; ``info`` (the stored
:class:`~simulator.sessions.store.SessionInfo`: user, persona id and hash, seed, mode,
rubric, created...); ``persona``; ``renderer`` (may be swapped between turns, e.g. to retry
a failed reply offline); ``turns`` (list of ``Turn(role, text, reading)``); ``steps`` (step 0 is the
opening state, step n follows the n-th agent turn; each has ``state``, ``plan.reaction``,
``moves`` and ``changes``); ``last_step``, ``state``, ``outcome``; ``status`` (``active``,
``finished`` or ``ended``); ``finished``; ``closing_open`` (the customer accepted: one
closing turn is still taken, for the follow-up criteria); ``accepts_input``;
``owes_reply``. Methods: ``opening()``, ``reply(text)``, ``pending_reply()``, ``end()``,
``transcript()``.

A ``Conversation`` object is meant for one caller at a time; the store beneath it is
thread-safe, so a server may hold one per session.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from ..customer.machine import CustomerMachine
from ..customer.state import CustomerState, Outcome, ReactionPlan, Step
from ..errors import FrontlineError, NotFound
from ..moves.detector import Detector
from ..persona.model import Persona
from ..reactions import Reaction
from ..render.base import Renderer, RenderRequest, Turn
from ..render.offline import OfflineRenderer
from ..transcript import Transcript, turn_problem
from .store import SessionInfo, SessionStore

MODES = ("training", "exam")


class PersonaSource(Protocol):
    """Where resume finds personas: a PersonaLibrary, or anything with ``get(id)``."""

    def get(self, persona_id: str) -> Persona: ...


def session_persona(persona: Persona, language: str | None) -> Persona:
    """The persona as a session in ``language`` plays it (sessions saved before languages
    were recorded, ``None``, played the base language)."""
    if language is None or language == persona.language:
        return persona
    in_language = getattr(persona, "in_language", None)  # a whole file (PersonaFile)
    if in_language is None:
        raise FrontlineError(f"persona {persona.id!r} is not offered in {language!r}")
    return in_language(language)


class Conversation:
    """One session between a trainee and a simulated customer. Create it with
    :meth:`start` or :meth:`resume`, not directly."""

    def __init__(
        self,
        persona: Persona,
        store: SessionStore,
        info: SessionInfo,
        turns: list[Turn],
        steps: list[Step],
        renderer: Renderer | None = None,
    ):
        self.persona = persona
        self.store = store
        self.info = info
        self.renderer: Renderer = renderer or OfflineRenderer()
        self.machine = CustomerMachine(persona)
        self._turns = turns
        self._steps = steps
        self._status = info.status
        self._streaming = False

    # -- creating ---------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        persona: Persona,
        *,
        store: SessionStore,
        renderer: Renderer | None = None,
        seed: int = 0,
        user: str = "local",
        rubric: str | None = None,
        mode: str = "training",
        opening: Step | None = None,
        follow_up_of: str | None = None,
        promise: str | None = None,
    ) -> Conversation:
        """A new session, saved at once; call :meth:`opening` for the customer's first words.

        A follow-up call (:func:`simulator.sessions.follow_up.start_follow_up`) gives its
        ``opening`` step (the customer as called back), the session it follows and how the
        promise turned out."""
        if mode not in MODES:
            raise FrontlineError(f"unknown mode {mode!r}; use one of: {', '.join(MODES)}")
        renderer = renderer or OfflineRenderer()
        machine = CustomerMachine(persona)
        opening = opening or Step(
            turn=0,
            moves=[],
            state=machine.start(),
            plan=ReactionPlan(reaction=Reaction.OPENING),
            changes=[],
        )
        info = store.create(
            user=user,
            persona_id=persona.id,
            persona_hash=persona.content_hash(),
            opening=opening,
            seed=seed,
            renderer=renderer.name,
            rubric=rubric,
            mode=mode,
            language=persona.language,
            follow_up_of=follow_up_of,
            promise=promise,
        )
        return cls(persona, store, info, [], [opening], renderer)

    @classmethod
    def resume(
        cls,
        store: SessionStore,
        session_id: str,
        personas: PersonaSource | Mapping[str, Persona],
        *,
        user: str = "local",
        renderer: Renderer | None = None,
    ) -> Conversation:
        """Rebuild a saved session. If the customer owes a reply, ``owes_reply`` is True."""
        info = store.get(session_id, user)
        if isinstance(personas, Mapping):
            if info.persona_id not in personas:
                raise NotFound(
                    f"session {session_id} is with persona {info.persona_id!r}, "
                    "which no longer exists"
                )
            persona = personas[info.persona_id]
        else:
            persona = personas.get(info.persona_id)
        persona = session_persona(persona, info.language)
        if info.follow_up_of and info.promise:
            # A follow-up call speaks with the scenario's lines for its promise (§3.11).
            from ..customer.follow_up import follow_up_persona

            persona = follow_up_persona(persona, info.promise)  # type: ignore[arg-type]
        if persona.content_hash() != info.persona_hash:
            raise FrontlineError(
                f"persona {info.persona_id!r} has changed since session {session_id} started, "
                "so the customer could not carry on consistently; start a new session"
            )
        return cls(persona, store, info, store.turns(session_id), store.steps(session_id), renderer)

    def read_with(self, detector: Detector) -> Conversation:
        """Read the trainee's turns with ``detector`` from now on (the configured one:
        rules, plus a model when ``detect_moves`` is on); returns the conversation."""
        self.machine = CustomerMachine(self.persona, detector)
        return self

    # -- what the session is ----------------------------------------------------------
    @property
    def session_id(self) -> str:
        return self.info.id

    @property
    def turns(self) -> list[Turn]:
        """The conversation so far (a copy)."""
        return list(self._turns)

    @property
    def steps(self) -> list[Step]:
        """Step 0 is the opening state; step n follows the n-th agent turn (a copy)."""
        return list(self._steps)

    @property
    def last_step(self) -> Step:
        return self._steps[-1]

    @property
    def state(self) -> CustomerState:
        """The customer's current state."""
        return self._steps[-1].state

    @property
    def outcome(self) -> Outcome:
        return self.state.outcome

    @property
    def status(self) -> str:
        """``active``, ``finished`` (the customer reached an outcome) or ``ended``."""
        return self._status

    @property
    def finished(self) -> bool:
        """True once the customer reached an outcome or the trainee ended the session."""
        return self.outcome is not Outcome.ONGOING or self._status == "ended"

    @property
    def closing_open(self) -> bool:
        """True once the customer has accepted and answered, until the trainee's one
        closing turn (checking they are satisfied, offering more help, goodbye): the
        follow-up criteria read it, so the session takes it before it stops."""
        if self.outcome is not Outcome.RESOLVED or self._status != "finished" or self.owes_reply:
            return False
        resolved = sum(s.state.outcome is Outcome.RESOLVED for s in self._steps)
        return resolved == 1

    @property
    def accepts_input(self) -> bool:
        """True while the trainee may still say something: before an outcome, or the
        closing turn after the customer accepted."""
        return not self.finished or self.closing_open

    @property
    def owes_reply(self) -> bool:
        """True while the customer has not yet said the opening or answered the last turn."""
        return not self._turns or self._turns[-1].role == "agent"

    # -- talking ----------------------------------------------------------------------
    def opening(self) -> Iterator[str]:
        """Stream the customer's opening complaint (saved when the stream completes)."""
        if self._turns:
            raise FrontlineError("the customer has already opened this session")
        return self.pending_reply()

    def reply(self, agent_text: str) -> Iterator[str]:
        """Save the agent's turn and the customer's new state, then stream their reply.

        The agent turn is committed before this returns, whether or not the stream is
        consumed; the customer's words are saved once the stream has been read to the end.
        """
        text = agent_text.strip() if isinstance(agent_text, str) else ""
        if not text:
            raise FrontlineError("the reply is empty; type what you would say to the customer")
        if (why := turn_problem(text)) is not None:
            raise FrontlineError(f"the reply is not accepted: {why}; nothing was saved")
        closing = self.closing_open
        if self.finished and not closing:
            raise FrontlineError(
                f"the session has ended ({self._end_reason()}); start a new one to practise again"
            )
        if self._streaming:
            raise FrontlineError("the customer is still answering; wait for the reply")
        if self.owes_reply:
            raise FrontlineError(
                "the customer has not answered yet; get the pending reply first (pending_reply)"
            )
        step = self._closing_step(text) if closing else self.machine.step(self.state, text)
        self.store.add_agent_turn(self.session_id, len(self._turns), text, step, closing=closing)
        self._turns.append(Turn("agent", text, reading=step.reading))
        self._steps.append(step)
        if step.state.outcome is not Outcome.ONGOING:
            self._status = "finished"
        return self.pending_reply()

    def _closing_step(self, text: str) -> Step:
        """The step after the closing turn: the machine's outcome stands (it takes no turn
        after one), the customer simply acknowledges again; the moves are recorded."""
        state = self.state.model_copy(update={"turn": self.state.turn + 1})
        reading = self.machine.read(text)
        return Step(
            turn=state.turn,
            moves=[f.move.value for f in reading.moves],
            state=state,
            changes=[],
            plan=ReactionPlan(reaction=Reaction.ACCEPT, offer=state.offer),
            reading=reading,
        )

    def pending_reply(self) -> Iterator[str]:
        """Stream the words the customer owes: the opening or the reply to the last turn."""
        if not self.owes_reply:
            raise FrontlineError("the customer has nothing left to say; it is your turn")
        if self._streaming:
            raise FrontlineError("the customer is still answering; wait for the reply")
        step = self._steps[-1]
        request = RenderRequest(
            persona=self.persona,
            state=step.state,
            plan=step.plan,
            history=list(self._turns),
            seed=self.info.seed,
        )
        return self._stream(request)

    def _stream(self, request: RenderRequest) -> Iterator[str]:
        # The flag is set inside the generator so a stream never started cannot leave it set.
        self._streaming = True
        try:
            chunks = []
            for chunk in self.renderer.render(request):
                chunks.append(chunk)
                yield chunk
            words = "".join(chunks).strip()
            if not words:
                raise FrontlineError(
                    f"the {self.renderer.name} renderer produced an empty reply; try again"
                )
            guard = request.guard
            self.store.add_customer_turn(self.session_id, len(self._turns), words, guard)
            self._turns.append(Turn("customer", words, guard=guard))
        finally:
            self._streaming = False

    def end(self) -> None:
        """The trainee stops the session; the outcome stays as it is."""
        if self._status == "active":
            self.store.set_status(self.session_id, "ended")
            self._status = "ended"

    def transcript(self) -> Transcript:
        """The session as a transcript: persona reference, turns, trajectory, outcome."""
        return self.store.transcript(self.session_id, self.info.user)

    def _end_reason(self) -> str:
        return "ended by you" if self.outcome is Outcome.ONGOING else self.outcome.value
