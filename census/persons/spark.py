"""The Spark engine of linking (`census link --engine spark`): the same stages as DuckDB's, where a province's
records outgrow one machine.

1. Each record's features (`match.RECORD_FEATURES_SQL`) go to Spark as Parquet, partitioned by district, in a
   folder every Spark worker can read (`--spark-dir`; by default beside the workspace, removed after the run).
2. The ID stage runs as Spark SQL: records sharing a valid ID are one cluster, named by its first record.
3. The model is trained on this machine in DuckDB, as the DuckDB engine trains it: its cost is bounded (2 million
   sampled pairs for u, at most 2 million blocked pairs per EM session) whatever the number of records. Both
   engines therefore score with the same trained model. It goes to Splink's Spark backend with each condition
   written in Spark SQL (`match.in_dialect`), and Spark scores every blocked pair, the part of the work that
   grows with the data.
4. The pairs at or above the review threshold come back. Clustering, persons, classification and tallies then
   run in the workspace as after the DuckDB engine, so every other command works unchanged.

pyspark and a Java runtime are an optional extra (`pip install "census[spark]"`); importing this module needs
neither.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import time
import warnings
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ..errors import UsageError
from ..i18n import _
from ..privacy import private_umask
from ..workspace import Workspace
from ..workspace.store import machine_memory
from .match import (
    RECORD_FEATURES_SQL,
    MatchSettings,
    canonical_people,
    in_dialect,
    no_pairs,
    open_count,
    pairs_from,
    prediction_columns,
    scratch,
    train,
)

DEFAULT_MASTER = "local[*]"
INSTALL_HINT = 'pip install "census[spark]"'
# Spark's own messages: errors only, and no progress bars on the terminal census draws on
_LOG4J = Path(__file__).with_name("log4j2-spark.properties")

# records as Spark reads them: features, the valid ID (for the ID stage) and the district (the partition)
SPARK_RECORDS_SQL = f"""{RECORD_FEATURES_SQL},
       CASE WHEN r.id_valid THEN r.id_number END AS id_key,
       coalesce(s.district_code, '0') AS district
FROM records r JOIN sources s USING (source_id)
WHERE r.status = 'record'
"""

# the ID stage: a record with a valid ID is in the cluster of the first record holding that ID (grouped, not
# windowed: a window partitioned by the ID would put every record without one in a single partition)
ID_STAGE_SQL = """
WITH ids AS (SELECT id_key, min(record_id) AS first_record, count(*) AS n
             FROM census_records WHERE id_key IS NOT NULL GROUP BY id_key)
SELECT r.record_id, coalesce(i.first_record, r.record_id) AS cluster, coalesce(i.n, 1) AS n
FROM census_records r LEFT JOIN ids i ON i.id_key = r.id_key
"""


@dataclass
class SparkOptions:
    master: str = DEFAULT_MASTER  # local[*], local[2], spark://host:7077, yarn …
    folder: Path | None = None  # where the records go as Parquet: a folder every Spark worker can read


@dataclass
class SparkMatch:
    """What the Spark engine found: each record's ID cluster (as `clusters.deterministic_clusters` gives it) and
    the scored pairs (as `match.score_pairs` gives them), with the seconds of each step."""

    labels: np.ndarray
    rule: np.ndarray
    pairs: pd.DataFrame
    timings: dict[str, float]


_SESSION: dict[str, object] = {}


def _memory() -> str:
    """The driver's heap for a local master: a third of this machine's memory, between 1 and 16 GB."""
    total = machine_memory()
    return "2g" if total is None else f"{max(1, min(16, total // 3 // 2**30))}g"


def _conf(master: str, home: Path):
    from pyspark import SparkConf  # optional extra: most users never start Java
    from splink.backends.spark import similarity_jar_location

    local = master.startswith("local")
    conf = (SparkConf().setAppName("census").setMaster(master)
            .set("spark.jars", similarity_jar_location())  # Splink's string similarities (jaro_winkler …)
            .set("spark.ui.enabled", "false").set("spark.ui.showConsoleProgress", "false")
            .set("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_LOG4J.as_uri()}")
            .set("spark.local.dir", str(home / "local")).set("spark.sql.warehouse.dir", str(home / "warehouse"))
            .set("spark.sql.shuffle.partitions", "8" if local else "400"))
    return conf.set("spark.driver.memory", _memory()) if local else conf


def session(master: str = DEFAULT_MASTER):
    """The Spark session for `master`, started once per process (a JVM takes seconds to start) with Splink's
    string-similarity functions, and stopped when the process ends. Spark's scratch files go to a private folder
    of its own; what the JVM prints goes to a log there, and the first line of it into the error if Spark fails to
    start."""
    if _SESSION.get("master") == master:
        return _SESSION["spark"]
    stop()
    try:
        with warnings.catch_warnings():  # pyspark warns about the pandas it was not yet tested with
            warnings.simplefilter("ignore", FutureWarning)
            from pyspark import SparkContext  # optional extra: most users never start Java
            from pyspark.java_gateway import launch_gateway
            from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(_("没有安装 Spark 引擎：请运行 {hint}（另需 Java 17 或更新版本）；不加 --engine spark 则用默认的 DuckDB 引擎。").format(
            hint=INSTALL_HINT)) from None
    with private_umask():  # the JVM's files (shuffles, spills, its log) readable by their owner only
        home = Path(tempfile.mkdtemp(prefix="census-spark-"))
        log = open(home / "spark.log", "wb")  # noqa: SIM115 - the JVM writes it until the session stops
        try:
            conf = _conf(master, home)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                context = SparkContext(conf=conf, gateway=launch_gateway(conf, popen_kwargs={"stderr": log, "stdout": log}))
            spark = SparkSession(context)
        except Exception as e:  # noqa: BLE001 - no Java, or a master that cannot be reached
            log.close()
            reason = _first_error(home / "spark.log") or (str(e).strip().splitlines() or [type(e).__name__])[0].rstrip("。.")
            shutil.rmtree(home, ignore_errors=True)
            raise UsageError(_("无法启动 Spark（{master}）：{reason}。请确认已安装 Java 17 或更新版本，且 --spark-master 可以连接。").format(
                master=master, reason=reason)) from None
    context.setLogLevel("ERROR")
    _SESSION.update(master=master, spark=spark, home=home, log=log)
    return spark


def _first_error(log: Path) -> str | None:
    lines = [line.strip() for line in log.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line or "Exception" in line or "Error" in line]
    first = (errors or lines or [None])[0]
    # "04:44:22 ERROR StandaloneSchedulerBackend: Application has been killed. …" → what follows the logger's name
    return None if first is None else re.sub(r"^\d\d:\d\d:\d\d \w+ [\w.$]+: ", "", first).rstrip("。.")


def stop() -> None:
    """Stop the Spark session (if one is running) and remove its scratch folder."""
    spark = _SESSION.pop("spark", None)
    _SESSION.pop("master", None)
    if spark is not None:
        spark.stop()
    log = _SESSION.pop("log", None)
    if log is not None:
        log.close()
    home = _SESSION.pop("home", None)
    if home is not None:
        shutil.rmtree(home, ignore_errors=True)


atexit.register(stop)


def work_folder(ws: Workspace, options: SparkOptions, kind: str = "run") -> tuple[Path, Path | None]:
    """(the folder of this process's data for Spark, the folder census made for it and removes once empty: None for
    the user's --spark-dir). Folders of the same kind left by a process that was killed are removed first."""
    base = Path(options.folder) if options.folder else ws.path.with_name(ws.path.name + ".spark")
    for left in base.glob(f"{kind}-*"):  # left by a run that was killed: its process is gone
        pid = left.name[len(kind) + 1:]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    return base / f"{kind}-{os.getpid()}", None if options.folder else base


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def spark_match(ws: Workspace, record_ids: np.ndarray, settings: MatchSettings, options: SparkOptions,
                probabilistic: bool = True) -> SparkMatch:
    """The ID stage and the scoring of pairs on Spark, for the records `record_ids` (the workspace's records, in
    record id order)."""
    spark = session(options.master)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    folder, own = work_folder(ws, options)
    with ExitStack() as stack:
        con = stack.enter_context(scratch())
        if own is not None:
            stack.callback(remove_if_empty, own)
        stack.callback(shutil.rmtree, folder, True)  # the records handed to Spark, whatever happens
        with private_umask():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            con.register("_features", ws.con.sql(SPARK_RECORDS_SQL).to_arrow_table())
            canonical_people(con, "_features", "records")
            con.unregister("_features")
            con.execute(f"COPY records TO '{_quoted(folder / 'records')}' (FORMAT parquet, PARTITION_BY (district))")
        timings["parquet"] = round(time.perf_counter() - t0, 2)

        t1 = time.perf_counter()
        spark.sparkContext.setCheckpointDir(str(folder / "checkpoints"))
        spark.read.parquet(str(folder / "records")).createOrReplaceTempView("census_records")
        clusters = spark.sql(ID_STAGE_SQL).cache()
        found = clusters.toArrow()
        con.register("_clusters", found)
        con.execute("CREATE TABLE clusters AS SELECT record_id, cluster, n FROM _clusters")
        con.unregister("_clusters")
        ids = con.execute("SELECT record_id, cluster, n FROM clusters ORDER BY record_id").df()
        index = pd.Series(np.arange(len(record_ids)), index=record_ids)
        labels = index[ids["cluster"].to_numpy()].to_numpy(dtype=np.int64)
        rule = np.where(ids["n"].to_numpy() > 1, "id", "single").astype(object)
        timings["ids"] = round(time.perf_counter() - t1, 2)

        pairs = no_pairs()
        con.execute("CREATE TABLE people AS SELECT p.* EXCLUDE (district, id_key), c.cluster FROM records p "
                    "JOIN clusters c USING (record_id) ORDER BY p.unique_id")
        n_open, n = open_count(con)
        if probabilistic and n_open and n > 1:
            t2 = time.perf_counter()
            model = train(con, settings)
            timings["training"] = round(time.perf_counter() - t2, 2)
            t3 = time.perf_counter()
            pairs = _predict(spark, con, clusters, in_dialect(model, settings, "spark"), settings)
            timings["scoring"] = round(time.perf_counter() - t3, 2)
        clusters.unpersist()
        return SparkMatch(labels, rule, pairs, timings)


def _predict(spark, con: duckdb.DuckDBPyConnection, clusters, model: dict, settings: MatchSettings) -> pd.DataFrame:
    from splink import Linker  # see `match._model` on when Splink is imported
    from splink.backends.spark import SparkAPI

    people = spark.table("census_records").drop("id_key").join(clusters.select("record_id", "cluster"), "record_id")
    api = SparkAPI(spark_session=spark)
    linker = Linker(api.register(people), model, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=settings.review, warning_mode="never")
    frame = predictions.as_spark_dataframe()
    con.register("predictions", frame.selectExpr(*prediction_columns(set(frame.columns)).split(", ")).toArrow())
    try:
        return pairs_from(con, "predictions")
    finally:
        con.unregister("predictions")
        predictions.drop_table_from_database_and_remove_from_cache()


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: another run's, or the user's own files
        folder.rmdir()
