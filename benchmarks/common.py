"""Shared by the benchmarks: generated districts (cached under benchmarks/out/), timing, peak memory."""

from __future__ import annotations

import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
if str(ROOT) not in sys.path:  # the evaluation helpers live with the tests (tests/evaluate.py)
    sys.path.insert(0, str(ROOT))


def district(persons: int, seed: int = 7) -> Path:
    """A generated district of `persons` in-scope persons (the examples generator, scaled), made once."""
    target = OUT / f"district_{persons}_{seed}"
    if not (target / "truth" / "expected.json").exists():
        sys.path.insert(0, str(ROOT / "examples"))
        from generate import generate

        target.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        summary = generate(target, persons, seed)
        print(f"generated {target.name}: {summary.get('rows', '?')} source rows in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    return target


@contextmanager
def timed(label: str, results: dict):
    t = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t


def peak_mb() -> float:
    """Peak resident memory of this process and its finished children, in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024
