"""Pydantic's validation errors in words a trainer understands.

Every loader turns pydantic errors into problems through
:func:`simulator.yamlfile.validation_problems`, which asks :func:`human_message` for the
text: so ``frontline validate``, the persona designer and every other loader say the same
thing (``id: must be lowercase letters, digits and hyphens, …``), never a raw regular
expression or pydantic's internal wording.
"""

from __future__ import annotations

from typing import Any

# What a field's pattern means, by the pattern the models declare.
PATTERN_MEANINGS = {
    r"^[a-z0-9][a-z0-9-]{1,62}$": "lowercase letters, digits and hyphens, 2–63 characters, "
    "starting with a letter or digit",
    r"^[a-z0-9][a-z0-9-]*$": "lowercase letters, digits and hyphens, starting with a letter "
    "or digit",
    r"^[a-z]{2}(-[A-Z]{2})?$": "a language code such as en or en-GB",
    r"^§\d+(\.\d+)*\b": "a DOMAIN section reference such as §3.2",
    r"^§\d": "a DOMAIN section reference such as §3.2",
    r"^[a-z0-9][a-z0-9._-]{0,39}$": "lowercase letters, digits, dots, hyphens and "
    "underscores, 1–40 characters, starting with a letter or "
    "digit",
    r"\S": "text, not only spaces",  # a phrase (persona/model.py: Phrase)
    r"^(en|es|ru|zh|bg|pt)-[0-9]{4,}$": "a language code (en, es, ru, zh, bg, pt), a hyphen "
    "and at least four digits, such as es-0042",  # a corpus turn's id (moves/corpus.py)
}
SHOWN_INPUT = 60  # characters of the offending value quoted back


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_INPUT else text[: SHOWN_INPUT - 1] + "…"


def _plural(n: Any, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def human_message(err: dict) -> str:
    """The message for one entry of ``ValidationError.errors()``."""
    kind, ctx, given = err.get("type", ""), err.get("ctx") or {}, err.get("input")
    got = f" (got {_shown(given)})" if "input" in err and not isinstance(given, dict) else ""
    if kind == "string_pattern_mismatch":
        meaning = PATTERN_MEANINGS.get(ctx.get("pattern", ""))
        return f"must be {meaning}{got}" if meaning else f"does not have the expected form{got}"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("enum", "literal_error"):
        return f"must be {ctx.get('expected', '')}{got}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number{got}"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number{got}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false{got}"
    if kind == "string_type":
        return f"must be text{got}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"must be a list (lines starting with '- '){got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of fields (key: value lines){got}"
    limits = {
        "greater_than_equal": ("at least", "ge"),
        "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"),
        "less_than": ("less than", "lt"),
    }
    if kind in limits:
        words, key = limits[kind]
        limit = ctx.get(key)
        limit = f"{limit:g}" if isinstance(limit, float) else limit
        return f"must be {words} {limit}{got}"
    if kind == "too_short":
        return f"must have at least {_plural(ctx.get('min_length'), 'item')}"
    if kind == "too_long":
        return f"must have at most {_plural(ctx.get('max_length'), 'item')}"
    if kind == "string_too_short":
        n = ctx.get("min_length")
        return "must not be empty" if n == 1 else f"must be at least {n} characters{got}"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    msg = str(err.get("msg", "is not valid"))
    return msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
