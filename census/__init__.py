"""census: count new social class people (新的社会阶层人士) from the files a district really has.

The Python API mirrors the command line; each stage takes an open `Workspace` and returns a result object. Tables
link and classify first when the records changed (`ensure_current`), so nothing is counted from stale persons:

    from census import Workspace, ingest, tally
    with Workspace("census.duckdb") as ws:
        ingest(ws, ["examples/district"], regions="examples/regions.yaml")
        print(tally(ws, scheme="legacy6", by=["street", "category"]).to_dict())
"""

from .categories import ClassifyResult, classify_persons, explain
from .errors import CensusError, SchemaError, SourceError, UsageError, WorkspaceError
from .persons import LinkOptions, LinkResult, explain_person
from .persons.purge import PurgeResult, purge
from .pipeline import PipelineResult, ensure_current, link
from .render import ReportResult, build_report
from .sources import IngestOptions, IngestResult
from .sources.ingest import ingest
from .tables import Crosstab, SurveyResult, Tally, crosstab, narrative
from .tables.export import export
from .tables.status import status
from .tables.survey import survey
from .tables.tally import tally
from .workspace import Workspace
from .workspace.audit import AuditLog, audit_log

__version__ = "0.1.0"

__all__ = [
    "AuditLog", "CensusError", "ClassifyResult", "Crosstab", "IngestOptions", "IngestResult", "LinkOptions", "LinkResult",
    "PipelineResult", "PurgeResult", "ReportResult", "SchemaError", "SourceError", "SurveyResult", "Tally", "UsageError",
    "Workspace", "WorkspaceError", "audit_log", "build_report", "classify_persons", "crosstab", "ensure_current", "explain",
    "explain_person", "export", "ingest", "link", "narrative", "purge", "status", "survey", "tally", "__version__",
]
