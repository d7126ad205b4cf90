"""The package's shape: every module imports, and no package attribute hides a module of the same name."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

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


def _sources():
    root = Path(census.__file__).parent
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.py"))]


def test_no_module_imports_another_modules_private_names():
    """(`_`, gettext's name for "translate", is the one public name that starts with an underscore.)"""
    found = []
    for path, text in _sources():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("census")):
                gettext = (node.module or "").split(".")[-1] == "i18n"
                found += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("_") and not (gettext and a.name == "_")]
    assert found == []


def test_no_module_is_longer_than_500_lines():
    assert [p.name for p, text in _sources() if text.count("\n") > 500] == []


def test_imports_sit_at_the_top_of_modules():
    """An import inside a function is only for an optional heavy dependency (each says what it saves)."""
    allowed = {"splink", "splink.comparison_level_library", "splink.comparison_library", "splink.blocking_rule_library",
               "pypinyin", "pyspark", "pyspark.java_gateway", "pyspark.sql", "splink.backends.spark",
               "sqlglot"}
    found = []
    for path, text in _sources():
        for fn in ast.walk(ast.parse(text)):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(fn):
                    if isinstance(node, ast.Import):
                        found += [f"{path.name}: {a.name}" for a in node.names if a.name not in allowed]
                    elif isinstance(node, ast.ImportFrom) and (node.level or node.module not in allowed):
                        found.append(f"{path.name}: from {node.module}")
    assert found == []


def test_the_public_api_loads_when_used():
    """`import census` is instant (the command answers Ctrl-C while the rest loads); every public name
    resolves to what it names."""
    import subprocess
    import sys

    code = "import sys, census; assert 'pandas' not in sys.modules and 'duckdb' not in sys.modules"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(census.__file__).parent.parent).returncode == 0
    for name in census.__all__:
        assert getattr(census, name) is not None, name
    assert set(dir(census)) >= set(census.__all__)
