"""Persons: each real person once. Pairs of records scored by a Splink model (`match`), clusters built on valid IDs
and the scored pairs (`clusters`), a person's fields from their records (`survivorship`), clerks' decisions and
corrections (`decisions`, `review`), and the stage that runs them in order (`link`)."""

from .link import ENGINES, LinkOptions, LinkResult, explain_person, link_given

__all__ = ["ENGINES", "LinkOptions", "LinkResult", "explain_person", "link_given"]
