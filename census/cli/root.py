"""The root command: the Typer application every command module adds its commands to, and the console messages go to (stderr)."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="census",
    help="Count new social class people (新的社会阶层人士) from community ledgers, unit ledgers, household registers "
    "and questionnaires: ingest every file, find each person once, classify, and print the district's tables.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
