"""Tallies on Apache Spark (`census tally --engine spark`): the persons and their classifications go to Spark as
Parquet, and each count of a tally, its GROUPING SETS included, runs there as Spark SQL.

A tally's SQL is written once, in DuckDB's dialect (`tally`, `dimensions`, `filters`); `SparkTables.query` runs
it on Spark after sqlglot has translated it, with its parameters written in as literals. The small lookups around
a count (which streets the register lists, the order of categories) stay in the workspace.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

from ..persons.spark import SparkOptions, remove_if_empty, session, work_folder
from ..privacy import private_umask
from ..workspace import Workspace

TABLES = ("persons", "classifications")


def literal(value) -> str:
    """A parameter as a SQL literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def bind(sql: str, params: list | tuple) -> str:
    """`sql` with each `?` outside a string literal replaced by the next parameter, as a literal."""
    out, values, quoted = [], iter(params), False
    for ch in sql:
        if ch == "'":
            quoted = not quoted  # '' inside a literal toggles twice
        out.append(literal(next(values)) if ch == "?" and not quoted else ch)
    return "".join(out)


def to_spark(sql: str, params: list | tuple = ()) -> str:
    """A query of the workspace's dialect (DuckDB) in Spark SQL, its parameters bound."""
    import sqlglot  # only for the Spark engine: importing sqlglot costs every command 0.2 s at start-up
    from sqlglot import exp

    def overlaps(node: exp.Expression) -> exp.Expression:
        # DuckDB's list_has_any, which sqlglot writes as `a && b` (Spark's SQL has no such operator)
        if isinstance(node, exp.ArrayOverlaps):
            return exp.Anonymous(this="arrays_overlap", expressions=[node.this, node.expression])
        return node

    return sqlglot.parse_one(bind(sql, params), read="duckdb").transform(overlaps).sql(dialect="spark")


class SparkTables:
    """The workspace's persons and classifications on Spark, for as long as the object is open."""

    def __init__(self, ws: Workspace, options: SparkOptions | None = None):
        options = options or SparkOptions()
        self.spark = session(options.master)
        self.folder, self._own = work_folder(ws, options, "tables")
        try:
            with private_umask():
                shutil.rmtree(self.folder, ignore_errors=True)
                self.folder.mkdir(parents=True)
                for table in TABLES:
                    ws.con.execute(f"COPY (SELECT * FROM {table}) TO {literal(str(self.folder / f'{table}.parquet'))} (FORMAT parquet)")
            for table in TABLES:
                self.spark.read.parquet(str(self.folder / f"{table}.parquet")).createOrReplaceTempView(table)
        except BaseException:
            self.close()
            raise

    def query(self, sql: str, params: list | tuple = ()) -> list[tuple]:
        """Rows of `sql` (DuckDB's dialect, `?` parameters), run on Spark."""
        return [tuple(row) for row in self.spark.sql(to_spark(sql, params)).collect()]

    def close(self) -> None:
        for table in TABLES:
            self.spark.catalog.dropTempView(table)
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._own is not None:
            remove_if_empty(self._own)

    def __enter__(self) -> SparkTables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
