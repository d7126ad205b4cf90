"""Sources: the files a district has, read (`readers`), laid out (`layout`: header, row kinds), placed in a street
and community (`places`), normalised (`values`, `columns`, `records`), prepared on both cores (`prepare`,
`workers`) and written to the workspace one transaction per file (`ingest`)."""

from .ingest import FileResult, IngestResult
from .prepare import IngestOptions

__all__ = ["FileResult", "IngestOptions", "IngestResult"]
