"""Snapshot a census workspace value by value, and compare two snapshots (a refactor must change neither).

    python benchmarks/compare_workspaces.py snapshot census.duckdb snap/ [--as-of 2026-11-30]
    python benchmarks/compare_workspaces.py compare snap_before/ snap_after/     # exit 1 on any difference

`snapshot` reads the DuckDB file with plain `duckdb` (read-only, no `census` import), so it works on a workspace
of any version: every table of the database goes to `tables/<table>.parquet`, ordered by all its columns. Columns
that differ from run to run by nature (timestamps, durations, temp paths: matched by name, see RUN_DEPENDENT)
are left out and named in `manifest.json`, with each table's columns, types and row count. Then, through the
`census` package found on sys.path (PYTHONPATH=/path/to/checkout picks the code), it writes `tallies.json`:
tallies under both schemes by every dimension, nested tallies, crosstabs, narratives and the status, computed on
a copy of the file with a fixed as-of date. A call that fails is recorded as its error, not fatal.

`compare` reports per table the rows of each side, whether they are identical (as multisets of rows over the
common columns), example rows found on one side only, and the columns that differ; then every tally. Columns or
tables present on one side only are reported (not fatal by themselves); exit status 1 if any value differs.

The old code is not reproducible run to run (measured: the same input ingested and linked twice), so a strict
compare of two runs of even the same code can differ. `compare --loose` accepts exactly that noise, counts it,
and still fails on anything else:
  * DOUBLE columns within a relative --float-tol (Splink's weights and probabilities differ in the last bits:
    DuckDB's parallel sums), rows matched on their key;
  * issues person.conflict_*: the 、-joined values in value/message in any order (string_agg(DISTINCT …) with
    no ORDER BY in link.py);
  * persons.phone: any element of the person's (strictly compared) phones; persons.name / name_pinyin: any
    name / pinyin of the person's records (arg_min over (count, rank) ties, no final tie-breaker);
  * classifications.reason: free text, when category, grp, rule, declared and conflict are equal (classify's
    evidence takes arg_min(unit_type, rank) etc. with ties unbroken).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

# Column names whose values depend on the run, not on the data: when, how long, which temp folder.
RUN_DEPENDENT = [
    r".*_at$", r"^(created|updated|modified|ingested|decided|started|finished|generated)(_(on|time|ts|date))?$",
    r".*(timestamp|datetime|_time|_ts)$", r"^(time|date_created)$",
    r".*(seconds|duration|elapsed|_secs?|_ms)$", r".*(tmp|temp)(_?(dir|path|file))?$",
]
# meta rows (key/value) whose key says the same
RUN_DEPENDENT_KEYS = RUN_DEPENDENT

# every tally dimension census has had (the package's own list is added to it)
KNOWN_DIMENSIONS = ["category", "street", "community", "sex", "age_band", "education", "political_status", "party",
                    "representative", "unit_type", "source_kind"]
SCHEMES = ["current4", "legacy6"]


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def run_dependent(name: str, extra: list[str]) -> bool:
    return name in extra or any(re.fullmatch(p, name, re.IGNORECASE) for p in RUN_DEPENDENT)


# ================================================================================================ snapshot
def dump_tables(db: Path, out: Path, extra_exclude: list[str]) -> dict:
    (out / "tables").mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET threads = 1")  # order of rows in the file: exactly the ORDER BY
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        tables = con.execute(
            "SELECT table_schema, table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = ? ORDER BY table_schema, table_name", [catalog]).fetchall()
        manifest: dict = {"database": str(db.resolve()), "duckdb": duckdb.__version__, "tables": {}, "excluded_columns": {},
                          "excluded_meta_keys": [], "run_dependent_patterns": RUN_DEPENDENT, "extra_excluded": extra_exclude}
        for schema, name, ttype in tables:
            label = name if schema == "main" else f"{schema}.{name}"
            full = f"{q(schema)}.{q(name)}"
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                [catalog, schema, name]).fetchall()
            kept = [(c, t) for c, t in cols if not run_dependent(c, extra_exclude)]
            dropped = [c for c, _ in cols if run_dependent(c, extra_exclude)]
            if dropped:
                manifest["excluded_columns"][label] = dropped
            where = ""
            names = [c for c, _ in cols]
            if {"key", "value"} <= set(names):  # a key/value table such as meta: drop run-dependent keys
                keys = [k for (k,) in con.execute(f"SELECT DISTINCT key FROM {full}").fetchall()]
                bad = sorted(k for k in keys if k is not None and run_dependent(str(k), extra_exclude))
                if bad:
                    manifest["excluded_meta_keys"] += [f"{label}.{k}" for k in bad]
                    where = " WHERE key NOT IN (" + ", ".join("'" + k.replace("'", "''") + "'" for k in bad) + ")"
            select = ", ".join(q(c) for c, _ in kept) or "NULL AS no_columns"
            target = out / "tables" / f"{label}.parquet"
            t = time.perf_counter()
            con.execute(f"COPY (SELECT {select} FROM {full}{where} ORDER BY ALL) TO '{target.as_posix()}' (FORMAT parquet)")
            n = con.execute(f"SELECT count(*) FROM read_parquet('{target.as_posix()}')").fetchall()[0][0]
            manifest["tables"][label] = {"type": ttype, "rows": n, "columns": {c: t for c, t in kept},
                                         "dump_s": round(time.perf_counter() - t, 2)}
        manifest["macros"] = {f"{s}.{n}": str(m) for s, n, m in con.execute(
            "SELECT schema_name, function_name, macro_definition FROM duckdb_functions() "
            "WHERE function_type IN ('macro', 'table_macro') AND database_name = ? ORDER BY ALL", [catalog]).fetchall()}
    finally:
        con.close()
    return manifest


def _tally_calls(census, ws, as_of: date) -> dict:
    """name → a function returning something JSON-able."""
    tally = getattr(census, "tally", None)
    crosstab = getattr(census, "crosstab", None)
    narrative = getattr(census, "narrative", None)
    if tally is None or crosstab is None or narrative is None:  # the API may have moved
        try:
            from census import tally as mod  # type: ignore
            tally, crosstab, narrative = tally or mod.tally, crosstab or mod.crosstab, narrative or mod.narrative
        except Exception:
            pass
    dims = list(KNOWN_DIMENSIONS)
    try:
        from census.tally import DIMENSIONS  # type: ignore

        dims += [d for d in DIMENSIONS if d not in dims]
    except Exception:
        pass
    street = None  # for the filtered calls: the first street of the register
    try:
        rows = ws.query("SELECT name FROM regions WHERE level = 'street' ORDER BY code LIMIT 1")
        street = rows[0][0] if rows else None
    except Exception:
        pass

    calls: dict = {}
    for scheme in SCHEMES:
        for d in dims:
            calls[f"{scheme}/by={d}"] = lambda s=scheme, d=d: tally(ws, s, by=[d], as_of=as_of).to_dict()
        for by in (["street", "category"], ["street", "community", "category"], ["category", "sex", "age_band"]):
            calls[f"{scheme}/by={'+'.join(by)}"] = lambda s=scheme, b=by: tally(ws, s, by=b, as_of=as_of).to_dict()
        calls[f"{scheme}/by=street+category/percent=row"] = lambda s=scheme: tally(
            ws, s, by=["street", "category"], as_of=as_of, percent="row").to_dict()
        calls[f"{scheme}/by=community+category/suppress=5/complementary"] = lambda s=scheme: tally(
            ws, s, by=["community", "category"], as_of=as_of, suppress=5, complementary=True).to_dict()
        calls[f"{scheme}/crosstab=street×category"] = lambda s=scheme: crosstab(
            ws, s, rows="street", cols="category", as_of=as_of).to_dict()
        calls[f"{scheme}/crosstab=community×category/percent=col/suppress=5"] = lambda s=scheme: crosstab(
            ws, s, rows="community", cols="category", as_of=as_of, percent="col", suppress=5, complementary=True).to_dict()
        calls[f"{scheme}/crosstab=age_band×sex"] = lambda s=scheme: crosstab(
            ws, s, rows="age_band", cols="sex", as_of=as_of).to_dict()
        calls[f"{scheme}/narrative"] = lambda s=scheme: narrative(ws, s)
        if street:
            calls[f"{scheme}/by=community+category/where=street"] = lambda s=scheme: tally(
                ws, s, by=["community", "category"], where={"street": street}, as_of=as_of).to_dict()
            calls[f"{scheme}/narrative/where=street"] = lambda s=scheme: narrative(ws, s, {"street": street})

    def status():
        d = census.status(ws).to_dict()
        d.pop("db", None)
        for s in d.get("sources", []):
            for k in [k for k in s if run_dependent(k, [])]:
                s.pop(k)
        return d

    calls["status"] = status
    return calls


def snapshot_tallies(db: Path, out: Path, as_of: date) -> dict:
    result: dict = {"as_of": as_of.isoformat(), "tallies": {}}
    try:
        import census
    except Exception as e:  # noqa: BLE001
        result["error"] = f"import census: {type(e).__name__}: {e}"
        return result
    result["census_file"] = getattr(census, "__file__", None)
    result["census_version"] = getattr(census, "__version__", None)
    with tempfile.TemporaryDirectory(prefix="census_snap_") as tmp:  # never touch the workspace itself
        copy = Path(tmp) / db.name
        shutil.copy2(db, copy)
        wal = db.with_name(db.name + ".wal")
        if wal.exists():
            shutil.copy2(wal, copy.with_name(copy.name + ".wal"))
        t0 = time.perf_counter()
        try:
            ws = census.Workspace(copy)
        except Exception as e:  # noqa: BLE001
            result["error"] = f"census.Workspace: {type(e).__name__}: {e}"
            return result
        try:
            for name, fn in _tally_calls(census, ws, as_of).items():
                try:
                    result["tallies"][name] = fn()
                except Exception as e:  # noqa: BLE001
                    result["tallies"][name] = {"error": f"{type(e).__name__}: {e}"}
        finally:
            ws.close()
        result["tallies_s"] = round(time.perf_counter() - t0, 1)
    return result


def cmd_snapshot(args) -> int:
    db, out = Path(args.db), Path(args.outdir)
    if not db.exists():
        print(f"{db}: no such file", file=sys.stderr)
        return 2
    if (out / "tables").exists():
        shutil.rmtree(out / "tables")
    out.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    manifest = dump_tables(db, out, args.exclude or [])
    manifest["as_of"] = args.as_of
    if not args.no_tallies:
        tallies = snapshot_tallies(db, out, date.fromisoformat(args.as_of))
        (out / "tallies.json").write_text(json.dumps(tallies, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        errors = [k for k, v in tallies["tallies"].items() if isinstance(v, dict) and set(v) == {"error"}]
        manifest["census_file"] = tallies.get("census_file")
        manifest["tally_errors"] = errors + ([tallies["error"]] if "error" in tallies else [])
    manifest["snapshot_s"] = round(time.perf_counter() - t, 1)
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    for name, info in manifest["tables"].items():
        print(f"{name:24} {info['rows']:>10,} rows")
    if manifest["excluded_columns"] or manifest["excluded_meta_keys"]:
        print("excluded (run-dependent):", json.dumps(manifest["excluded_columns"], ensure_ascii=False),
              *manifest["excluded_meta_keys"])
    if not args.no_tallies:
        print(f"tallies: {len(tallies['tallies'])} from {tallies.get('census_file')}; errors: {manifest['tally_errors'] or 'none'}")
    print(f"snapshot written to {out} in {manifest['snapshot_s']} s")
    return 0


# ================================================================================================ compare
# keys tried, in order, to say which columns of a row differ (the first present on both sides and unique on both)
KEYS = [("record_id",), ("person_id", "scheme"), ("person_id",), ("record_a", "record_b"), ("source_id", "sheet", "row", "kind"),
        ("source_id", "sheet"), ("source_id",), ("decision_id",), ("level", "code"), ("key",)]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def compare_table(con, name: str, a: Path, b: Path, examples: int, loose: bool = False, tol: float = 1e-9) -> bool:
    con.execute(f"CREATE OR REPLACE VIEW ta AS SELECT * FROM read_parquet('{a.as_posix()}')")
    con.execute(f"CREATE OR REPLACE VIEW tb AS SELECT * FROM read_parquet('{b.as_posix()}')")
    ca = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE ta)").fetchall())
    cb = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE tb)").fetchall())
    common = [c for c in ca if c in cb]
    na = con.execute("SELECT count(*) FROM ta").fetchall()[0][0]
    nb = con.execute("SELECT count(*) FROM tb").fetchall()[0][0]
    sel = ", ".join(q(c) for c in common) or "NULL"
    only_a = con.execute(f"SELECT count(*) FROM (SELECT {sel} FROM ta EXCEPT ALL SELECT {sel} FROM tb)").fetchall()[0][0]
    only_b = con.execute(f"SELECT count(*) FROM (SELECT {sel} FROM tb EXCEPT ALL SELECT {sel} FROM ta)").fetchall()[0][0]
    same = na == nb and only_a == 0 and only_b == 0
    notes = []
    if set(ca) != set(cb):
        notes.append(f"columns only in A: {[c for c in ca if c not in cb]}, only in B: {[c for c in cb if c not in ca]} (compared on the common ones)")
    types = {c: (ca[c], cb[c]) for c in common if ca[c] != cb[c]}
    if types:
        notes.append(f"types differ: {types}")
    print(f"{name:24} A {na:>10,}  B {nb:>10,}  {('identical' + (' on the common columns' if set(ca) != set(cb) else '')) if same else 'DIFFERENT'}"
          + (f"  (rows only in A: {only_a:,}, only in B: {only_b:,})" if not same else ""))
    for n in notes:
        print(f"    note: {n}")
    if same:
        return True
    equivalent = _loose_check(con, name, common, ca, b.parent, tol) if loose else False
    # which columns differ: each column's values as a multiset, then (if a key is found) row by row on the key
    diff_cols = []
    for c in common:
        d = con.execute(f"SELECT (SELECT count(*) FROM (SELECT {q(c)} FROM ta EXCEPT ALL SELECT {q(c)} FROM tb)) + "
                        f"(SELECT count(*) FROM (SELECT {q(c)} FROM tb EXCEPT ALL SELECT {q(c)} FROM ta))").fetchall()[0][0]
        if d:
            diff_cols.append(f"{c} ({d:,})")
    print(f"    columns whose values differ as multisets (values on one side only): {', '.join(diff_cols) or 'none (rows differ in how values combine)'}")
    for key in KEYS:
        if not all(k in common for k in key):
            continue
        kl = ", ".join(q(k) for k in key)
        unique = all(con.execute(f"SELECT count(*) = count(DISTINCT ({kl})) FROM {t}").fetchall()[0][0] for t in ("ta", "tb"))
        if not unique:
            continue
        on = " AND ".join(f"a.{q(k)} IS NOT DISTINCT FROM b.{q(k)}" for k in key)
        others = [c for c in common if c not in key]
        if others:
            counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (a.{q(c)} IS DISTINCT FROM b.{q(c)})" for c in others)
                                 + f" FROM ta a JOIN tb b ON {on}").fetchall()[0]
            per = [f"{c} ({n:,})" for c, n in zip(others, counts, strict=True) if n]
        else:
            per = []
        ka = con.execute(f"SELECT count(*) FROM ta a ANTI JOIN tb b ON {on}").fetchall()[0][0]
        kb = con.execute(f"SELECT count(*) FROM tb b ANTI JOIN ta a ON {on}").fetchall()[0][0]
        print(f"    by key ({', '.join(key)}): keys only in A {ka:,}, only in B {kb:,}; "
              f"columns differing on matched keys: {', '.join(per) or 'none'}")
        break
    for side, x, y in (("A", "ta", "tb"), ("B", "tb", "ta")):
        rows = con.execute(f"SELECT {sel} FROM {x} EXCEPT ALL SELECT {sel} FROM {y} ORDER BY ALL LIMIT {examples}").fetchall()
        if rows:
            print(f"    rows only in {side} (first {len(rows)}):")
            for r in rows:
                text = json.dumps(dict(zip(common, r, strict=True)), ensure_ascii=False, default=str)
                print("      " + (text if len(text) <= 600 else text[:600] + " …"))
    return equivalent


def _key(con, common: list[str]) -> tuple | None:
    for key in KEYS:
        if all(k in common for k in key):
            kl = ", ".join(q(k) for k in key)
            if all(con.execute(f"SELECT count(*) = count(DISTINCT ({kl})) FROM {t}").fetchall()[0][0] for t in ("ta", "tb")):
                return key
    return None


def _canon_joined(col: str) -> str:
    """A person.conflict_* issue's 、-joined list (after the message's "：") in sorted order."""
    body = f"substr({q(col)}, strpos({q(col)}, '：') + 1)"
    head = f"substr({q(col)}, 1, strpos({q(col)}, '：'))"
    return (f"CASE WHEN code LIKE 'person.conflict_%' THEN {head} || array_to_string(list_sort(string_split({body}, '、')), '、') "
            f"ELSE {q(col)} END AS {q(col)}")


def _loose_check(con, name: str, common: list[str], types: dict, dir_b: Path, tol: float) -> bool:
    """True if A and B differ only by the old code's known run-to-run noise (see the module docstring)."""
    if name == "issues" and {"code", "value", "message"} <= set(common):
        sel = ", ".join(_canon_joined(c) if c in ("value", "message") else q(c) for c in common)
        n = con.execute(f"SELECT (SELECT count(*) FROM (SELECT {sel} FROM ta EXCEPT ALL SELECT {sel} FROM tb)) + "
                        f"(SELECT count(*) FROM (SELECT {sel} FROM tb EXCEPT ALL SELECT {sel} FROM ta))").fetchall()[0][0]
        n_order = con.execute(f"SELECT count(*) FROM (SELECT {', '.join(q(c) for c in common)} FROM ta EXCEPT ALL "
                              f"SELECT {', '.join(q(c) for c in common)} FROM tb)").fetchall()[0][0]
        print(f"    --loose: {'EQUIVALENT' if not n else 'still different'}: {n_order:,} rows differ only in the order of "
              f"a person.conflict_* list" if not n else f"    --loose: still different: {n:,} rows after sorting the conflict lists")
        return n == 0
    key = _key(con, common)
    if key is None:
        print("    --loose: no unique key to match rows on; nothing tolerated")
        return False
    on = " AND ".join(f"a.{q(k)} IS NOT DISTINCT FROM b.{q(k)}" for k in key)
    unmatched = sum(con.execute(f"SELECT count(*) FROM {x} a ANTI JOIN {y} b ON {on}").fetchall()[0][0] for x, y in (("ta", "tb"), ("tb", "ta")))
    if unmatched:
        print(f"    --loose: still different: {unmatched:,} rows without a partner on the key ({', '.join(key)})")
        return False
    extra = ""
    if name == "persons" and (dir_b / "links.parquet").exists() and (dir_b / "records.parquet").exists():
        extra = (f" LEFT JOIN (SELECT l.person_id, list(DISTINCT r.name) AS _names, list(DISTINCT r.name_pinyin) AS _pinyins "
                 f"FROM read_parquet('{(dir_b / 'links.parquet').as_posix()}') l "
                 f"JOIN read_parquet('{(dir_b / 'records.parquet').as_posix()}') r USING (record_id) GROUP BY ALL) rn "
                 f"ON rn.person_id = b.person_id")
    strict_cls = ("category", "grp", "rule", "declared", "conflict")
    tolerated, failing = [], []
    for c in common:
        if c in key:
            continue
        differs = f"a.{q(c)} IS DISTINCT FROM b.{q(c)}"
        ok = None
        if types.get(c, "").upper() in ("DOUBLE", "FLOAT", "REAL"):
            ok = f"abs(a.{q(c)} - b.{q(c)}) <= {tol!r} * greatest(abs(a.{q(c)}), abs(b.{q(c)}))", "float within tolerance"
        elif name == "persons" and c == "phone" and "phones" in common:
            ok = "list_contains(string_split(b.phones, '/'), a.phone) AND list_contains(string_split(b.phones, '/'), b.phone) AND a.phones = b.phones", "another of the person's phones"
        elif name == "persons" and c in ("name", "name_pinyin") and extra:
            lst = "_names" if c == "name" else "_pinyins"
            ok = f"list_contains(rn.{lst}, a.{q(c)}) AND list_contains(rn.{lst}, b.{q(c)})", "another name of the person's records"
        elif name == "classifications" and c == "reason" and all(x in common for x in strict_cls):
            ok = " AND ".join(f"a.{x} IS NOT DISTINCT FROM b.{x}" for x in strict_cls), "reason text only (same category, grp, rule)"
        if ok is None:
            n = con.execute(f"SELECT count(*) FROM ta a JOIN tb b ON {on} WHERE {differs}").fetchall()[0][0]
            if n:
                failing.append(f"{c} ({n:,})")
        else:
            n_all, n_bad = con.execute(f"SELECT count(*) FILTER ({differs}), count(*) FILTER ({differs} AND NOT coalesce({ok[0]}, false)) "
                                       f"FROM ta a JOIN tb b ON {on}{extra}").fetchall()[0]
            if n_bad:
                failing.append(f"{c} ({n_bad:,} beyond the known noise)")
            elif n_all:
                tolerated.append(f"{c}: {n_all:,} ({ok[1]})")
    if failing:
        print(f"    --loose: still different: {', '.join(failing)}" + (f"; tolerated {', '.join(tolerated)}" if tolerated else ""))
        return False
    print(f"    --loose: EQUIVALENT: tolerated {', '.join(tolerated)}")
    return True


def _short(v) -> str:
    text = json.dumps(v, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= 300 else text[:300] + " …"


def _json_diff(a, b, path: str = "", out: list | None = None, limit: int = 8) -> list:
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in b:
                out.append(f"{path}/{k}: only in A = {_short(a[k])}")
            elif k not in a:
                out.append(f"{path}/{k}: only in B = {_short(b[k])}")
            elif a[k] != b[k]:
                _json_diff(a[k], b[k], f"{path}/{k}", out, limit)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                _json_diff(x, y, f"{path}[{i}]", out, limit)
    else:
        out.append(f"{path or '(value)'}: A = {_short(a)}  B = {_short(b)}")
    return out[:limit]


def compare_tallies(a: dict, b: dict) -> bool:
    if not a and not b:
        print("tallies: none on either side")
        return True
    ok = True
    if a.get("as_of") != b.get("as_of"):
        print(f"tallies: as_of differs: A {a.get('as_of')}, B {b.get('as_of')}")
        ok = False
    for side, s in (("A", a), ("B", b)):
        if "error" in s:
            print(f"tallies {side}: {s['error']}")
            ok = False
    ta, tb = a.get("tallies", {}), b.get("tallies", {})
    names = list(ta) + [n for n in tb if n not in ta]
    same = 0
    for n in names:
        if n not in tb or n not in ta:
            print(f"tally {n}: only in {'A' if n in ta else 'B'}")
            ok = False
        elif ta[n] == tb[n]:
            same += 1
            if isinstance(ta[n], dict) and set(ta[n]) == {"error"}:
                print(f"tally {n}: same error on both sides: {ta[n]['error']}")
        else:
            ok = False
            print(f"tally {n}: DIFFERENT")
            for line in _json_diff(ta[n], tb[n]):
                print("    " + line)
    print(f"tallies: {same} of {len(names)} identical (A from {a.get('census_file')}, B from {b.get('census_file')})")
    return ok


def cmd_compare(args) -> int:
    da, db = Path(args.dir_a), Path(args.dir_b)
    ma, mb = _load(da / "manifest.json"), _load(db / "manifest.json")
    if not ma or not mb:
        print(f"no manifest.json in {da if not ma else db}", file=sys.stderr)
        return 2
    ok = True
    ex_a, ex_b = ma.get("excluded_columns", {}), mb.get("excluded_columns", {})
    print(f"excluded as run-dependent: A {json.dumps(ex_a, ensure_ascii=False)} {ma.get('excluded_meta_keys', [])}")
    if ex_a != ex_b or ma.get("excluded_meta_keys") != mb.get("excluded_meta_keys"):
        print(f"                           B {json.dumps(ex_b, ensure_ascii=False)} {mb.get('excluded_meta_keys', [])}")
    if ma.get("macros") != mb.get("macros"):
        print(f"macros differ: A {ma.get('macros')} B {mb.get('macros')}")
        ok = False
    con = duckdb.connect()
    names = list(ma["tables"]) + [n for n in mb["tables"] if n not in ma["tables"]]
    for name in names:
        if name not in mb["tables"] or name not in ma["tables"]:
            side, m = ("A", ma) if name in ma["tables"] else ("B", mb)
            print(f"{name:24} only in {side} ({m['tables'][name]['rows']:,} rows)")
            ok = False
            continue
        ok &= compare_table(con, name, da / "tables" / f"{name}.parquet", db / "tables" / f"{name}.parquet", args.examples,
                            args.loose, args.float_tol)
    con.close()
    ok &= compare_tallies(_load(da / "tallies.json"), _load(db / "tallies.json"))
    print(("EQUIVALENT (identical up to the known run-to-run noise above)" if args.loose else "IDENTICAL") if ok else "DIFFERENT")
    return 0 if ok else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("snapshot", help="dump every table to Parquet and the tallies to JSON")
    s.add_argument("db")
    s.add_argument("outdir")
    s.add_argument("--as-of", default="2026-11-30", help="the date ages are counted at (default 2026-11-30)")
    s.add_argument("--exclude", action="append", help="also leave out this column (repeatable)")
    s.add_argument("--no-tallies", action="store_true", help="tables only (no census import)")
    c = sub.add_parser("compare", help="compare two snapshots; exit 1 if anything differs")
    c.add_argument("dir_a")
    c.add_argument("dir_b")
    c.add_argument("--examples", type=int, default=5, help="example rows shown per side of a difference")
    c.add_argument("--loose", action="store_true", help="accept the old code's known run-to-run noise (see the module docstring)")
    c.add_argument("--float-tol", type=float, default=1e-9, help="relative tolerance of DOUBLE columns under --loose (1e-9)")
    args = ap.parse_args()
    return cmd_snapshot(args) if args.cmd == "snapshot" else cmd_compare(args)


if __name__ == "__main__":
    sys.exit(main())
