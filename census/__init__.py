"""census: count new social class people (新的社会阶层人士) from the files a district really has.

The Python API mirrors the command line; each stage takes an open `Workspace` and returns a result object. Tables
link and classify first when the records changed (`ensure_current`), so nothing is counted from stale persons:

    from census import Workspace, ingest, tally
    with Workspace("census.duckdb") as ws:
        ingest(ws, ["examples/district"], regions="examples/regions.yaml")
        print(tally(ws, scheme="legacy6", by=["street", "category"]).to_dict())

The names below are loaded when first used (PEP 562): `import census` itself is instant, so that the `census`
command (`census/__main__.py`) answers Ctrl-C with its one line from its first instant, while pandas, Arrow and
DuckDB are still being imported.
"""

from __future__ import annotations

from importlib import import_module

__version__ = "0.1.0"

# the public API: name → the module that defines it
_API = {
    "ClassifyResult": "census.categories", "classify_persons": "census.categories", "explain": "census.categories",
    "CensusError": "census.errors", "SchemaError": "census.errors", "SourceError": "census.errors",
    "UsageError": "census.errors", "WorkspaceError": "census.errors",
    "LinkOptions": "census.persons", "LinkResult": "census.persons", "explain_person": "census.persons",
    "PipelineResult": "census.pipeline", "ensure_current": "census.pipeline", "link": "census.pipeline",
    "ReportResult": "census.render", "build_report": "census.render", "DocumentResult": "census.render",
    "build_document": "census.render",
    "IngestOptions": "census.sources", "IngestResult": "census.sources", "ingest": "census.sources.ingest",
    "list_sources": "census.sources.catalog", "remove_sources": "census.sources.catalog",
    "Crosstab": "census.tables", "SurveyResult": "census.tables", "Tally": "census.tables", "crosstab": "census.tables",
    "narrative": "census.tables", "Narrative": "census.tables", "narrative_result": "census.tables", "export": "census.tables.export", "status": "census.tables.status",
    "survey": "census.tables.survey", "tally": "census.tables.tally",
    "Workspace": "census.workspace",
    "PurgeResult": "census.persons.purge", "purge": "census.persons.purge",
    "AuditLog": "census.workspace.audit", "audit_log": "census.workspace.audit",
}

__all__ = [
    "AuditLog", "CensusError", "ClassifyResult", "Crosstab", "DocumentResult", "IngestOptions", "IngestResult", "LinkOptions",
    "LinkResult", "Narrative", "PipelineResult", "PurgeResult", "ReportResult", "SchemaError", "SourceError", "SurveyResult",
    "Tally", "UsageError", "Workspace", "WorkspaceError", "audit_log", "build_document", "build_report", "classify_persons",
    "crosstab", "ensure_current", "explain", "explain_person", "export", "ingest", "link", "list_sources", "narrative",
    "narrative_result", "purge", "remove_sources", "status", "survey", "tally", "__version__",
]


def __getattr__(name: str):
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'census' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))

