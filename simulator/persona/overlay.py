"""Per-language overlays: one persona file, playable in several languages.

A persona file is written in one base language (``language``, usually ``en``). Its
``languages`` mapping gives, per language code, an overlay holding only what is
language-specific: the texts the customer says or that describe them (case, identity,
style), the regexes that recognise a trainee's words (remedy ``triggers``, hidden facts'
``asked_by``, the persona's own ``triggers``) and the whole phrase bank. Everything that
shapes behaviour (archetype, mood, thresholds, sensitivity, remedy levels) stays in the
base, so the customer behaves the same in every language.

These models are the source of truth for the overlay's shape (the persona schema is
generated from :class:`PersonaFile`); :mod:`.resolve` merges an overlay onto the base and
validates the result as a whole :class:`~.model.Persona`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PrivateAttr, field_validator, model_validator

from ..errors import FileProblems, FrontlineError
from ..reactions import Reaction
from .model import (
    BandedPhrases,
    Persona,
    PhraseList,
    PromiseOutcome,
    Slug,
    Strict,
    Trigger,
    _regex,
)

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
Text = Annotated[str, Field(min_length=1)]


class IdentityOverlay(Strict):
    """Who the customer is, in this language. A name or company left out stays as in the
    base (a trainer may localise names, or keep them)."""

    name: str | None = Field(None, min_length=1, max_length=80)
    occupation: str | None = None
    background: Text | None = None
    company: Text | None = None


class HiddenFactOverlay(Strict):
    """A hidden fact of the base (same ``id``) in this language."""

    id: Slug = Field(description="The id of a hidden fact in the base persona.")
    text: Text | None = None
    asked_by: list[str] | None = Field(
        None, description="Regexes in this language; a question matching one uncovers it."
    )
    example: str | None = None

    @field_validator("asked_by")
    @classmethod
    def _regexes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [_regex(v) for v in values]


class RemedyOverlay(Strict):
    """A remedy of the base (same ``id``) in this language; its level stays the base's."""

    id: Slug = Field(description="The id of a remedy in the base persona.")
    description: Text | None = None
    triggers: list[str] | None = Field(
        None, min_length=1, description="Regexes in this language that recognise the offer."
    )
    example: Text | None = None

    @field_validator("triggers")
    @classmethod
    def _regexes(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [_regex(v) for v in values]


class CompanyRulesOverlay(Strict):
    standard: str | None = Field(None, min_length=1, max_length=400)
    limit: str | None = Field(None, min_length=1, max_length=400)


class FollowUpOverlay(Strict):
    """The follow-up call in this language: its lines, per outcome (the scenario itself,
    days later and the outcomes it allows, stays the base's)."""

    phrases: dict[PromiseOutcome, dict[Reaction, PhraseList | BandedPhrases]] = Field(
        description="Per outcome, the follow-up call's lines in this language (replaces "
        "the base's whole: every outcome the scenario allows, each with its 'opening' and "
        "'accept' at least)."
    )


class CaseOverlay(Strict):
    """The case's texts in this language; amounts, currency and places may be localised."""

    title: str | None = Field(None, min_length=1, max_length=120)
    facts: list[Text] | None = Field(None, min_length=1)
    hidden_facts: list[HiddenFactOverlay] = Field(default_factory=list)
    expectation: Text | None = None
    bottom_line: Text | None = None
    if_crossed: Text | None = None
    rejects: list[Text] | None = None
    remedies: list[RemedyOverlay] = Field(default_factory=list)
    company_rules: CompanyRulesOverlay | None = None
    follow_up: FollowUpOverlay | None = Field(
        None,
        description="The follow-up call's lines in this language; without them the "
        "follow-up call is not offered in this language (never played in the base's).",
    )

    @model_validator(mode="after")
    def _unique_ids(self) -> CaseOverlay:
        for kind, items in (("hidden_facts", self.hidden_facts), ("remedies", self.remedies)):
            ids = [i.id for i in items]
            dup = {i for i in ids if ids.count(i) > 1}
            if dup:
                raise ValueError(f"duplicate {kind} id: {', '.join(sorted(dup))}")
        return self


class StyleOverlay(Strict):
    description: Text | None = None
    quirks: list[Text] | None = None


class LanguageOverlay(Strict):
    """What one language changes in the persona. ``phrases`` is the whole bank for the
    language (written natively, not translated line by line): it replaces the base's, so a
    bank it lacks is reported rather than filled with the base language's lines."""

    summary: str | None = Field(None, min_length=1, max_length=160)
    identity: IdentityOverlay | None = None
    triggers: list[Trigger] | None = Field(
        None,
        description="This customer's own triggers in this language (replaces the base's; "
        "an empty list says there are none).",
    )
    case: CaseOverlay | None = None
    style: StyleOverlay | None = None
    phrases: dict[Reaction, PhraseList | BandedPhrases] | None = Field(
        None, description="The whole phrase bank in this language: every reaction."
    )


class PersonaFile(Persona):
    """What a persona file holds: the persona in its base language, plus ``languages``.

    Itself the persona played in the base language; :meth:`in_language` gives the persona
    played in another (base + that language's overlay, validated as a whole)."""

    languages: dict[LanguageCode, LanguageOverlay] = Field(
        default_factory=dict,
        description="Per-language overlays, by language code (e.g. 'es', 'ru', 'zh').",
    )
    # language -> the resolved persona, or the problems that stop it (filled by the loader,
    # which knows the file's lines, or on first use).
    _resolved: dict[str, Persona | list] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _languages(self) -> PersonaFile:
        if self.languages and self.schema_version < 2:
            raise ValueError("'languages' needs schema_version: 2")
        if self.language in self.languages:
            raise ValueError(
                f"languages: {self.language!r} is the base language of this file; "
                "write it in the base, not as an overlay"
            )
        return self

    def content_hash(self) -> str:
        """The hash of the persona as played in its base language (overlays excluded:
        editing one language does not change another); ``in_language(L).content_hash()``
        for another language."""
        return Persona.model_validate(self.base_data()).content_hash()

    def base_data(self) -> dict:
        """The base persona as plain data, without the overlays."""
        return self.model_dump(mode="json", exclude={"languages"})

    def resolve_languages(self, name: str = "<persona>", lines: dict | None = None) -> list:
        """Resolve every overlay now, with problems located in the file ``name`` (whose
        field lines are ``lines``); return all the problems found."""
        from .resolve import resolve

        problems: list = []
        for language in self.languages:
            result = resolve(self, language, name, lines or {})
            self._resolved[language] = result
            if isinstance(result, list):
                problems += result
        return problems

    def _result(self, language: str) -> Persona | list:
        if language not in self._resolved:
            from .resolve import resolve

            self._resolved[language] = resolve(self, language, "<persona>", {})
        return self._resolved[language]

    def offered_languages(self) -> list[str]:
        """The languages this persona can be played in: the base one, then every overlay
        that resolves without problems."""
        return [self.language] + [
            lang for lang in self.languages if not isinstance(self._result(lang), list)
        ]

    def in_language(self, language: str) -> Persona:
        """The persona played in ``language``: itself for the base language, else the base
        with that language's overlay. :class:`FrontlineError` names the languages offered
        when it has none; :class:`FileProblems` when its overlay is broken."""
        if language == self.language:
            return self
        if language not in self.languages:
            raise FrontlineError(
                f"persona {self.id!r} is not offered in {language!r}; "
                f"it offers: {', '.join(self.offered_languages())}"
            )
        result = self._result(language)
        if isinstance(result, list):
            raise FileProblems(result)
        return result
