"""The package's shape: every module imports, and no package attribute hides a module of the same name."""

from __future__ import annotations

import importlib
import pkgutil
import types

import census


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(census.__path__, "census.") if not m.name.endswith("__main__"))


def test_every_module_imports_and_none_is_shadowed():
    names = _modules()
    assert "census.sources.ingest" in names and "census.tables.tally" in names
    for name in names:
        module = importlib.import_module(name)
        parent, _, last = name.rpartition(".")
        assert getattr(importlib.import_module(parent), last) is module, f"{parent}.{last} is not the module {name}"
    assert isinstance(census.ingest, types.FunctionType) and isinstance(census.tally, types.FunctionType)
