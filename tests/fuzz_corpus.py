"""A corpus of damaged and odd files made from the demo district, for the fuzz test (tests/sources/test_fuzz.py)
and the fuzz benchmark (benchmarks/fuzz.py).

Every case is one file in a folder of its own (`case0042_unclosed_quote/住户台帐/x.csv`: the path keeps the
street and kind words the demo's paths carry), of one of three sorts:

- clean: a demo file as it is; it must be ingested whole (the same rows, records and quarantined rows as in
  a clean ingest of the district).
- odd: readable, with something a real export does: two sheets of one name, an .xls renamed .xlsx (and back),
  HTML saved as .xls, a value in column XFD on every data row, and in text files a stray byte, a NUL, a BOM in
  the middle, lines in two encodings, a megabyte field, an unclosed quote. It must lose no row: records +
  quarantined = the demo file's data rows.
- damaged: byte flips, truncation, zip parts removed or corrupted, malformed sheet XML, a damaged .sav
  dictionary, junk under a table's name. It must either fail with one line naming it, or be read; it must
  never stop the call or cost another file a row.

Files that are no table (a .docx, a PDF, a readme, a WPS .et) are listed as skipped.

`build_corpus` is deterministic for a seed; `reference` reads what a clean ingest holds for each demo file.
"""

from __future__ import annotations

import hashlib
import html
import io
import random
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from census.sources.readers import read_source
from census.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent
DISTRICT = ROOT / "examples" / "district"


@dataclass(frozen=True)
class Ref:
    """What a clean ingest of the district holds for one demo file."""

    path: str  # under the district folder
    data_rows: int
    records: int
    quarantined: int
    nondata: int
    rows: dict[str, list[int]]  # sheet → its data rows (record or quarantined)


@dataclass
class Case:
    shown: str  # the display path when the batch folder is ingested
    sort: str  # clean, odd, damaged, nondata
    mutation: str
    source: str  # the demo file it was made from ("" for made-up files)


def reference(ws: Workspace) -> dict[str, Ref]:
    """Each demo file's counts and data rows, from a workspace holding the demo district ingested from
    examples/district."""
    rows: dict[int, dict[str, list[int]]] = {}
    for sid, sheet, row in ws.query("SELECT source_id, sheet, row FROM records ORDER BY source_id, sheet, row"):
        rows.setdefault(sid, {}).setdefault(sheet, []).append(row)
    return {p: Ref(p, d, r, q, n, rows.get(sid, {}))
            for sid, p, d, r, q, n in ws.query("SELECT source_id, path, data_rows, records, quarantined, nondata FROM sources")}


# ============================================================================================ helpers
def _rezip(data: bytes, change) -> bytes:
    """The zip rewritten: `change(name, bytes)` returns the member's new bytes, or None to leave it out."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            new = change(info.filename, zin.read(info.filename))
            if new is not None:
                zout.writestr(info.filename, new)
    return out.getvalue()


def _sheet_members(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return sorted(n for n in zf.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml$", n))


def _flip(rng: random.Random, data: bytes, n: int, lo: int = 0, hi: int | None = None) -> bytes:
    b = bytearray(data)
    hi = len(b) if hi is None else min(hi, len(b))
    for _ in range(n):
        b[rng.randrange(lo, hi)] = rng.randrange(256)
    return bytes(b)


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n") if b"\r\n" in data else data.split(b"\n")


def _join(lines: list[bytes], data: bytes) -> bytes:
    return (b"\r\n" if b"\r\n" in data else b"\n").join(lines)


# ============================================================================================ odd files
def _dup_sheets(rng, data: bytes, ref: Ref) -> bytes | None:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        wb = zf.read("xl/workbook.xml").decode("utf-8")
    names = re.findall(r'<sheet [^>]*name="([^"]*)"', wb)
    if len(names) < 2:
        return None
    k = rng.randrange(1, len(names))
    wb2 = wb.replace(f'name="{names[k]}"', f'name="{names[0]}"', 1)
    return _rezip(data, lambda n, d: wb2.encode("utf-8") if n == "xl/workbook.xml" else d)


def _xfd(rng, data: bytes, ref: Ref) -> bytes | None:
    """A value in column XFD on every data row of the first sheet (by the reference's rows)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        wb = zf.read("xl/workbook.xml").decode("utf-8")
    first = re.findall(r'<sheet [^>]*name="([^"]*)"', wb)[0]
    rows = set(ref.rows.get(html.unescape(first), []))
    if not rows:
        return None
    member = _sheet_members(data)[0]

    def add(m: re.Match) -> bytes:
        r = int(m.group(1))
        cell = f'<c r="XFD{r}" t="inlineStr"><is><t>备注{r}</t></is></c>'.encode() if r in rows else b""
        return m.group(0)[: -len(b"</row>")] + cell + b"</row>"

    def change(name, d):
        if name != member:
            return d
        d = re.sub(rb'<dimension ref="[^"]*"/>', b"", d) if rng.random() < 0.3 else d  # a sheet without a <dimension>
        return re.sub(rb'<row r="(\d+)"[^>]*>.*?</row>', add, d, flags=re.S)

    return _rezip(data, change)


def _as_html(rng, path: Path, ref: Ref) -> bytes | None:
    """The file's sheets as the HTML tables a web system saves as .xls."""
    try:
        src = read_source(path)
    except Exception:  # noqa: BLE001
        return None
    parts = []
    for t in src.tables:
        rows = []
        for i in range(len(t.cells)):
            cells = ["" if pd.isna(v) else str(v) for v in t.cells.iloc[i].tolist()]
            rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
        parts.append("<table border=1>\n" + "\n".join(rows) + "\n</table>")
    gbk = rng.random() < 0.5
    page = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=' + ("gb2312" if gbk else "utf-8")
            + '"></head><body>\n' + "\n<br>\n".join(parts) + "\n</body></html>\n")
    return page.encode("gb18030" if gbk else "utf-8")


def _text_fault(rng, data: bytes, ref: Ref, kind: str) -> bytes | None:
    lines = _lines(data)
    rows = ref.rows.get("", [])
    if len(rows) < 3:
        return None
    at = rng.sample(rows, min(len(rows), 3 if kind in ("bad_byte", "nul", "mixed_encoding") else 1))
    for r in at:
        line = lines[r - 1]
        cut = rng.randrange(1, max(2, len(line) - 1))
        if kind == "bad_byte":
            while True:  # a byte that is no GB18030 (nor UTF-8) where it lands
                cut = rng.randrange(1, max(2, len(line) - 1))
                if line[cut - 1] < 0x80:
                    break
            line = line[:cut] + b"\xff" + line[cut:]
        elif kind == "nul":
            line = line[:cut] + b"\x00" + line[cut:]
        elif kind == "bom_inside":
            line = "\ufeff".encode("gb18030") + line
        elif kind == "mixed_encoding":
            line = line.decode("gb18030").encode("utf-8")
        elif kind == "big_field":
            cells = line.split(b",")
            cells[-1] = cells[-1] + ("很长的备注" * 210_000).encode("gb18030")[: 1 << 20]
            line = b",".join(cells)
        elif kind == "unclosed_quote":
            cells = line.split(b",")
            k = rng.randrange(1, len(cells))
            cells[k] = b'"' + cells[k]
            line = b",".join(cells)
        lines[r - 1] = line
    return _join(lines, data)


# ============================================================================================ damaged files
def _damage(rng: random.Random, kind: str, data: bytes, ext: str) -> bytes | None:
    if kind == "flip":
        return _flip(rng, data, rng.choice([1, 3, 10, 40]))
    if kind == "truncate":
        return data[: rng.randrange(1, max(2, len(data) - 1))]
    if kind == "sav_dictionary":
        return _flip(rng, data, rng.choice([1, 2, 4]), 64, 4000) if ext == ".sav" else None
    if ext not in (".xlsx", ".xlsm"):
        if kind == "junk":
            return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000)))
        if kind == "bad_quotes" and ext == ".csv":
            lines = _lines(data)
            for _ in range(rng.randrange(1, 6)):
                i = rng.randrange(len(lines))
                pos = rng.randrange(len(lines[i]) + 1)
                lines[i] = lines[i][:pos] + b'"' + lines[i][pos:]
            return _join(lines, data)
        return None
    members = zipfile.ZipFile(io.BytesIO(data)).namelist()
    if kind == "zip_member_removed":
        gone = rng.choice(members)
        return _rezip(data, lambda n, d: None if n == gone else d)
    if kind == "zip_member_corrupt":
        bad = rng.choice(members)
        return _rezip(data, lambda n, d: _flip(rng, d, rng.choice([1, 5, 30])) if n == bad else d)
    if kind == "malformed_xml":
        sheet = rng.choice(_sheet_members(data) or members)
        how = rng.choice(["cut", "tag", "amp", "ctrl"])

        def change(n, d):
            if n != sheet:
                return d
            if how == "cut":
                return d[: rng.randrange(len(d) // 3, len(d))]
            if how == "tag":
                pos = d.find(b"<row", len(d) // 3)
                return d[:pos] + b"<row <c>" + d[pos:] if pos > 0 else d + b"<unclosed"
            if how == "amp":
                return d.replace(b"</t>", b" & </t>", 3)
            return d.replace(b"<v>", b"<v>\x01\x02", 2)

        return _rezip(data, change)
    return None


DAMAGES = ("flip", "truncate", "zip_member_removed", "zip_member_corrupt", "malformed_xml", "sav_dictionary", "junk", "bad_quotes")
ODD_TEXT = ("bad_byte", "nul", "bom_inside", "mixed_encoding", "big_field", "unclosed_quote")
NONDATA = {"说明.docx": b"PK\x03\x04 not really a docx", "扫描件.pdf": b"%PDF-1.4\n%...",
           "说明.txt": "本文件夹为各社区报送的台账，请勿改动。\n如有疑问请联系街道统战办。\n".encode(),
           "汇总表.et": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512}


ODD = {  # an odd but readable version of a file: the kinds of file it can be made from
    "dup_sheets": (".xlsx",), "xfd": (".xlsx",), "as_html": (".xlsx", ".xls"), "renamed_xls": (".xlsx", ".csv"),
    "renamed_xlsx": (".xls",), "renamed_csv": (".sav",), **dict.fromkeys(ODD_TEXT, (".csv",)),
}


def _odd(rng: random.Random, kind: str, path: Path, ref: Ref) -> tuple[str, str, bytes] | None:
    """(mutation, file name, bytes) of an odd but readable version of a demo file, or None."""
    data = path.read_bytes()
    if kind == "dup_sheets":
        new = _dup_sheets(rng, data, ref)
    elif kind == "xfd":
        new = _xfd(rng, data, ref)
    elif kind == "as_html":
        new = _as_html(rng, path, ref)
    elif kind in ODD_TEXT:
        new = _text_fault(rng, data, ref, kind)
    else:
        new = data
    suffix = {"renamed_xls": ".xls", "renamed_xlsx": ".xlsx", "renamed_csv": ".csv", "as_html": ".xls"}.get(kind, path.suffix)
    return (kind, path.stem + suffix, new) if new is not None else None


# ============================================================================================ the corpus
def build_corpus(out: Path, refs: dict[str, Ref], batches: int, per_batch: int = 50, seed: int = 13) -> list[list[Case]]:
    """`batches` folders under `out` (batch000, batch001 …) of about `per_batch` files each: about a fifth
    clean, a third odd, the rest damaged (one of them a .sav that crashes its reader), and one file of each
    batch no table. Within a batch no two files have the same content (a copy would be "already ingested")."""
    rng = random.Random(seed)
    sources = sorted(p for p in DISTRICT.rglob("*") if p.is_file())
    out.mkdir(parents=True, exist_ok=True)
    all_cases: list[list[Case]] = []
    n = 0
    for b in range(batches):
        folder = out / f"batch{b:03d}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        seen: set[str] = set()
        cases: list[Case] = []
        clean = rng.sample(sources, k=min(len(sources), per_batch // 5))
        wanted = [("clean", p) for p in clean]
        kinds = sorted(ODD)
        rng.shuffle(kinds)
        wanted += [(kinds[k % len(kinds)], None) for k in range(per_batch // 3)]
        wanted += [("damaged", rng.choice(sources)) for _ in range(per_batch - len(wanted) - 2)]
        for sort, p in wanted:
            odd_kind = None
            if sort in ODD:
                sort, odd_kind = "odd", sort
                p = rng.choice([q for q in sources if q.suffix.lower() in ODD[odd_kind]])
            rel = p.relative_to(DISTRICT).as_posix()
            ref = refs[rel]
            for _attempt in range(12):
                if sort == "clean":
                    made = ("clean", p.name, p.read_bytes())
                elif sort == "odd":
                    made = _odd(rng, odd_kind, p, ref)
                else:
                    kind = rng.choice(DAMAGES)
                    data = _damage(rng, kind, p.read_bytes(), p.suffix.lower())
                    made = (kind, p.name, data) if data is not None else None
                if made is not None and hashlib.sha256(made[2]).hexdigest() not in seen:
                    break
                if sort != "clean":
                    if odd_kind is not None and _attempt >= 3:  # (a renamed copy of the one .xls is the clean copy)
                        odd_kind = rng.choice(sorted(ODD))
                    p = rng.choice([q for q in sources if odd_kind is None or q.suffix.lower() in ODD[odd_kind]])
                    rel = p.relative_to(DISTRICT).as_posix()
                    ref = refs[rel]
            else:
                continue
            mutation, name, data = made
            seen.add(hashlib.sha256(data).hexdigest())
            case_dir = f"case{n:04d}_{mutation}"
            target = folder / case_dir / Path(rel).parent / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            cases.append(Case(f"{case_dir}/{Path(rel).parent.as_posix()}/{name}", sort, mutation, rel))
            n += 1
        sav = DISTRICT / "问卷" / "雨花台区新的社会阶层人士问卷调查_2026.sav"
        if sav.exists():  # a .sav that kills pyreadstat (a segmentation fault), with a stray byte of its own
            data = bytearray(sav.read_bytes())
            data[1797] = 0x37
            data[-1 - b] = (data[-1 - b] + 1) % 256
            (folder / f"case{n:04d}_sav_crash" / "问卷").mkdir(parents=True)
            (folder / f"case{n:04d}_sav_crash" / "问卷" / sav.name).write_bytes(bytes(data))
            cases.append(Case(f"case{n:04d}_sav_crash/问卷/{sav.name}", "damaged", "sav_crash", "问卷/" + sav.name))
            n += 1
        name, data = rng.choice(sorted(NONDATA.items()))
        (folder / f"case{n:04d}_nondata").mkdir()
        (folder / f"case{n:04d}_nondata" / name).write_bytes(data)
        cases.append(Case(f"case{n:04d}_nondata/{name}", "nondata", "nondata", ""))
        n += 1
        all_cases.append(cases)
    return all_cases


# ============================================================================================ the checks
@dataclass
class Findings:
    """What one ingest call made of a batch, against what each case must give."""

    files: int = 0
    failed: int = 0
    skipped: int = 0
    rows_lost: int = 0  # rows of clean and odd files that are neither records nor quarantined
    problems: list[str] | None = None  # one line per case that did not end as it must

    def add(self, problem: str) -> None:
        if self.problems is None:
            self.problems = []
        self.problems.append(problem)


def check(result, cases: list[Case], refs: dict[str, Ref]) -> Findings:
    """Every case of the batch has its one result: clean files whole, odd files without a lost row, failures
    in one line naming the file, files that are no table skipped."""
    found = Findings(files=len(cases))
    by_path = {f.path: f for f in result.files}
    for case in cases:
        f = by_path.get(case.shown)
        if f is None:
            found.add(f"{case.shown}: no result")
            continue
        found.failed += f.status == "failed"
        found.skipped += f.status == "skipped"
        if f.status in ("failed", "skipped") and (not f.message or case.shown not in f.message or "\n" in f.message):
            found.add(f"{case.shown}: {f.status} without one line naming it: {f.message!r}")
        if case.sort == "nondata":
            if f.status != "skipped":
                found.add(f"{case.shown}: not skipped ({f.status})")
            continue
        if case.sort == "damaged":
            if f.status not in ("ingested", "failed"):
                found.add(f"{case.shown}: {f.status}")
            continue
        ref = refs[case.source]
        got = f.records + f.quarantined if f.status == "ingested" else 0
        if got < ref.data_rows:
            found.rows_lost += ref.data_rows - got
        if f.status != "ingested" or got != ref.data_rows:
            found.add(f"{case.shown} ({case.mutation}): {f.status}, {got} of {ref.data_rows} rows; {f.message or ''}")
        elif case.sort == "clean" and (f.records, f.quarantined, f.nondata) != (ref.records, ref.quarantined, ref.nondata):
            found.add(f"{case.shown}: {f.records}/{f.quarantined}/{f.nondata} records/quarantined/non-data, "
                      f"not {ref.records}/{ref.quarantined}/{ref.nondata}")
    return found
