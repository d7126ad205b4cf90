"""census: count new social class people (新的社会阶层人士) from the files a district really has.

The Python API mirrors the command line; each stage takes an open `Workspace` and returns a result object:

    from census import Workspace, ingest, link, tally
    with Workspace("census.duckdb") as ws:
        ingest(ws, ["examples/district"], regions="examples/regions.yaml")
        link(ws)
        print(tally(ws, scheme="legacy6", by=["street", "category"]).to_dict())
"""

from .classify import classify_persons, explain
from .errors import CensusError, SchemaError, SourceError, UsageError, WorkspaceError
from .export import export
from .ingest import IngestOptions, IngestResult, ingest
from .link import LinkResult, ensure_linked, link
from .report import ReportResult, build_report
from .status import status
from .store import Workspace
from .survey import SurveyResult, survey
from .tally import Tally, crosstab, narrative, tally

__version__ = "0.1.0"

__all__ = [
    "CensusError", "IngestOptions", "IngestResult", "LinkResult", "ReportResult", "SchemaError", "SourceError",
    "SurveyResult", "Tally", "UsageError", "Workspace", "WorkspaceError", "build_report", "classify_persons", "crosstab",
    "ensure_linked", "explain", "export", "ingest", "link", "narrative", "status", "survey", "tally", "__version__",
]
