"""Frames as JSON: every `--format json` that lists rows writes them the same way (dates as ISO text, missing
values as null, whole numbers of count columns as integers)."""

from __future__ import annotations

import json

import pandas as pd


def frame_records(df: pd.DataFrame) -> list[dict]:
    """A frame as a list of plain dicts: dates as ISO text (a date alone when it has no time), missing as None."""
    out = df.astype("object").where(df.notna(), None)
    records = out.to_dict(orient="records")
    for r in records:
        for k, v in r.items():
            if hasattr(v, "isoformat"):
                r[k] = v.isoformat()[:10] if getattr(v, "hour", 0) == 0 and getattr(v, "minute", 0) == 0 else v.isoformat()
            elif isinstance(v, float) and v.is_integer() and k in ("row", "records", "record_id"):
                r[k] = int(v)
    return records


def to_json_records(df: pd.DataFrame) -> str:
    """A frame as a JSON array of objects."""
    return json.dumps(frame_records(df), ensure_ascii=False, indent=1)
