"""The Spark engine (`census link --engine spark`) finds the same persons as DuckDB's on the demo district: the same
clusters, pairs, persons, classifications and tallies. Spark runs on local[2], as in CI (which installs Java and
the `census[spark]` extra); without pyspark or Java these tests skip, and the engine's usage errors are tested
without either."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from census import Workspace, tally
from census.cli import main
from census.persons import LinkOptions
from census.persons.spark import SparkOptions
from census.pipeline import link
from census.tables.spark import SparkTables, bind, to_spark
from census.tables.tally import crosstab

from ..conftest import demo_copy

TABLES = {  # what linking writes, compared row by row
    "links": "SELECT record_id, person_id, rule, round(probability, 9) FROM links",
    "pairs": "SELECT record_a, record_b, round(probability, 9), status FROM pairs",
    "persons": "SELECT * EXCLUDE (arrangements), arrangements::VARCHAR FROM persons",
    "classifications": "SELECT * FROM classifications",
}


def _spark_ready() -> bool:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return False
    return shutil.which("java") is not None


needs_spark = pytest.mark.skipif(not _spark_ready(), reason='Spark engine not installed (pip install "census[spark]", and Java 17)')


@pytest.fixture(scope="module")
def spark_linked(demo_linked, tmp_path_factory):
    with demo_copy(demo_linked, tmp_path_factory, "spark") as ws:
        result = link(ws, LinkOptions(engine="spark", spark=SparkOptions("local[2]")))
    return ws.path, result


def _rows(path, sql: str) -> list[tuple]:
    with Workspace(path, create=False) as ws:
        return sorted(ws.query(sql), key=repr)


@needs_spark
def test_both_engines_find_the_same_persons(demo_linked, spark_linked):
    path, result = spark_linked
    assert result.engine == "spark"
    assert result.records == 3522 and result.persons == 2941
    assert set(result.timings) >= {"matching.parquet", "matching.ids", "matching.training", "matching.scoring"}
    for table, sql in TABLES.items():
        duck, spark = _rows(demo_linked, sql), _rows(path, sql)
        assert len(duck) > 100, table
        assert spark == duck, table
    with Workspace(demo_linked, create=False) as a, Workspace(path, create=False) as b:
        for scheme in ("current4", "legacy6"):
            assert tally(b, scheme, by=["street", "category"]).to_dict() == tally(a, scheme, by=["street", "category"]).to_dict()


@needs_spark
def test_the_records_handed_to_spark_are_removed(spark_linked):
    path, _result = spark_linked
    assert not path.with_name(path.name + ".spark").exists()


@needs_spark
def test_census_link_on_spark_from_the_command_line(demo_linked, tmp_path_factory, capsys):
    with demo_copy(demo_linked, tmp_path_factory, "spark-cli") as ws:
        path = ws.path
    folder = path.parent / "共享"
    folder.mkdir()
    code = main(["link", "--db", str(path), "--engine", "spark", "--spark-master", "local[2]", "--spark-dir", str(folder),
                 "--format", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    d = json.loads(out.out)
    assert (d["engine"], d["records"], d["persons"]) == ("spark", 3522, 2941)
    assert list(folder.iterdir()) == []  # the run's Parquet went there, and is gone
    assert out.err == ""  # nothing of Spark's own log reaches the terminal


def test_spark_options_need_the_spark_engine(demo_linked, tmp_path_factory, capsys):
    with demo_copy(demo_linked, tmp_path_factory, "no-spark") as ws:
        path = ws.path
    assert main(["link", "--db", str(path), "--spark-master", "local[2]"]) == 2
    assert "只用于 --engine spark" in capsys.readouterr().err
    assert main(["link", "--db", str(path), "--engine", "flink"]) == 2
    capsys.readouterr()
    assert main(["link", "--db", str(path), "--engine", "spark", "--spark-dir", str(path.parent / "无此文件夹")]) == 2
    assert "无此文件夹：文件夹不存在" in capsys.readouterr().err


def test_without_pyspark_the_spark_engine_says_what_to_install(demo_linked, tmp_path_factory, capsys, monkeypatch):
    from census.persons import spark

    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark → ImportError
    monkeypatch.setattr(spark, "_SESSION", {})
    with demo_copy(demo_linked, tmp_path_factory, "no-pyspark") as ws:
        path = ws.path
    assert main(["link", "--db", str(path), "--engine", "spark"]) == 2
    err = capsys.readouterr().err
    assert 'pip install "census[spark]"' in err and "Java" in err and "Traceback" not in err
    with Workspace(path, create=False) as ws:  # nothing was changed
        assert ws.scalar("SELECT count(*) FROM persons") > 0


TALLIES = [dict(by=["category"]), dict(by=["street", "category"]), dict(by=["age_band", "sex"]), dict(by=["arrangement"]),
           dict(by=["unit_type"]), dict(by=["source_kind", "category"]), dict(by=["community"], where={"street": ["雨花街道"]}),
           dict(by=["category"], where={"arrangement": ["无政治安排"], "source_kind": ["社区台账"]}),
           dict(by=["education", "political_status", "party", "representative"], percent="total", suppress=3),
           dict(by=["district", "category"])]


@needs_spark
def test_tallies_on_spark_equal_the_workspace_s(spark_linked):
    path, _result = spark_linked
    with Workspace(path, create=False) as ws, SparkTables(ws, SparkOptions("local[2]")) as spark:
        for scheme in ("current4", "legacy6"):
            for case in TALLIES:
                here = tally(ws, scheme, as_of=date(2026, 12, 1), **case).to_dict()
                assert here["total"] > 100
                assert tally(ws, scheme, as_of=date(2026, 12, 1), query=spark.query, **case).to_dict() == here, (scheme, case)
        assert (crosstab(ws, "current4", "street", "age_band", query=spark.query).to_dict()
                == crosstab(ws, "current4", "street", "age_band").to_dict())
    assert not path.with_name(path.name + ".spark").exists()


@needs_spark
def test_census_tally_on_spark_from_the_command_line(spark_linked, capsys):
    path, _result = spark_linked
    args = ["tally", "--db", str(path), "--rows", "street", "--cols", "category", "--format", "json"]
    assert main(args) == 0
    here = capsys.readouterr().out
    assert main([*args, "--engine", "spark", "--spark-master", "local[2]"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == json.loads(here) and out.err == ""


def test_parameters_are_written_in_as_literals():
    assert bind("SELECT '?', x FROM t WHERE a IN (?, ?) AND b = ?", ["雨花", "O'Brien", 3]) == \
        "SELECT '?', x FROM t WHERE a IN ('雨花', 'O''Brien') AND b = 3"
    assert "ARRAYS_OVERLAP(" in to_spark("SELECT count(*) FROM persons p WHERE list_has_any(p.arrangements, [?])", ["人大代表"])


@given(st.text())
def test_a_bound_text_reads_back_as_itself(text):
    import duckdb

    assert duckdb.connect().execute(bind("SELECT ?", [text])).fetchall()[0][0] == text


def test_an_unknown_engine_is_a_usage_error(demo_linked, tmp_path_factory):
    from census.errors import UsageError

    with demo_copy(demo_linked, tmp_path_factory, "flink") as ws, pytest.raises(UsageError, match="没有名为 flink 的引擎"):
        link(ws, LinkOptions(engine="flink"))
