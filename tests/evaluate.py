"""Measuring census against a known truth: the generator of `examples/` writes which person every source row
is (`truth/rows.csv`) and what the tallies should be (`truth/expected.json`). Used by the tests and the
benchmarks; a district with its own verified list could use it the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from census.workspace import Workspace


@dataclass
class Truth:
    rows: pd.DataFrame  # file, sheet, row, person_key, id_valid, noise
    nondata: pd.DataFrame  # file, sheet, row, kind
    persons: pd.DataFrame
    expected: dict


def load_truth(truth_dir: Path | str, strip_prefix: str = "district/") -> Truth:
    """Read a generator's truth; file paths are made relative to the ingested folder (`strip_prefix` removed)."""
    d = Path(truth_dir)
    rows = pd.read_csv(d / "rows.csv", dtype=str, keep_default_na=False)
    nondata = pd.read_csv(d / "nondata.csv", dtype=str, keep_default_na=False)
    for f in (rows, nondata):
        f["file"] = f["file"].str.removeprefix(strip_prefix)
        f["row"] = f["row"].astype(int)
        if "col_range" not in f:  # the columns of a table beside another on its sheet ("H:M"), else ""
            f["col_range"] = ""
    persons = pd.read_csv(d / "persons.csv", dtype=str, keep_default_na=False)
    return Truth(rows, nondata, persons, json.loads((d / "expected.json").read_text(encoding="utf-8")))


def records_with_truth(ws: Workspace, truth: Truth) -> pd.DataFrame:
    """Every record of the workspace with its true person (NaN for a record the truth does not know)."""
    rec = ws.df("""SELECT r.record_id, s.path AS file, r.sheet, r.row, coalesce(r.col_range, '') AS col_range, r.status,
                          r.id_valid, l.person_id
                   FROM records r JOIN sources s USING (source_id) LEFT JOIN links l USING (record_id)""")
    rec["sheet"] = rec["sheet"].fillna("")
    keys = ["file", "sheet", "row", "col_range"]
    return rec.merge(truth.rows[[*keys, "person_key", "id_valid"]].rename(columns={"id_valid": "true_id_valid"}),
                     on=keys, how="left")


@dataclass
class PairQuality:
    precision: float
    recall: float
    true_pairs: int
    predicted_pairs: int
    persons: int
    true_persons: int
    merged: int  # predicted persons holding more than one true person
    split: int  # true persons spread over more than one predicted person

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall) if self.precision + self.recall else 0.0


def pairwise(predicted: pd.Series, true: pd.Series) -> PairQuality:
    """Pairwise precision and recall of a clustering: a pair of records is a true pair when both belong to one
    true person, a predicted pair when both belong to one predicted person."""
    frame = pd.DataFrame({"p": predicted.to_numpy(), "t": true.to_numpy()}).dropna()

    def pairs(sizes: pd.Series) -> int:
        return int((sizes * (sizes - 1) // 2).sum())

    both = pairs(frame.groupby(["p", "t"]).size())
    pred = pairs(frame.groupby("p").size())
    tru = pairs(frame.groupby("t").size())
    merged = int((frame.groupby("p")["t"].nunique() > 1).sum())
    split = int((frame.groupby("t")["p"].nunique() > 1).sum())
    return PairQuality(both / pred if pred else 1.0, both / tru if tru else 1.0, tru, pred,
                       frame["p"].nunique(), frame["t"].nunique(), merged, split)
