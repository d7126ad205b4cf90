"""Tables: what a district reports, as numbers. Tallies and crosstabs of distinct persons (`tally`, over the
`dimensions`), small-cell protection (`suppress`), questionnaire estimates (`survey`), exports of records,
persons, links and issues (`export`), what a workspace holds (`status`), and the numbers of the report's own
sheets (`report`). Every function makes sure persons are current first (`census.pipeline`)."""

from .status import Status
from .survey import SurveyResult
from .tally import Crosstab, Narrative, Tally, crosstab, narrative, narrative_result

__all__ = ["Crosstab", "Narrative", "Status", "SurveyResult", "Tally", "crosstab", "narrative", "narrative_result"]
