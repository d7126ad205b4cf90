"""How fast are tallies over a million persons? (issue: any table in under a second after linking)

Builds a workspace with N synthetic persons and their classifications straight in SQL (the tally stage reads
only `persons` and `classifications`), then times each kind of table the CLI prints.

    python benchmarks/tally_speed.py            # 1,000,000 persons
    python benchmarks/tally_speed.py --persons 200000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from census import Workspace, crosstab, narrative, tally
from census.categories.classify import mark_classified
from census.persons.link import mark_linked


def build(ws: Workspace, n: int, rounds: int = 1) -> None:
    """N persons in each of `rounds` rounds (2026, 2027 …): the tables count the latest round."""
    ws.con.execute("INSERT INTO regions VALUES ('district', '320114', '雨花台区', NULL, NULL, NULL)")
    for k in range(rounds):  # a source per round: the workspace's rounds are those its files are in
        ws.con.execute(f"""INSERT INTO sources VALUES ({k + 1}, 'bench{k}.xlsx', 'bench{k}.xlsx', 'sha{k}', 0, 'xlsx', NULL,
                           'community_ledger', now()::TIMESTAMP, 0, 0, 0, 0, 0, 0, 0, 1, 0, '{2026 + k}')""")
    ws.con.execute("""INSERT INTO regions SELECT 'street', '3201140' || lpad(i::VARCHAR, 2, '0'), '街道' || i, '320114', NULL, '街道' || i
                      FROM range(1, 11) t(i)""")
    for k in range(rounds):
        _persons(ws, n, str(2026 + k))
    mark_linked(ws)  # persons and classifications are current: the tallies do not link or classify again
    mark_classified(ws)


def _persons(ws: Workspace, n: int, round_: str) -> None:
    ws.con.execute(f"""
        INSERT INTO persons
        SELECT 'P' || lpad(i::VARCHAR, 7, '0'), '姓名' || i, NULL, CASE WHEN i % 2 = 0 THEN '女' ELSE '男' END,
               NULL, DATE '1960-01-01' + CAST(i % 18000 AS INTEGER), NULL, NULL, NULL,
               ['研究生', '大学本科', '大学专科', '高中', '初中'][1 + i % 5],
               ['中共党员', '群众', '民盟盟员', '共青团员'][1 + i % 4],
               CASE WHEN i % 4 = 0 THEN '中共党员' ELSE '党外' END,
               NULL, ['民营企业', '外资企业', '个体工商户'][1 + i % 3], NULL, NULL, i % 50 = 0,
               '街道' || (1 + i % 10), NULL, '社区' || (i % 300), NULL, 'community_ledger', 1, true, '{round_}',
               CASE WHEN i % 50 = 0 THEN ['区政协委员'] ELSE [] END
        FROM range({n}) t(i)""")
    for scheme, cats in (("current4", ["民营企业和外商投资企业管理技术人员", "中介组织和社会组织从业人员", "自由职业人员", "新媒体从业人员",
                                       "非公有制经济人士", "不属于统计范围", "待核实"]),
                         ("legacy6", ["民营科技企业创业人员和技术人员", "外资企业管理技术人员", "个体工商户", "私营企业主", "中介组织从业人员",
                                      "自由职业人员", "不属于统计范围"])):
        groups = {"非公有制经济人士": "outside", "不属于统计范围": "excluded", "待核实": "unresolved"}
        cases = " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(cats))
        grp = " ".join(f"WHEN {i} THEN '{groups.get(c, 'new_class')}'" for i, c in enumerate(cats))
        ws.con.execute(f"""INSERT INTO classifications
            SELECT 'P' || lpad(i::VARCHAR, 7, '0'), '{scheme}', CASE i % {len(cats)} {cases} END,
                   CASE i % {len(cats)} {grp} END, 'bench', 'bench', NULL, false, '{round_}'
            FROM range({n}) t(i)""")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=1, help="rounds of the same persons (the tables count the latest)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / "bench.duckdb")
        t0 = time.perf_counter()
        build(ws, args.persons, args.rounds)
        print(f"built {args.persons:,} persons × {args.rounds} round(s) in {time.perf_counter() - t0:.1f} s")
        cases = {
            "by category": lambda: tally(ws, "current4", ["category"]),
            "by street, category (with 小计)": lambda: tally(ws, "current4", ["street", "category"]),
            "by community, sex, age band": lambda: tally(ws, "legacy6", ["community", "sex", "age_band"]),
            "wide streets × categories": lambda: crosstab(ws, "current4", "street", "category"),
            "wide, suppressed <5 + complementary": lambda: crosstab(ws, "current4", "community", "category", suppress=5, complementary=True),
            "by education, percent": lambda: tally(ws, "current4", ["education"], percent="total"),
            "where street=街道3, by community": lambda: tally(ws, "current4", ["community"], {"street": "街道3"}),
            "narrative": lambda: narrative(ws, "current4"),
            "by arrangement (multi-valued)": lambda: tally(ws, "current4", ["arrangement"]),
            "rounds side by side": lambda: crosstab(ws, "current4", "category", "round"),
        }
        print(f"{'table':<40} {'seconds':>8}")
        for name, fn in cases.items():
            fn()  # warm
            t = time.perf_counter()
            fn()
            print(f"{name:<40} {time.perf_counter() - t:8.3f}")
        ws.close()


if __name__ == "__main__":
    main()
