"""Categories: what a person's records say about their employer and work (`evidence`), the classification schemes
compiled (`schemes`), and the stage that classifies every person under every scheme (`classify`)."""

from .classify import ClassifyResult, classification_summary, classify_persons, explain

__all__ = ["ClassifyResult", "classification_summary", "classify_persons", "explain"]
