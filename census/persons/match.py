"""Probabilistic matching with Splink (DuckDB backend): scores pairs of records the ID pass left open.

Comparisons (each a Splink comparison with its own levels):
    name        same simplified name (term-frequency adjusted, so 王伟 is weak evidence and 钮祜禄 strong) ·
                same pinyin (张伟/張偉/张玮) · same fuzzy pinyin (zh/z, ing/in, l/n) · pinyin Jaro-Winkler ≥ 0.92
    phones      any shared number · none shared, one side only a landline
    birth_date  same day · same year-month (a ledger giving only 1985.03) · one digit or an adjacent swap · same year,
                one side giving only the year (a questionnaire)
    sex         same
    work_unit   same normalised name (无, 个人, 自由职业 … count as one) · character-bigram Jaccard ≥ 0.6 (DuckDB's own
                string distances count UTF-8 bytes, so Chinese is compared by characters built in SQL)
    community   same (term-frequency adjusted)
    id_number   same · same first 15 digits (an ID Excel cut short) · two digits transposed, one ID valid and the
                other not (a valid ID typed with two digits swapped, next to each other or not: strong evidence) ·
                one substitution or adjacent swap (a typo) · two different valid IDs (never one person) · different,
                one of them faulty

Blocking keeps the work near-linear, and every rule asks that at least one side has no valid ID: two records
with valid IDs were settled by the ID pass. The model is trained on the data itself: u by random sampling, m
by expectation maximisation. Splink runs in its own in-memory DuckDB so the workspace file holds no
`__splink__` tables.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd

from ..workspace.store import memory_limit

# pinyin folding for the fuzzy level: initials zh/ch/sh → z/c/s, finals ing/eng/ang → in/en/an, l → n
FUZZY_PINYIN_SQL = (
    "regexp_replace(regexp_replace(regexp_replace(regexp_replace(name_pinyin, "
    "'\\b([zcs])h', '\\1', 'g'), '([aei])ng\\b', '\\1n', 'g'), 'ong\\b', 'on', 'g'), '\\bl', 'n', 'g')"
)

# work units that say there is none: one ledger writes 无 for a person another calls 个人 or 自由职业 (the same
# person's records differ in these as often as they agree), so the comparison takes them as one value, and they are
# no unit name to compare by characters
NO_UNIT = "('无', '暂无', '无业', '待业', '个人', '个体', '自由职业', '灵活就业')"

# the 15 significant digits an ID typed into a numeric cell still has: "3.20114199001011E+17" or
# "320114199001011008" → "320114199001011"
ID_HEAD_SQL = (
    "left(CASE WHEN upper(r.id_raw) LIKE '%E%' THEN regexp_replace(split_part(upper(r.id_raw), 'E', 1), '[^0-9]', '', 'g') "
    "ELSE regexp_replace(r.id_raw, '[^0-9]', '', 'g') END, 15)"
)

# a record's features, as Splink compares them (`FEATURES_SQL` adds the ID cluster each record is in). birth_yyyy is
# birth_year under another name for the birth comparison: an EM session leaves untrained every comparison that reads
# a column its blocking rule uses, and the first session blocks on birth_year
RECORD_FEATURES_SQL = f"""
SELECT r.record_id AS unique_id,
       r.name AS name_s,
       r.name_pinyin AS name_py,
       {FUZZY_PINYIN_SQL} AS name_py_fuzzy,
       left(r.name, 1) AS surname,
       CASE WHEN r.birth_precision = 'day' THEN r.birth_date END AS birth_date,
       CASE WHEN r.birth_precision IN ('day', 'month') THEN date_trunc('month', r.birth_date) END AS birth_month,
       year(r.birth_date) AS birth_year,
       year(r.birth_date) AS birth_yyyy,
       r.sex,
       CASE WHEN r.phones IS NOT NULL THEN string_split(r.phones, '/') END AS phones,
       CASE WHEN r.phones IS NOT NULL THEN regexp_matches(r.phones, '(^|/)1') END AS has_mobile,
       CASE WHEN r.unit_key IN {NO_UNIT} THEN '无' ELSE r.unit_key END AS work_unit,
       CASE WHEN length(r.unit_key) >= 2 AND r.unit_key NOT IN {NO_UNIT}
            THEN list_transform(range(1, length(r.unit_key)), lambda i: substr(r.unit_key, i, 2)) END AS work_unit_bg,
       coalesce(r.community_code, r.community) AS community,
       CASE WHEN length(r.id_number) = 18 THEN r.id_number END AS id_number,
       CASE WHEN r.id_code = 'id.precision_lost' THEN {ID_HEAD_SQL}
            WHEN length(r.id_number) = 18 THEN left(r.id_number, 15) END AS id_head,
       CASE WHEN length(r.id_number) = 18 THEN array_to_string(list_sort(string_split(r.id_number, '')), '') END AS id_digits,
       r.id_valid"""
FEATURES_SQL = f"""{RECORD_FEATURES_SQL},
       a.cluster
FROM records r JOIN clusters a USING (record_id)
WHERE r.status = 'record'
"""

# Every predict rule also asks that one side is open (no valid ID): see the module docstring.
_OPEN = "(NOT l.id_valid OR NOT r.id_valid)"
ID_KEYS = [  # one substitution or adjacent swap leaves at least one of these equal
    "substr(id_number, 5, 14)", "substr(id_number, 1, 3) || substr(id_number, 8, 11)",
    "substr(id_number, 1, 6) || substr(id_number, 11, 8)", "substr(id_number, 1, 9) || substr(id_number, 14, 5)",
    "substr(id_number, 1, 12) || substr(id_number, 17, 2)", "substr(id_number, 1, 15)",
]


# The few conditions DuckDB and Spark SQL write differently (Splink translates its own comparison levels; these are
# written here in each dialect): the number of places two strings of one length differ, a date as yyyymmdd, the
# number of elements two lists share and a list's length.
DIALECTS = {
    "duckdb": {"hamming": "hamming({a}, {b})", "date8": "strftime({x}, '%Y%m%d')",
               "common": "len(list_intersect({a}, {b}))", "len": "len({x})"},
    "spark": {"hamming": "size(filter(sequence(1, length({a})), i -> substr({a}, i, 1) <> substr({b}, i, 1)))",
              "date8": "date_format({x}, 'yyyyMMdd')", "common": "size(array_intersect({a}, {b}))", "len": "size({x})"},
}


def _sql(dialect: str, fn: str, **args: str) -> str:
    return DIALECTS[dialect][fn].format(**args)


# a valid ID and an invalid one that differ in two places holding the same digits the other way round: the valid
# one typed with two digits transposed (the two IDs hold the same digits, so the two places are swapped)
def _transposed(dialect: str) -> str:
    return ("CASE WHEN id_number_l IS NULL OR id_number_r IS NULL OR id_valid_l = id_valid_r THEN false "
            f"WHEN {_sql(dialect, 'hamming', a='id_number_l', b='id_number_r')} <> 2 THEN false ELSE id_digits_l = id_digits_r END")
# The u probabilities of this level and of the one-digit typo, fixed: two different persons' IDs are one another with
# a digit changed or two swapped in about one pair of a million (a digit's 9 other values or a swap at 18 places,
# among IDs of some ten thousand birth days, 500 sequence numbers and a few dozen counties). Random sampling of 2
# million pairs meets a handful or none: with none, Splink falls back to a default u and the level weighs 2-3 bits
# instead of 13 (on the 50,000-person district the typo level lost its estimate once the swaps had a level of their
# own, and four persons split).
TRANSPOSED_U = 1e-6
TYPO_U = 1e-6


@dataclass
class MatchSettings:
    accept: float = 0.95  # pairs at or above are linked
    review: float = 0.5  # pairs from here up to `accept` go to review (核查)
    u_pairs: float = 2e6  # random pairs for u estimation
    em_pairs: float = 2e6  # cap on blocked pairs per EM session
    seed: int = 42


@dataclass
class MatchResult:
    pairs: pd.DataFrame  # record_a, record_b, probability, match_weight, detail (JSON)
    candidates: int  # open records considered
    seconds: float
    trained: bool


def _prior(con: duckdb.DuckDBPyConnection) -> float:
    """The chance that two random records are one person, as observed where identity is known: pairs of
    records sharing a valid ID among all pairs of records with a valid ID."""
    same, n = con.execute(
        "SELECT coalesce(sum(k * (k - 1) / 2), 0), coalesce(sum(k), 0) FROM "
        "(SELECT count(*) AS k FROM people WHERE id_valid GROUP BY cluster)").fetchall()[0]
    if n < 100 or same == 0:
        return 1e-4
    return float(min(max(same / (n * (n - 1) / 2), 1e-8), 0.1))


def _model(settings: MatchSettings, prior: float, dialect: str = "duckdb"):
    # Splink is imported where a model is built: importing it costs 0.16-0.20 s (measured over pandas, DuckDB and
    # Arrow already loaded), which every command that does not link (ingest, export, status …) would pay at start-up
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on
    from splink.blocking_rule_library import CustomRule

    name = cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.NullLevel("name_s"),
        cll.ExactMatchLevel("name_s", term_frequency_adjustments=True).configure(label_for_charts="same name"),
        cll.ExactMatchLevel("name_py", term_frequency_adjustments=True).configure(label_for_charts="same pinyin"),
        cll.ExactMatchLevel("name_py_fuzzy").configure(label_for_charts="same fuzzy pinyin"),
        cll.JaroWinklerLevel("name_py", 0.92).configure(label_for_charts="pinyin Jaro-Winkler >= 0.92"),
        cll.ElseLevel(),
    ])
    day_l, day_r = _sql(dialect, "date8", x="birth_date_l"), _sql(dialect, "date8", x="birth_date_r")
    birth = cl.CustomComparison(output_column_name="birth_date", comparison_levels=[
        cll.NullLevel("birth_yyyy"),
        cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel("birth_month_l = birth_month_r", label_for_charts="same year-month"),
        cll.CustomLevel(f"CASE WHEN birth_date_l IS NULL OR birth_date_r IS NULL THEN false WHEN {_sql(dialect, 'hamming', a=day_l, b=day_r)} > 2 "
                        f"THEN false ELSE damerau_levenshtein({day_l}, {day_r}) <= 1 END", label_for_charts="one digit or swap"),
        # a questionnaire gives only the year: the same year is evidence, another year a disagreement (a year-only
        # record was a null before, whatever its year)
        cll.CustomLevel("(birth_month_l IS NULL OR birth_month_r IS NULL) AND birth_yyyy_l = birth_yyyy_r",
                        label_for_charts="same year, one side gives only the year"),
        cll.ElseLevel(),
    ])
    # no shared number where one side has only a landline is weak evidence (one ledger wrote the home phone, another
    # the mobile); two mobile numbers that differ are strong evidence against
    phones = cl.CustomComparison(output_column_name="phones", comparison_levels=[
        cll.NullLevel("phones"),
        cll.ArrayIntersectLevel("phones", 1),
        cll.CustomLevel("NOT (has_mobile_l AND has_mobile_r)", label_for_charts="no shared number, one side only a landline"),
        cll.ElseLevel(),
    ])
    common = _sql(dialect, "common", a="work_unit_bg_l", b="work_unit_bg_r")
    unit = cl.CustomComparison(output_column_name="work_unit", comparison_levels=[
        cll.NullLevel("work_unit"),
        cll.ExactMatchLevel("work_unit", term_frequency_adjustments=True),
        cll.CustomLevel(f"{common} * 1.0 / ({_sql(dialect, 'len', x='work_unit_bg_l')} + {_sql(dialect, 'len', x='work_unit_bg_r')} "
                        f"- {common}) >= 0.6", label_for_charts="similar unit name"),
        cll.ElseLevel(),
    ])
    id_number = cl.CustomComparison(output_column_name="id_number", comparison_levels=[
        cll.NullLevel("id_head"),
        cll.ExactMatchLevel("id_number"),
        cll.CustomLevel("id_head_l = id_head_r AND (id_number_l IS NULL OR id_number_r IS NULL)",
                        label_for_charts="same first 15 digits (Excel cut the rest)"),
        cll.CustomLevel(_transposed(dialect)).configure(label_for_charts="two digits transposed, one ID valid",
                                                  u_probability=TRANSPOSED_U, fix_u_probability=True),
        cll.CustomLevel("CASE WHEN id_number_l IS NULL OR id_number_r IS NULL THEN false "
                        f"WHEN {_sql(dialect, 'hamming', a='id_number_l', b='id_number_r')} > 2 "
                        "THEN false ELSE damerau_levenshtein(id_number_l, id_number_r) = 1 END").configure(
            label_for_charts="one-digit typo", u_probability=TYPO_U, fix_u_probability=True),
        cll.CustomLevel("id_valid_l AND id_valid_r", label_for_charts="two different valid IDs"),
        cll.CustomLevel("NOT (id_valid_l AND id_valid_r)", label_for_charts="different, one of them faulty"),
        cll.ElseLevel(),
    ])
    rules = [
        CustomRule(f"l.name_py = r.name_py AND l.birth_year = r.birth_year AND {_OPEN}"),
        CustomRule(f"l.name_py_fuzzy = r.name_py_fuzzy AND l.birth_date = r.birth_date AND {_OPEN}"),
        CustomRule(f"l.surname = r.surname AND l.birth_date = r.birth_date AND {_OPEN}"),
        CustomRule(f"l.name_py = r.name_py AND l.community = r.community AND {_OPEN}"),
        CustomRule(f"l.name_py = r.name_py AND l.work_unit = r.work_unit AND {_OPEN}"),
        block_on("phones", arrays_to_explode=["phones"]),
        CustomRule(f"l.id_head = r.id_head AND (l.id_number IS NULL OR r.id_number IS NULL) AND {_OPEN}"),
        CustomRule(f"l.name_py = r.name_py AND l.id_digits = r.id_digits AND {_OPEN}"),  # two digits transposed
        *[CustomRule(f"{k.replace('id_number', 'l.id_number')} = {k.replace('id_number', 'r.id_number')} AND {_OPEN}")
          for k in ID_KEYS],
    ]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=[name, phones, birth, cl.ExactMatch("sex"), unit,
                     cl.ExactMatch("community").configure(term_frequency_adjustments=True), id_number],
        blocking_rules_to_generate_predictions=rules,
        additional_columns_to_retain=["cluster", "id_valid"],
        retain_intermediate_calculation_columns=True,
        retain_matching_columns=False,
        probability_two_random_records_match=prior,
        em_convergence=1e-3,
        max_iterations=20,
    ), block_on


def _quiet() -> None:
    log = logging.getLogger("splink")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False
    log.setLevel(logging.ERROR)


COMPARISONS = ("name", "phones", "birth_date", "sex", "work_unit", "community", "id_number")


# columns of the features that are not a record's content: its ids, its ID cluster, where it was counted
NOT_CONTENT = ("unique_id", "record_id", "cluster", "district", "id_key")


def canonical_people(con: duckdb.DuckDBPyConnection, source: str = "_features", table: str = "people") -> None:
    """`table` (Splink's input) from `source`: each record under an id of its content rather than its record id.
    Splink samples the pairs it estimates u from (and EM's pairs, when capped) by a hash of the unique id (Splink 4:
    by rows in table order), so with record ids the model depended on the order the records were read in; numbered
    in the order of a hash of their content (ties: the content itself), the same records in any order get the same
    ids, the same sample and the same model. Records of equal content are interchangeable to every comparison, so
    which of them gets which id does not matter. The record id stays in `record_id`."""
    columns = [c for c, *_ in con.execute(f"DESCRIBE {source}").fetchall() if c not in NOT_CONTENT]
    content = ", ".join(f'"{c}"' for c in columns)
    con.execute(f"""
        CREATE TABLE {table} AS
        SELECT * FROM (SELECT row_number() OVER (ORDER BY hash({content}), {content}) AS unique_id,
                              * EXCLUDE (unique_id), unique_id AS record_id FROM {source}) ORDER BY unique_id""")


def no_pairs() -> pd.DataFrame:
    return pd.DataFrame({"record_a": pd.Series(dtype="int64"), "record_b": pd.Series(dtype="int64"),
                         "probability": pd.Series(dtype="float64"), "match_weight": pd.Series(dtype="float64"),
                         "detail": pd.Series(dtype="object")})


@dataclass
class Trained:
    """A model trained on the `people` table of a DuckDB connection: its Splink settings with every parameter
    (`model`, DuckDB's dialect), and whether both EM sessions found pairs to learn from."""

    linker: object
    model: dict
    trained: bool
    prior: float


def train(con: duckdb.DuckDBPyConnection, settings: MatchSettings) -> Trained:
    """Train the model on `people` (which has a `cluster` column): u by random sampling, m by EM in two sessions."""
    from splink import DuckDBAPI, Linker  # see `_model` on when Splink is imported

    _quiet()
    prior = _prior(con)
    model, block_on = _model(settings, prior)
    linker = Linker(DuckDBAPI(connection=con).register("people"), model, log_level=None)
    trained = True
    linker.training.estimate_u_using_random_sampling(max_pairs=settings.u_pairs, seed=settings.seed)
    for rule in (block_on("name_py", "birth_year"), block_on("birth_date")):
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(rule, max_pairs=settings.em_pairs)
        except Exception:  # noqa: BLE001 - a session with no pairs (a tiny district) teaches nothing
            trained = False
    return Trained(linker, linker.misc.save_model_to_json(), trained, prior)


def in_dialect(trained: Trained, settings: MatchSettings, dialect: str) -> dict:
    """The trained model for another SQL engine: the same comparisons, levels and parameters, each condition and
    blocking rule written in `dialect` (levels and rules are matched by position: both come from `_model`)."""
    model, _block_on = _model(settings, trained.prior, dialect)
    other = model.create_settings_dict(dialect)
    out = json.loads(json.dumps(trained.model))
    for comparison, theirs in zip(out["comparisons"], other["comparisons"], strict=True):
        for level, their_level in zip(comparison["comparison_levels"], theirs["comparison_levels"], strict=True):
            level["sql_condition"] = their_level["sql_condition"]
    out["blocking_rules_to_generate_predictions"] = other["blocking_rules_to_generate_predictions"]
    out["sql_dialect"] = dialect
    return out


def prediction_columns(columns: set[str]) -> str:
    """The SELECT list Splink's predictions are read back with: the pair, its probability and weight, and each
    comparison's weight (with its term-frequency adjustment) for `census link --explain`."""
    mw = ", ".join(f"mw_{c}" + (f", mw_tf_adj_{c}" if f"mw_tf_adj_{c}" in columns else "")
                   for c in COMPARISONS if f"mw_{c}" in columns)
    return "unique_id_l, unique_id_r, cluster_l, cluster_r, match_probability, match_weight" + (f", {mw}" if mw else "")


def pairs_from(con: duckdb.DuckDBPyConnection, predictions: str) -> pd.DataFrame:
    """Pairs in record ids from a table of predictions over `people` (the columns of `prediction_columns`), one
    per (record_a < record_b), pairs within one ID cluster left out (the ID pass settled them)."""
    have = {c for c, *_ in con.execute(f"DESCRIBE {predictions}").fetchall()}
    mw = ", ".join(
        f"'{c}', round(mw_{c}" + (f" + coalesce(mw_tf_adj_{c}, 0)" if f"mw_tf_adj_{c}" in have else "") + ", 2)"
        for c in COMPARISONS if f"mw_{c}" in have) or "'none', 0"
    return con.execute(f"""
        SELECT least(a.record_id, b.record_id) AS record_a, greatest(a.record_id, b.record_id) AS record_b,
               match_probability AS probability, match_weight,
               to_json(json_object({mw}))::VARCHAR AS detail
        FROM {predictions} p JOIN people a ON a.unique_id = p.unique_id_l JOIN people b ON b.unique_id = p.unique_id_r
        WHERE cluster_l <> cluster_r
        ORDER BY match_weight DESC, record_a, record_b
    """).df()


def open_count(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(records without a valid ID, records) in `people`."""
    n_open, n = con.execute("SELECT count(*) FILTER (WHERE NOT id_valid), count(*) FROM people").fetchall()[0]
    return int(n_open), int(n)


def score_pairs(features: pd.DataFrame | object, settings: MatchSettings | None = None) -> MatchResult:
    """Train a model on `features` (the FEATURES_SQL columns, Arrow or pandas) and return the pairs whose
    probability reaches `settings.review`, with one pair per (record_a < record_b)."""
    settings = settings or MatchSettings()
    t0 = time.perf_counter()
    with scratch() as con:
        con.register("_features", features)
        canonical_people(con)
        con.unregister("_features")
        n_open, n = open_count(con)
        if n_open == 0 or n < 2:
            return MatchResult(no_pairs(), n_open, time.perf_counter() - t0, False)
        model = train(con, settings)
        pred = model.linker.inference.predict(threshold_match_probability=settings.review, warning_mode="never")
        return MatchResult(pairs_from(con, pred.physical_name), n_open, time.perf_counter() - t0, model.trained)


@contextmanager
def scratch() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB for Splink, so that the workspace file holds no `__splink__` tables: it holds at most its
    share of memory (`memory_limit`) and spills beyond it to a temporary folder only its owner can read, removed
    with it."""
    folder = tempfile.mkdtemp(prefix="census-splink-")  # 0700
    con = duckdb.connect(config={"memory_limit": memory_limit(), "temp_directory": folder})
    try:
        yield con
    finally:
        con.close()
        shutil.rmtree(folder, ignore_errors=True)
