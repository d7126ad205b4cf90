"""Translations. Every text a person reads is written in Chinese in the code, marked with `_()`; English comes
from the gettext catalog `census/locale/en/LC_MESSAGES/census.mo` for those who set `CENSUS_LANG=en` (or an
English `LANG`). `N_()` marks a text for the catalog where it is defined (a table of messages) and `_()` is
applied where it is shown.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "census"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("zh", "en")

_catalog: gettext.NullTranslations = gettext.NullTranslations()
_language = "zh"


def language_from_environment(env: Mapping[str, str] = os.environ) -> str:
    """"en" when CENSUS_LANG (else the first of LANGUAGE, LC_ALL, LC_MESSAGES, LANG that is set) names English,
    else "zh" (a server's LANG=C.UTF-8 keeps Chinese)."""
    for key in ("CENSUS_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(key)
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def set_language(language: str) -> None:
    """Show texts in `language` ("zh" or "en") from now on."""
    global _catalog, _language
    _language = "en" if language == "en" else "zh"
    _catalog = (gettext.translation(DOMAIN, LOCALE_DIR, ["en"], fallback=True) if _language == "en"
                else gettext.NullTranslations())


def language() -> str:
    return _language


def _(message: str) -> str:
    """The text in the current language (the Chinese text itself, or its English translation); "" stays "" (gettext
    would give the catalog's header)."""
    return _catalog.gettext(message) if message else message


def listing(items) -> str:
    """Items as a list in a sentence: "甲、乙、丙" (in English "a, b, c")."""
    return _("、").join(str(i) for i in items)


def N_(message: str) -> str:
    """Mark a text for the catalog without translating it here (it is translated with `_()` where shown)."""
    return message


set_language(language_from_environment())
