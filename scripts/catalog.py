"""The English catalog of census's texts, kept in step with the code (needs Babel: `pip install -e ".[dev]"`).

Every text a person reads is written in Chinese in the code and marked with `_()` (translated where it is shown) or
`N_()` (marked where it is defined, translated later with `_()`). This script extracts those texts from `census/`
with Babel, merges them into `census/locale/en/LC_MESSAGES/census.po` (new texts come in untranslated, texts no
longer in the code are dropped, translations are kept), compiles `census.mo` next to it, and lists the texts that
still need an English translation:

    python scripts/catalog.py            # update census.po and census.mo from the code; exit 1 while texts lack English
    python scripts/catalog.py --check    # change nothing; exit 1 if census.po or census.mo is not up to date

A translator then fills in the empty `msgstr ""` of census.po (keeping every {placeholder} of the msgid) and runs
the script again to compile census.mo. Both files are committed; the wheel ships census.mo. `tests/test_i18n.py`
fails while any text lacks a translation or census.mo is not compiled from census.po.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "census"
DOMAIN = "census"
PO = PACKAGE / "locale" / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None}
PLACEHOLDER = re.compile(r"(?<!\{)\{(\w*)(?:[:!][^{}]*)?\}(?!\})")


def extract() -> Catalog:
    """Every text marked with _() or N_() in the package, with where it is used."""
    template = Catalog(domain=DOMAIN, project="census", charset="utf-8", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
        template.add(message, None, [(f"census/{filename}", lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(path: Path = PO) -> Catalog:
    if not path.exists():
        return Catalog(locale="en", domain=DOMAIN, project="census", charset="utf-8", fuzzy=False, msgid_bugs_address="",
                       header_comment="# English translations of census's texts (the code is written in Chinese).\n"
                                      "# Update with: python scripts/catalog.py (see its docstring).\n#")
    with path.open("rb") as fh:
        return read_po(fh, locale="en", domain=DOMAIN)


def merged(template: Catalog, catalog: Catalog) -> Catalog:
    """`catalog` with the msgids of `template`: translations kept, new texts empty, vanished texts dropped; a
    text that only resembles an old one is not guessed (no fuzzy matching)."""
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    catalog.obsolete.clear()
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=0, sort_output=True, include_lineno=False, ignore_obsolete=True)
    return buf.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def placeholders(text: str) -> list[str]:
    """The names of the {placeholders} of a text (each once: a translation may use one more or less often)."""
    return sorted(set(PLACEHOLDER.findall(text)))


def problems(template: Catalog, catalog: Catalog) -> list[str]:
    """Texts of the code without an English translation, translations that are marked fuzzy, and translations
    whose {placeholders} differ from their text's."""
    out = []
    for message in template:
        if not message.id:
            continue
        found = catalog.get(message.id, context=message.context)
        where = ", ".join(f for f, _line in message.locations)
        if found is None or not found.string:
            out.append(f"no English for {message.id!r} ({where})")
        elif found.fuzzy:
            out.append(f"fuzzy (unchecked) English for {message.id!r} ({where})")
        elif placeholders(found.string) != placeholders(message.id):
            out.append(f"the English for {message.id!r} has placeholders {placeholders(found.string)}, "
                       f"the text has {placeholders(message.id)} ({where})")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail if census.po or census.mo is stale")
    args = parser.parse_args(argv)
    template = extract()
    catalog = merged(template, read_catalog())
    po, mo = po_bytes(catalog), mo_bytes(catalog)
    found = problems(template, catalog)
    if args.check:
        stale = [p.name for p, data in ((PO, po), (MO, mo)) if not p.exists() or p.read_bytes() != data]
        for name in stale:
            print(f"{name} is not up to date with the code: run python scripts/catalog.py", file=sys.stderr)
    else:
        PO.parent.mkdir(parents=True, exist_ok=True)
        PO.write_bytes(po)
        MO.write_bytes(mo)
        print(f"{PO.relative_to(ROOT)}: {len(template)} texts; compiled {MO.relative_to(ROOT)}", file=sys.stderr)
        stale = []
    for p in found:
        print(p, file=sys.stderr)
    return 1 if found or stale else 0


if __name__ == "__main__":
    sys.exit(main())
