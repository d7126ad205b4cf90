"""Finding the files to ingest: the files a user names, and every file under the folders they name.

Files of a folder whose names say they are no table (a .docx, a PDF, a WPS .et workbook) are listed as skipped
with the reason, once each; Office lock files (~$x.xlsx), hidden files and Windows' thumbnails are left out.
Each file has a display path: its path under the folder the user named ("examples/district/雨花街道/x.xlsx" →
"雨花街道/x.xlsx" when the user named "examples/district"), or the path as named for a file named itself. Two
files of one run never share a display path: where two folders hold a file of the same name, the folder's own
name (and, if need be, the path as named) is kept in front.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from .sniff import data_suffix, ignored, skip_reason


@dataclass(frozen=True)
class Found:
    """A file of the run: `path` to read, `shown` its display path, `named` whether the user named the file
    itself (not a folder holding it), `skip` why it is not read (None: it is read)."""

    path: Path
    shown: str
    named: bool
    skip: str | None = None
    longer: tuple[str, ...] = ()  # longer display paths, in order, for when `shown` is taken

    def shown_as(self, taken: set[str]) -> str:
        """The first of its display paths no other source has."""
        for name in (self.shown, *self.longer):
            if name not in taken:
                return name
        return str(self.path.resolve())


def discover(paths: Iterable[str | os.PathLike], exclude: Iterable[Path] = ()) -> list[Found]:
    """Every file named, and every file under every folder named (recursively), each once. `exclude`: files
    (resolved) never listed, and folders whose files are not (the workspace's own files, when it lies in a
    folder being read)."""
    leave = {Path(x) for x in exclude}
    found: list[Found] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or ignored(f) or any(ignored(Path(part)) for part in f.relative_to(p).parts[:-1]):
                    continue
                if leave and (f.resolve() in leave or any(d in leave for d in f.resolve().parents)):
                    continue
                rel = f.relative_to(p).as_posix()
                longer = tuple(dict.fromkeys(x for x in (f"{p.resolve().name}/{rel}", f.as_posix()) if x != rel))
                found.append(Found(f, rel, False, None if data_suffix(f) else skip_reason(f), longer))
        elif p.exists():
            found.append(Found(p, p.as_posix(), True, None, (str(p.resolve()),)))
        else:
            raise UsageError(_("{path}：没有这个文件或文件夹；请检查路径。").format(path=p))
    seen: set[Path] = set()
    unique: list[Found] = []
    for f in found:
        r = f.path.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return _apart(unique)


def _apart(found: list[Found]) -> list[Found]:
    """Display paths made distinct within the run (two folders named, each holding 台账.xlsx)."""
    for _round in range(3):
        count = Counter(f.shown for f in found)
        if all(n == 1 for n in count.values()):
            break
        found = [Found(f.path, f.longer[0], f.named, f.skip, f.longer[1:]) if count[f.shown] > 1 and f.longer else f
                 for f in found]
    count = Counter(f.shown for f in found)
    return [Found(f.path, str(f.path.resolve()), f.named, f.skip) if count[f.shown] > 1 else f for f in found]
