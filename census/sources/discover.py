"""Finding the files to ingest: the files a user names, and every supported file under the folders they name."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from .readers import SUPPORTED


def discover(paths: Iterable[str | os.PathLike]) -> list[tuple[Path, str]]:
    """(file, display path) for every supported file: files as named, directories recursively, with the
    display path under the directory the user named ("examples/district/雨花街道/x.xlsx" → "雨花街道/x.xlsx" when
    the user named "examples/district"). Temporary Office lock files (~$x.xlsx) are left out."""
    found: list[tuple[Path, str]] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUPPORTED and not f.name.startswith(("~$", ".")):
                    found.append((f, f.relative_to(p).as_posix()))
        elif p.exists():
            found.append((p, p.as_posix()))
        else:
            raise UsageError(_("{path}：没有这个文件或文件夹。").format(path=p))
    seen: set[Path] = set()
    unique = []
    for f, d in found:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append((f, d))
    return unique
