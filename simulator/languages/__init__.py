"""Language packs: everything language-specific, one folder per language (pack.py).

``prompt_overlays(language)`` finds its optional ``prompts.yaml`` files;
``splitter_for(language)`` cuts a turn into sentences and clauses as the language writes
them; ``pack_file(language, name)`` finds a pack's files, shipped first, then trainers'
(``FRONTLINE_LANGUAGES``); ``available_languages()`` lists the packs. Foundations layer:
imports no concept. See docs/languages.md.
"""

from .pack import (
    CODE,
    DEFAULT_SPLITTER,
    ENV,
    MANIFEST,
    PROMPTS,
    SHIPPED_DIR,
    LanguagePack,
    available_languages,
    check_folder_language,
    language_pack,
    load_pack,
    pack_file,
    pack_folders,
    prompt_overlays,
    shipped,
    splitter_for,
    trainer_folders,
)
from .splitter import Splitter

__all__ = [
    "CODE",
    "DEFAULT_SPLITTER",
    "ENV",
    "MANIFEST",
    "PROMPTS",
    "SHIPPED_DIR",
    "LanguagePack",
    "Splitter",
    "available_languages",
    "check_folder_language",
    "language_pack",
    "load_pack",
    "pack_file",
    "pack_folders",
    "prompt_overlays",
    "shipped",
    "splitter_for",
    "trainer_folders",
]
