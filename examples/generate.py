#!/usr/bin/env python3
"""Generate the demo district for `census`: the messy sources of Nanjing 雨花台区 with a known truth.

The district has five real streets (codes from ``schemas/divisions/streets.csv``) and 30 invented communities and
villages. Its people are synthetic: names, ID numbers (valid GB 11643 check characters) and phones are made up.
Each person gets an archetype (private tech engineer, lawyer, shop owner, live streamer, retired teacher …) that fixes
the true category under both schemes; the sources then write that person the way real ledgers do:

* community ledgers (社区台账, one workbook per community, one of them .xls) with varying titles, context lines,
  header names and orders, group headers, two-row headers, totals, signatures and instruction sheets;
* employer ledgers (驻地单位台帐): one sheet per unit, one sheet with a unit column, stacked unit blocks;
* household register exports (住户台帐, CSV in GB18030, one per street) listing every resident;
* a questionnaire (.sav with value labels) answered by a sample of the community-ledger persons.

Noise (ID, phone, date, name and sex variants, duplicates, moved persons, junk rows) is applied at realistic rates and
recorded row by row. The truth goes to ``truth/``: persons.csv, rows.csv (every data row: whose it is and what noise
it carries), nondata.csv (every other non-blank row) and expected.json (the counts a correct run must report).

Usage::

    python examples/generate.py                                   # regenerate the committed demo in examples/
    python examples/generate.py --out DIR --persons N --seed S    # a scaled district elsewhere (benchmarks)
    python examples/generate.py --check [--out DIR]               # every non-blank row is in the truth exactly once
    python examples/generate.py --out DIR --persons N --ledgers-only   # the ledgers alone (ingest benchmark)

Output is deterministic: the same persons and seed give byte-identical files. Benchmarks may
``sys.path.insert(0, "examples")`` and call ``generate(out_dir, persons, seed)``.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import itertools
import json
import random
import re
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path

import opencc
import pandas as pd
import pyreadstat
import python_calamine
import xlsxwriter
import xlwt

HERE = Path(__file__).resolve().parent
DIVISIONS = HERE.parent / "schemas" / "divisions"
DEMO_PERSONS = 700  # in-scope persons of the committed demo
DEMO_SEED = 20261015
FIXED_STAMP = datetime(2026, 10, 1)
REFERENCE_DAY = date(2026, 10, 1)

# ================================================================================================ categories
C4 = ("民营企业和外商投资企业管理技术人员", "中介组织和社会组织从业人员", "自由职业人员", "新媒体从业人员")
L6 = ("民营科技企业创业人员和技术人员", "外资企业管理技术人员", "个体工商户", "私营企业主", "中介组织从业人员", "自由职业人员")
NONPUBLIC = "非公有制经济人士"
EXCLUDED = "不属于统计范围"
UNRESOLVED = "待核实"
EDUCATION = ("研究生", "大学本科", "大学专科", "中等职业", "高中", "初中", "小学")
POLITICAL = ("中共党员", "中共预备党员", "共青团员", "民革党员", "民盟盟员", "民建会员", "民进会员", "农工党党员",
             "致公党党员", "九三学社社员", "台盟盟员", "无党派人士", "群众")
POLITICAL_WEIGHTS = (17, 1, 7, 0.4, 0.8, 0.7, 0.5, 0.4, 0.3, 0.6, 0.1, 2, 68)

# ================================================================================================ the register
STREETS: tuple[tuple[str, str, tuple[tuple[str, str, str], ...]], ...] = (
    ("雨花街道", "320114001", (("康盛花园社区", "001", "111"), ("翠竹园社区", "002", "111"), ("安德里社区", "003", "111"),
                             ("雨润华庭社区", "004", "111"), ("凤台南苑社区", "005", "112"), ("韩府山村", "201", "220"))),
    ("赛虹桥街道", "320114002", (("虹苑社区", "001", "111"), ("玉兰里社区", "002", "111"), ("凤栖苑社区", "003", "111"),
                               ("赛虹花园社区", "004", "111"), ("油坊桥社区", "005", "111"), ("小行里社区", "006", "111"))),
    ("西善桥街道", "320114004", (("岱山新城社区", "001", "111"), ("梅塘社区", "002", "111"), ("善桥新寓社区", "003", "112"),
                               ("景明佳园社区", "004", "111"), ("西善花苑社区", "005", "112"), ("沙洲村", "201", "220"))),
    ("板桥街道", "320114005", (("板桥新城社区", "001", "111"), ("江南花园社区", "002", "112"), ("新林苑社区", "003", "112"),
                             ("大定坊社区", "004", "112"), ("三山村", "201", "220"), ("龙山村", "202", "220"))),
    ("铁心桥街道", "320114006", (("铁心苑社区", "001", "111"), ("尹西社区", "002", "111"), ("春江新城社区", "003", "111"),
                               ("西春苑社区", "004", "111"), ("景泰苑社区", "005", "112"), ("马家店村", "201", "220"))),
)


@dataclass(eq=False)
class Street:
    name: str
    code: str
    communities: list[Community] = field(default_factory=list)


@dataclass(eq=False)
class Community:
    name: str
    code: str
    type: str
    street: Street
    weight: float  # relative number of residents

    @property
    def village(self) -> bool:
        return self.name.endswith("村")

    @property
    def short(self) -> str:
        return self.name[:-1] if self.village else self.name[:-2]

    @property
    def aliases(self) -> list[str]:
        return [self.short + "村委会", self.short] if self.village else [self.short]


def build_register() -> list[Street]:
    """The five streets (checked against streets.csv) and their invented communities."""
    known = {row["code"]: row["name"] for row in csv.DictReader((DIVISIONS / "streets.csv").open(encoding="utf-8"))}
    rng = random.Random("register")
    streets = []
    for name, code, comms in STREETS:
        if known.get(code) != name:
            raise SystemExit(f"{code} {name} is not in {DIVISIONS / 'streets.csv'}")
        street = Street(name, code)
        for cname, suffix, ctype in comms:
            weight = rng.uniform(0.5, 0.9) if cname.endswith("村") else rng.uniform(0.7, 1.5)
            street.communities.append(Community(cname, code + suffix, ctype, street, weight))
        streets.append(street)
    return streets


def regions_yaml(streets: list[Street]) -> str:
    lines = ["# The region register of the demo district. Streets and their codes are real (GB/T 2260 + statistical",
             "# codes); community and village names and codes are invented.", "name: 雨花台区", 'code: "320114"', "streets:"]
    for s in streets:
        lines += [f"  - name: {s.name}", f'    code: "{s.code}"', "    communities:"]
        for c in s.communities:
            lines.append(f'      - {{name: {c.name}, code: "{c.code}", type: "{c.type}", aliases: [{", ".join(c.aliases)}]}}')
    return "\n".join(lines) + "\n"


# ================================================================================================ units
@dataclass(frozen=True)
class UnitKind:
    """A kind of employer: how its name is formed, its true 单位性质, what ledgers write for it, and (for kinds whose
    staff all do the same job) their positions and household-register occupations."""

    key: str
    templates: tuple[str, ...]  # {b} domestic brand, {f} foreign brand, {i} industry, {o} place of origin
    types: tuple[str, ...]  # true 单位性质 (one per unit)
    written: tuple[str, ...] = ()  # other ways of writing it
    positions: tuple[str, ...] = ()
    occupations: tuple[str, ...] = ()
    declared: tuple[str, ...] = ()  # category spellings typical of this kind's staff
    weight: float = 1.0


BRAND_A = "云星博恒华天易汇鼎卓翰立瑞昊思启锦嘉优远凯联众德金宏新正安和盛同达信诚君泰隆聚创"
BRAND_B = "帆途越信睿捷智新远林达丰天源明程禾创景通科海诚邦泽宇辰腾航川峰拓驰誉嘉悦合弘成"
FOREIGN_SYLLABLES = "艾贝卡德菲格汉杰凯莱曼诺欧普瑞斯泰威西雅"
INDUSTRIES = ("软件", "餐饮", "物流", "建筑装饰", "电子商务", "家政服务", "物业管理", "汽车维修", "快递", "服装", "建材", "文化创意")
ORIGINS = ("温州", "福建", "安徽", "江西", "河南", "湖北", "浙江", "山东", "湖南", "四川", "潮汕", "台州")

POOLS: dict[str, tuple[float, tuple[UnitKind, ...]]] = {  # pool → (average listed staff per unit, kinds)
    "tech": (8, (UnitKind("tech", ("南京{b}科技有限公司", "南京{b}软件有限公司", "南京{b}信息技术有限公司", "江苏{b}智能科技有限公司",
                                   "南京{b}网络技术有限公司", "南京{b}电子技术有限公司"),
                          ("民营科技企业",), ("科技型企业", "高新技术企业", "民营（科技型）")),)),
    "private": (2.5, (UnitKind("private", ("南京{b}商贸有限公司", "南京{b}建筑工程有限公司", "南京{b}餐饮管理有限公司", "江苏{b}物流有限公司",
                                           "南京{b}装饰工程有限公司", "南京{b}实业有限公司", "南京{b}机械设备有限公司", "江苏{b}贸易有限公司",
                                           "南京{b}服饰有限公司", "南京{b}建材有限公司"),
                               ("民营企业", "私营企业"), ("民营", "有限责任公司（自然人投资）")),)),
    "foreign": (10, (UnitKind("foreign", ("{f}（中国）有限公司", "{f}电子（南京）有限公司", "{f}精密机械（南京）有限公司",
                                          "{f}汽车部件（南京）有限公司", "{f}医疗器械（南京）有限公司"),
                              ("外资企业", "外商独资企业", "中外合资企业", "港澳台投资企业"), ("外资",)),)),
    "new_media": (6, (UnitKind("new_media", ("南京{b}网络传媒有限公司", "南京{b}文化传媒有限公司", "南京{b}新媒体科技有限公司",
                                             "江苏{b}新媒体有限公司"), ("新媒体企业",), ("新媒体", "网络媒体企业")),)),
    "intermediary": (5, (
        UnitKind("law", ("江苏{b}律师事务所",), ("中介组织",), ("律师事务所", "中介机构"), ("律师", "专职律师", "合伙人", "实习律师"),
                 ("律师",), ("律师",), 3),
        UnitKind("cpa", ("江苏{b}会计师事务所有限公司",), ("中介组织",), ("会计师事务所", "中介机构"), ("注册会计师", "审计经理", "项目经理"),
                 ("注册会计师",), ("注册会计师",), 2),
        UnitKind("appraisal", ("南京{b}资产评估有限公司",), ("中介组织",), ("中介机构",), ("资产评估师", "评估师"), ("评估师",)),
        UnitKind("tax", ("南京{b}税务师事务所有限公司",), ("中介组织",), ("中介机构",), ("税务师", "注册税务师"), ("税务师",)),
        UnitKind("patent", ("南京{b}专利代理事务所（普通合伙）",), ("中介组织",), ("中介机构",), ("专利代理师",), ("专利代理人",), (), 0.5),
        UnitKind("realty", ("南京{b}房地产经纪有限公司",), ("中介组织",), ("中介机构",), ("房地产经纪人", "经纪人", "门店经理"),
                 ("房地产经纪人",), (), 1.5),
        UnitKind("consulting", ("南京{b}企业管理咨询有限公司",), ("中介组织",), ("中介机构",), ("咨询师", "高级咨询顾问"), ("咨询师",)),
        UnitKind("training", ("南京市雨花台区{b}培训学校", "南京{b}教育培训中心"), ("民办非企业单位",), (), ("教师", "教务主任"),
                 ("教师",), ("民办学校教师",), 1.5),
        UnitKind("clinic", ("南京{b}口腔门诊部", "南京{b}中医诊所"), ("民办非企业单位",), (), ("医生", "主治医师"), ("医生",),
                 ("民办医院医生",), 0.8),
    )),
    "social": (5, (
        UnitKind("association", ("南京市雨花台区{i}行业协会",), ("社会团体",), ("社团",), ("秘书长", "副秘书长", "项目主管"),
                 ("社会组织工作人员",)),
        UnitKind("chamber", ("南京市雨花台区{o}商会",), ("社会团体",), ("社团",), ("秘书长", "会务主管"), ("社会组织工作人员",)),
        UnitKind("foundation", ("南京{b}公益基金会",), ("基金会",), (), ("项目主管", "秘书长"), ("社会组织工作人员",)),
        UnitKind("social_work", ("南京雨花{b}社会工作服务中心",), ("社会服务机构",), ("民办非企业单位",), ("社工", "社会工作者", "项目主管"),
                 ("社会工作者",), ("社工", "社会工作者"), 2),
    )),
    "shop": (1, (UnitKind("shop", ("雨花台区{b}小吃店", "雨花台区{b}便利店", "雨花台区{b}五金店", "雨花台区{b}理发店", "雨花台区{b}面馆",
                                   "雨花台区{b}水果店", "雨花台区{b}烟酒店", "雨花台区{b}汽车维修部", "雨花台区{b}干洗店",
                                   "雨花台区{b}花店", "雨花台区{b}粮油经营部"),
                          ("个体工商户",), ("个体户", "个体")),)),
    "studio": (1.5, (UnitKind("studio", ("南京{b}文化传媒工作室", "雨花台区{b}短视频工作室"), ("",)),)),
}


@dataclass(eq=False)
class Unit:
    name: str
    kind: UnitKind
    unit_type: str
    ledger: str = ""  # unit-ledger file listing it ("" = none)


def brand(rng: random.Random, long: bool = False) -> str:
    """A two-character trade name; three characters when the two-character names are running out."""
    a, b = rng.choice(BRAND_A), rng.choice(BRAND_B)
    name = a + b if a != b else a + "元"
    return name + rng.choice(BRAND_B) if long else name


def foreign_brand(rng: random.Random) -> str:
    return "".join(rng.sample(FOREIGN_SYLLABLES, rng.choice((2, 3, 3))))


def build_units(rng: random.Random, pool: str, count: int) -> list[Unit]:
    kinds = POOLS[pool][1]
    cum = list(itertools.accumulate(k.weight for k in kinds))
    names: dict[str, Unit] = {}
    misses = 0  # consecutive names already taken
    while len(names) < count:
        kind = rng.choices(kinds, cum_weights=cum)[0]
        template = rng.choice(kind.templates)
        name = template.format(b=brand(rng, misses > 3), f=foreign_brand(rng), i=rng.choice(INDUSTRIES),
                               o=rng.choice(ORIGINS))
        if name in names:
            misses += 1
        else:
            names[name] = Unit(name, kind, rng.choice(kind.types))
            misses = 0
    return list(names.values())


# Units as the hidden district wrote them (`--hard-units`, for the classification benchmark): shops whose names
# carry a fashionable word, private firms decorated with a technology word before their real trade, technology
# firms whose 单位性质 column says only 民营企业.
FASHIONABLE = ("智能", "数据", "科技", "智慧", "数码科技", "云端")
SHOP_WORDS = ("小吃店", "便利店", "五金店", "理发店", "面馆", "水果店", "烟酒店", "汽车维修部", "干洗店", "花店", "粮油经营部")
PRIVATE_TRADES = ("建材", "餐饮管理", "商贸", "装饰工程", "物流", "服饰", "建筑工程", "机械设备")
TECH_TRADES = ("电子科技", "信息技术", "软件", "网络科技", "智能科技", "数据科技")


def harden_units(rng: random.Random, units: dict[str, list[Unit]]) -> None:
    """Rewrite some units the way the hidden district had them (a stream of its own: the default district does
    not draw from it). Their kind, and so their staff's true categories, stay as they were."""
    taken = {u.name for pool in units.values() for u in pool}

    def rename(u: Unit, name: str) -> None:
        if name not in taken:
            taken.discard(u.name)
            taken.add(name)
            u.name = name

    for u in units["shop"]:
        word = next((w for w in SHOP_WORDS if u.name.endswith(w)), None)
        if word and rng.random() < 0.5:
            rename(u, u.name[: -len(word)] + rng.choice(FASHIONABLE) + word)
    for u in units["private"]:
        if rng.random() < 0.5:
            rename(u, re.sub(r"^(南京|江苏)(..).*?(有限公司)$", lambda m: m.group(1) + m.group(2) + rng.choice(FASHIONABLE[:3])
                             + rng.choice(PRIVATE_TRADES) + m.group(3), u.name))
    for u in units["tech"]:
        if rng.random() < 0.5:
            rename(u, re.sub(r"^(南京|江苏)(..).*?(有限公司)$", lambda m: m.group(1) + m.group(2) + rng.choice(TECH_TRADES) + m.group(3),
                             u.name))
        if rng.random() < 0.4:
            u.unit_type = rng.choice(("民营企业", "私营企业", "民营"))


PUBLIC_UNITS = {  # occupation of out-of-scope adults → (units, 单位性质)
    "公务员": (("{s}办事处", "南京市雨花台区市场监督管理局", "南京市雨花台区人民政府"), "机关"),
    "事业单位人员": (("南京市雨花台区人民医院", "南京市雨花台区疾病预防控制中心", "南京市雨花台区妇幼保健院"), "事业单位"),
    "教师": (("南京市雨花台区{c}小学", "南京市雨花台区{c}中学"), "事业单位"),
    "国企职工": (("中国工商银行南京雨花支行", "中国建设银行南京雨花台支行", "国网南京供电公司", "中国移动南京分公司"), "国有企业"),
}


# ================================================================================================ archetypes
@dataclass(frozen=True)
class Archetype:
    key: str
    share: float  # of in-scope persons
    cat4: str
    cat6: str
    pool: str  # unit pool; "" = no employer
    positions: tuple[str, ...]  # empty: the unit kind's positions
    occupations: tuple[str, ...]  # empty: the unit kind's occupations
    declared: tuple[str, ...]  # category spellings a community ledger may write
    born: tuple[int, int]
    education: tuple[float, ...]  # weights over EDUCATION
    always_declared: bool = False  # position alone cannot decide the category, so ledgers always fill it in


ARCHETYPES: tuple[Archetype, ...] = (
    Archetype("private_tech_staff", 0.20, C4[0], L6[0], "tech",
              ("工程师", "软件工程师", "研发工程师", "技术总监", "程序员", "产品经理", "测试工程师", "算法工程师", "项目经理"),
              ("工程技术人员", "专业技术人员", "程序员"),
              ("民营科技企业创业人员和技术人员", "民营科技人员", "民营科技企业技术人员", C4[0], "民营企业管理技术人员"),
              (1975, 2001), (9, 50, 33, 3, 4, 1, 0)),
    Archetype("tech_founder", 0.05, NONPUBLIC, L6[0], "tech", ("董事长", "创始人", "法定代表人", "执行董事"), ("企业负责人",),
              ("民营科技企业创业人员", "民营科技企业创业人员和技术人员", "民营科技企业创业者", NONPUBLIC, "非公经济人士"),
              (1965, 1995), (20, 50, 22, 2, 5, 1, 0)),
    Archetype("private_manager", 0.05, C4[0], EXCLUDED, "private",
              ("总经理", "副总经理", "部门经理", "财务总监", "工程师", "销售总监"), ("企业管理人员",),
              (C4[0], "民营企业管理人员", "民营企业高管", "企业管理技术人员"), (1968, 1998), (4, 40, 40, 5, 9, 2, 0)),
    Archetype("foreign_staff", 0.10, C4[0], L6[1], "foreign",
              ("经理", "工程师", "总监", "财务经理", "质量工程师", "人力资源经理"), ("企业管理人员", "工程技术人员"),
              ("外企管理技术人员", "外资企业管理技术人员", "受聘于外资企业的管理技术人员", C4[0], "外商投资企业管理技术人员"),
              (1970, 2000), (12, 58, 25, 2, 3, 0, 0)),
    Archetype("private_owner", 0.10, NONPUBLIC, L6[3], "private",
              ("董事长", "法定代表人", "投资人", "总经理（法定代表人）", "执行董事"), ("企业负责人", "私营企业主"),
              ("私营企业主", "企业主", "民营企业出资人", NONPUBLIC, "私营业主", "民营企业主"),
              (1960, 1992), (3, 30, 35, 8, 16, 8, 0)),
    Archetype("individual_business", 0.15, NONPUBLIC, L6[2], "shop", ("业主", "店主", "经营者"), ("个体经营", "个体工商户"),
              ("个体户", "个体工商户", "规模个体工商户", "个体经营户", NONPUBLIC), (1960, 1998), (0, 6, 20, 14, 30, 27, 3)),
    Archetype("intermediary", 0.10, C4[1], L6[4], "intermediary", (), (),
              ("中介组织从业人员", "中介机构从业人员", C4[1]), (1965, 2000), (18, 58, 20, 2, 2, 0, 0)),
    Archetype("social_org", 0.07, C4[1], L6[4], "social", (), (),
              ("社会组织从业人员", C4[1], "中介组织和社会组织人员"), (1965, 2001), (6, 48, 38, 4, 4, 0, 0)),
    Archetype("freelancer", 0.10, C4[2], L6[5], "",
              ("自由撰稿人", "独立设计师", "摄影师", "家教", "职业经纪人", "独立音乐人"), ("自由职业",),
              ("自由职业人员", "自由职业者", "自由职业", "各类自由职业者"), (1965, 2001), (8, 45, 30, 6, 9, 2, 0), True),
    Archetype("new_media_creator", 0.05, C4[3], L6[5], "studio", ("网络主播", "自媒体博主", "网络作家", "短视频创作者"),
              ("网络主播", "自媒体", "网络作家"), ("网络主播", "新媒体人员", C4[3], "自媒体"), (1980, 2003), (2, 30, 40, 8, 16, 4, 0)),
    Archetype("new_media_company", 0.03, C4[3], L6[0], "new_media", ("编辑", "内容运营", "运营总监", "技术主管", "出资人"),
              ("企业管理人员", "工程技术人员"), (C4[3], "新媒体人员", "新媒体"), (1978, 2001), (5, 55, 33, 3, 4, 0, 0)),
)
ARCHETYPE_SHARES = list(itertools.accumulate(a.share for a in ARCHETYPES))
UNIT_LEDGER_POOLS = ("tech", "private", "foreign", "new_media", "intermediary", "social")

OUT_OF_SCOPE_ADULT = (("公务员", 4), ("事业单位人员", 5), ("教师", 3), ("国企职工", 6), ("无业", 6), ("务农", 0))

# ================================================================================================ persons
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
            "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
SURNAME_CUM = list(itertools.accumulate(1 / (i + 8) for i in range(len(SURNAMES))))
MALE_CHARS = "伟军明杰峰涛磊强勇斌浩鹏辉刚超波宇俊飞建华平健文林东志成龙洋阳晨博睿轩昊鑫铭锋君凯荣兴"
FEMALE_CHARS = "丽静敏娟芳燕艳玲婷雪慧琳霞红梅莉晶颖洁倩萍秀英兰云佳欣怡瑶蕾华明"
HOMOPHONES = {"伟": "玮炜", "玮": "伟", "军": "君", "君": "军", "丽": "莉俐", "莉": "丽", "静": "晶", "晶": "静", "华": "化",
              "明": "铭", "铭": "明", "芳": "方", "杰": "洁", "洁": "杰", "峰": "锋丰", "锋": "峰", "涛": "滔", "敏": "珉",
              "娟": "鹃", "磊": "垒"}
ETHNICITIES = ("汉族",) * 60 + ("回族", "满族", "蒙古族", "壮族", "土家族", "苗族")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156", "157",
                   "158", "159", "166", "177", "180", "181", "182", "186", "187", "188", "189", "198", "199")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


@dataclass(slots=True, eq=False)
class Person:
    key: str
    name: str
    male: bool
    birth: date
    id18: str
    phone: str
    education: str
    political: str
    ethnicity: str
    archetype: str
    cat4: str
    cat6: str
    street: Street | None = None  # truth street (for unit-ledger-only persons: the street of the unit ledger)
    community: Community | None = None  # truth community
    unit: Unit | None = None
    work_unit: str = ""
    unit_type: str = ""
    position: str = ""
    occupation: str = ""  # 职业 as the household register writes it
    representative: bool = False
    address: str = ""
    old_community: Community | None = None  # moved: also listed in this community's ledger (same street)
    in_unit_ledger: bool = False
    unit_only: bool = False
    in_household: bool = False
    in_survey: bool = False
    duplicate: bool = False
    conflict_unit: Unit | None = None  # the 3 deliberate conflicts: listed by this law firm as 律师
    declared: str = ""  # category written in the community ledger ("" = left blank)
    seen: bool = False  # already written once (later appearances may carry homophone slips)

    @property
    def sex(self) -> str:
        return "男" if self.male else "女"


def random_name(rng: random.Random, male: bool) -> str:
    chars = MALE_CHARS if male else FEMALE_CHARS
    given = rng.choice(chars) if rng.random() < 0.3 else rng.choice(chars) + rng.choice(chars)
    return rng.choices(SURNAMES, cum_weights=SURNAME_CUM)[0] + given


class People:
    """Draws persons with unique ID numbers and unique phones."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        areas = list(csv.DictReader((DIVISIONS / "areas.csv").open(encoding="utf-8")))
        self.nanjing = [a["code"] for a in areas if a["cityCode"] == "3201" and a["code"] != "320114"]
        self.elsewhere = [a["code"] for a in areas if a["provinceCode"] in ("32", "34", "36", "37", "41", "42", "43", "51")
                          and a["cityCode"] != "3201"]
        self.ids: set[str] = set()
        self.phones: set[str] = set()
        self.count = 0

    def id_number(self, birth: date, male: bool) -> str:
        rng = self.rng
        u = rng.random()
        addr = "320114" if u < 0.55 else rng.choice(self.nanjing) if u < 0.75 else rng.choice(self.elsewhere)
        while True:
            seq = rng.randrange(1, 500) * 2 - (1 if male else 0)
            body = f"{addr}{birth:%Y%m%d}{seq:03d}"
            idn = body + check_char(body)
            if idn not in self.ids:
                self.ids.add(idn)
                return idn

    def mobile(self) -> str:
        while True:
            phone = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def person(self, archetype: str, born: tuple[int, int], male: bool | None = None,
               education: tuple[float, ...] = (3, 30, 30, 8, 15, 12, 2)) -> Person:
        """A person with a name, ID and demographics; the phone is left to the caller (children have none)."""
        rng = self.rng
        male = rng.random() < 0.56 if male is None else male
        lo, hi = date(born[0], 1, 1).toordinal(), date(born[1], 12, 31).toordinal()
        birth = date.fromordinal(rng.randint(lo, hi))
        age = (REFERENCE_DAY - birth).days // 365
        political = rng.choices(POLITICAL, POLITICAL_WEIGHTS)[0] if age >= 18 else ("共青团员" if age >= 14 else "群众")
        if political == "共青团员" and age > 28:
            political = "群众"
        self.count += 1
        return Person(key=f"P{self.count:07d}", name=random_name(rng, male), male=male, birth=birth,
                      id18=self.id_number(birth, male), phone="",
                      education=rng.choices(EDUCATION, education)[0], political=political,
                      ethnicity=rng.choice(ETHNICITIES), archetype=archetype, cat4=EXCLUDED, cat6=EXCLUDED)


def address(rng: random.Random, c: Community) -> str:
    if c.village:
        return f"雨花台区{c.street.name}{c.short}村{rng.randint(1, 12)}组{rng.randint(1, 80)}号"
    return f"雨花台区{c.short}{rng.randint(1, 40)}栋{rng.randint(1, 3)}单元{rng.randint(1, 18)}0{rng.randint(1, 4)}室"


# ================================================================================================ population
@dataclass
class District:
    streets: list[Street]
    in_scope: list[Person]
    residents: list[Person]  # household-register people who are not in scope (and the in-scope ones they live with)
    households: list[tuple[Community, list[tuple[Person, str]]]]  # community, [(person, relation to head)]
    units: dict[str, list[Unit]]
    conflicts: list[Person]

    @property
    def communities(self) -> list[Community]:
        return [c for s in self.streets for c in s.communities]

    @property
    def everyone(self) -> list[Person]:
        return self.in_scope + self.residents


def build_in_scope(rng: random.Random, people: People, streets: list[Street], n: int, hard: random.Random | None = None,
                   conflicts_wanted: bool = True) -> District:
    """In-scope persons, their employers, communities and which sources list them. `hard`: a random stream to
    write the units as the hidden district had them (see `harden_units`); `conflicts_wanted`: the three persons
    whose community and unit ledgers disagree (left out when no ledger declares a category)."""
    comms = [c for s in streets for c in s.communities]
    comm_cum = list(itertools.accumulate(c.weight * (0.6 if c.village else 1.0) for c in comms))
    arch_idx = [bisect.bisect_right(ARCHETYPE_SHARES, rng.random() * ARCHETYPE_SHARES[-1]) for _ in range(n)]
    counts = Counter(ARCHETYPES[i].pool for i in arch_idx)
    units = {pool: build_units(rng, pool, max(2, round(counts[pool] / POOLS[pool][0])) if counts[pool] else 0)
             for pool in POOLS}
    if hard is not None:
        harden_units(hard, units)
    for pool in UNIT_LEDGER_POOLS:  # about half the employers send a staff list
        for k, u in enumerate(units[pool]):
            if k == 0 or rng.random() < 0.5:
                u.ledger = "listed"
    law_firms = [u for u in units["intermediary"] if u.kind.key == "law"]
    if law_firms:
        law_firms[0].ledger = "listed"
    listed = {pool: [u for u in units[pool] if u.ledger] for pool in POOLS}
    pareto = {pool: list(itertools.accumulate(1 / (k + 2) ** 0.7 for k in range(len(units[pool])))) for pool in POOLS}
    persons = []
    for i in arch_idx:
        a = ARCHETYPES[i]
        p = people.person(a.key, a.born, education=a.education)
        p.phone, p.cat4, p.cat6 = people.mobile(), a.cat4, a.cat6
        unit_only = a.pool in UNIT_LEDGER_POOLS and rng.random() < 0.11 and bool(listed[a.pool])
        if a.pool and not (a.pool == "studio" and rng.random() < 0.5):
            pool = listed[a.pool] if unit_only else units[a.pool]
            p.unit = pool[0] if len(pool) == 1 else rng.choice(pool) if unit_only else \
                rng.choices(pool, cum_weights=pareto[a.pool])[0]
            p.work_unit, p.unit_type = p.unit.name, p.unit.unit_type
        p.position = rng.choice(a.positions or p.unit.kind.positions)
        p.occupation = rng.choice(a.occupations or p.unit.kind.occupations)
        p.representative = rng.random() < (0.09 if a.key in ("private_owner", "tech_founder", "intermediary") else 0.04)
        if unit_only:
            p.unit_only = p.in_unit_ledger = True
        else:
            p.community = rng.choices(comms, cum_weights=comm_cum)[0]
            p.street = p.community.street
            p.address = address(rng, p.community)
            p.in_unit_ledger = bool(p.unit and p.unit.ledger) and rng.random() < 0.85
            declare = a.always_declared or rng.random() < 0.8
            p.declared = rng.choice(a.declared + (p.unit.kind.declared if p.unit else ())) if declare else ""
        persons.append(p)
    community_persons = [p for p in persons if p.community]
    conflicts = [p for p in community_persons if p.archetype == "freelancer"][:3] if law_firms and conflicts_wanted else []
    for p in conflicts:
        p.conflict_unit, p.declared = law_firms[0], "自由职业人员"
        p.work_unit, p.unit_type, p.position = law_firms[0].name, law_firms[0].unit_type, "律师"
    for p in community_persons:
        if p.conflict_unit:
            continue
        u = rng.random()
        if u < 0.015 and len(p.street.communities) > 1:
            p.old_community = rng.choice([c for c in p.street.communities if c is not p.community])
            p.in_household = True
        else:
            p.in_household = u < 0.40
        p.duplicate = rng.random() < 0.012
        p.in_survey = rng.random() < 0.10
    return District(streets, persons, [], [], units, conflicts)


def adult_occupation(rng: random.Random, c: Community, age: int) -> tuple[str, str, str, str]:
    """(archetype, 职业, 工作单位, 单位性质) of an out-of-scope or undecidable adult."""
    if rng.random() < 0.035:
        return "undecidable", rng.choice(("其他", "")), "", ""
    if age >= 60 or (age >= 55 and rng.random() < 0.5):
        return "out_of_scope", "务农" if c.village and rng.random() < 0.4 else "退休", "", ""
    if age <= 22:
        return "out_of_scope", "学生", "", ""
    weights = [w if occ != "务农" else (8 if c.village else 0) for occ, w in OUT_OF_SCOPE_ADULT]
    occ = rng.choices([o for o, _ in OUT_OF_SCOPE_ADULT], weights)[0]
    if occ in PUBLIC_UNITS:
        templates, utype = PUBLIC_UNITS[occ]
        return "out_of_scope", occ, rng.choice(templates).format(s=c.street.name, c=c.short), utype
    return "out_of_scope", occ, "", ""


def resident(rng: random.Random, people: People, c: Community, born: tuple[int, int], male: bool | None = None) -> Person:
    year = min(max(born[0], 1930), 2025), min(max(born[1], 1930), 2025)
    p = people.person("out_of_scope", (min(year), max(year)), male)
    age = (REFERENCE_DAY - p.birth).days // 365
    if age < 6:
        p.occupation = "学龄前"
    elif age < 18:
        p.occupation = "学生"
    else:
        p.archetype, p.occupation, p.work_unit, p.unit_type = adult_occupation(rng, c, age)
        p.phone = people.mobile()
    if age < 18:
        p.education = "小学" if age < 12 else "初中" if age < 15 else "高中"
    p.cat4 = p.cat6 = UNRESOLVED if p.archetype == "undecidable" else EXCLUDED
    p.community, p.street, p.address = c, c.street, address(rng, c)
    return p


def family(rng: random.Random, people: People, c: Community, head: Person) -> list[tuple[Person, str]]:
    """A household around `head`: spouse, children, sometimes a parent."""
    y = head.birth.year
    members = [(head, "户主")]
    if rng.random() < 0.75:
        members.append((resident(rng, people, c, (y - 4, y + 4), not head.male), "配偶"))
    father = next((m for m, _ in members if m.male), None)
    for _ in range(rng.choice((0, 1, 1, 2))):
        kid = resident(rng, people, c, (y + 22, y + 38))
        if father:
            kid.name = father.name[0] + kid.name[1:]
        members.append((kid, "子" if kid.male else "女"))
    if y >= 1960 and rng.random() < 0.2:
        parent = resident(rng, people, c, (y - 34, y - 22))
        members.append((parent, "父亲" if parent.male else "母亲"))
    for m, _ in members:
        m.address = head.address
    return members


def build_households(rng: random.Random, people: People, d: District) -> None:
    """Households of every community: those of household-listed in-scope persons, then out-of-scope households until
    the register has about 3.2 out-of-scope residents per in-scope person."""
    by_comm: dict[int, list[list[tuple[Person, str]]]] = {id(c): [] for c in d.communities}
    for p in d.in_scope:
        if not p.in_household:
            continue
        members = family(rng, people, p.community, p)
        if len(members) > 1 and members[1][1] == "配偶" and rng.random() < 0.4:  # the spouse is the head
            members[0], members[1] = (members[1][0], "户主"), (p, "配偶")
        by_comm[id(p.community)].append(members)
        d.residents += [m for m, _ in members if m is not p]
    target = round(len(d.in_scope) * 3.2)
    comms = d.communities
    cum = list(itertools.accumulate(c.weight for c in comms))
    while len(d.residents) < target:
        c = rng.choices(comms, cum_weights=cum)[0]
        head = resident(rng, people, c, (1940, 2000))
        members = family(rng, people, c, head)
        by_comm[id(c)].append(members)
        d.residents += [m for m, _ in members]
    for c in comms:
        homes = by_comm[id(c)]
        rng.shuffle(homes)
        d.households += [(c, h) for h in homes]


# ================================================================================================ cells and sheets
class Num(float):
    """A value typed into a numeric cell."""


class XDate(date):
    """A real Excel date cell."""


Cell = str | Num | XDate | None


@dataclass(slots=True)
class RowInfo:
    kind: str  # data or a nondata kind
    person: str = ""
    id_valid: bool = False
    noise: str = ""
    col_range: str = ""  # the columns of its table when the sheet holds tables side by side ("H:M")


@dataclass
class Sheet:
    """A sheet (or a CSV file, or the cases of a .sav) as rows of cells, each row annotated for the truth."""

    name: str
    rows: list[list[Cell]] = field(default_factory=list)
    info: list[RowInfo | None] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # first row, first col, last row, last col
    widths: list[int] = field(default_factory=list)
    date_format: str = "yyyy-mm-dd"
    beside: dict[int, RowInfo] = field(default_factory=dict)  # a second data row in a row: the table beside the first

    def add(self, kind: str, cells: list[Cell], person: str = "", id_valid: bool = False, noise: str = "") -> int:
        self.rows.append(cells)
        self.info.append(RowInfo(kind, person, id_valid, noise))
        return len(self.rows) - 1

    def blank(self, n: int = 1) -> None:
        for _ in range(n):
            self.rows.append([])
            self.info.append(None)

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.merges.append((r1, c1, r2, c2))


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    # constant_memory keeps big sheets cheap, but it flushes each row once a later one is written, and then drops
    # merges that start above: a workbook with vertical merges (a two-row header) is written the ordinary way
    vertical = any(m[0] != m[2] for s in sheets for m in s.merges)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not vertical})
    wb.set_properties({"created": FIXED_STAMP, "author": "", "comments": ""})
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    header = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True})
    number = wb.add_format({"num_format": "0"})
    for sheet in sheets:
        ws = wb.add_worksheet(sheet.name)
        for c, w in enumerate(sheet.widths):
            ws.set_column(c, c, w)
        dates = wb.add_format({"num_format": sheet.date_format})
        merges_at: dict[int, list[tuple[int, int, int, int]]] = {}
        for m in sheet.merges:
            merges_at.setdefault(m[0], []).append(m)
        for r, (cells, info) in enumerate(zip(sheet.rows, sheet.info, strict=True)):
            fmt = (title if info.kind == "title" else header if info.kind == "header" else None) if info else None
            starts = {(m[1]): m for m in merges_at.get(r, ())}
            for c, v in enumerate(cells):
                if c in starts or v is None or v == "":
                    continue
                if type(v) is str:
                    ws.write_string(r, c, v, fmt)
                elif type(v) is Num:
                    ws.write_number(r, c, v, number)
                else:
                    ws.write_datetime(r, c, datetime(v.year, v.month, v.day), dates)
            for c, m in starts.items():
                ws.merge_range(m[0], m[1], m[2], m[3], cells[c] if c < len(cells) else "", fmt)
    wb.close()


def write_xls(path: Path, sheets: list[Sheet]) -> None:
    wb = xlwt.Workbook(encoding="utf-8")
    title = xlwt.easyxf("font: bold on, height 280; align: horiz center")
    header = xlwt.easyxf("font: bold on; align: horiz center, wrap on; borders: left thin, right thin, top thin, bottom thin")
    plain = xlwt.easyxf("")
    number = xlwt.easyxf(num_format_str="0")
    for sheet in sheets:
        ws = wb.add_sheet(sheet.name)
        dates = xlwt.easyxf(num_format_str=sheet.date_format)
        for c, w in enumerate(sheet.widths):
            ws.col(c).width = 256 * w
        merged = {(m[0], m[1]): m for m in sheet.merges}
        for r, (cells, info) in enumerate(zip(sheet.rows, sheet.info, strict=True)):
            fmt = (title if info.kind == "title" else header if info.kind == "header" else plain) if info else plain
            for c, v in enumerate(cells):
                if (r, c) in merged:
                    m = merged[(r, c)]
                    ws.write_merge(m[0], m[2], m[1], m[3], v or "", fmt)
                elif v is None or v == "":
                    continue
                elif type(v) is str:
                    ws.write(r, c, v, fmt)
                elif type(v) is Num:
                    ws.write(r, c, float(v), number)
                else:
                    ws.write(r, c, date(v.year, v.month, v.day), dates)
    wb.save(str(path))


def write_csv(path: Path, sheet: Sheet) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows(["" if v is None else str(v) for v in row] for row in sheet.rows)
    path.write_bytes(buf.getvalue().encode("gb18030"))


# ================================================================================================ writing a person
HALF_TO_FULL = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
S2T = opencc.OpenCC("s2t")
T2S = opencc.OpenCC("t2s")


@cache
def traditional(text: str) -> str:
    return S2T.convert(text)


@cache
def traditional_name(name: str) -> str:
    """The name in traditional characters, when that converts back to the same name: OpenCC writes the surname
    于 as 於 (which stays 於) and reads 沈靜 as the word 沉静, so such names keep their simplified characters."""
    by_char = "".join(t if T2S.convert(t) == ch else ch for ch, t in ((ch, traditional(ch)) for ch in name))
    for candidate in (traditional(name), by_char):
        if T2S.convert(candidate) == name:
            return candidate
    return name


@dataclass(frozen=True)
class Style:
    """How one file writes values."""

    date: str = "iso"  # iso slash cn month compact excel serial
    sex: str = "text"  # text code long mf
    traditional: bool = False
    align_names: bool = False  # full-width space inside two-character names
    lower_x: bool = False  # check character X written lower-case
    numeric_ids: float = 0.0  # share of IDs typed into numeric cells
    numeric_phones: float = 0.0
    excel: bool = True  # numeric and date cells possible


# noise → weight; "ok" = written correctly
ID_NOISE = {"ledger": (("ok", 80), ("id_spaces", 3), ("id_dashes", 2), ("id_fullwidth", 2), ("id_legacy15", 4),
                       ("id_mistyped", 3), ("id_swapped", 2), ("id_missing", 4)),
            "household": (("ok", 92), ("id_spaces", 1), ("id_fullwidth", 1), ("id_legacy15", 3), ("id_mistyped", 1),
                          ("id_swapped", 1), ("id_missing", 1))}
PHONE_NOISE = {"ledger": (("ok", 70), ("phone_spaces", 6), ("phone_dashes", 6), ("phone_plus86", 3), ("phone_86", 2),
                          ("phone_two_numbers", 3), ("phone_landline", 3), ("phone_missing", 7)),
               "household": (("ok", 78), ("phone_dashes", 3), ("phone_two_numbers", 3), ("phone_landline", 4),
                             ("phone_missing", 12)),
               "survey": (("ok", 50), ("phone_dashes", 25), ("phone_plus86", 15), ("phone_spaces", 10))}
DATE_STYLES = ("iso", "slash", "cn", "month", "compact", "excel", "serial")
EDUCATION_WRITTEN = {"研究生": ("研究生", "硕士", "硕士", "博士"), "大学本科": ("本科", "本科", "大学本科", "大学", "本科学历"),
                     "大学专科": ("大专", "大专", "专科", "大学专科"), "中等职业": ("中专", "中技", "职高"),
                     "高中": ("高中",), "初中": ("初中", "初中及以下"), "小学": ("小学",)}
POLITICAL_WRITTEN = {"中共党员": ("中共党员", "中共党员", "党员"), "中共预备党员": ("预备党员", "中共预备党员"),
                     "共青团员": ("共青团员", "团员")}
SEX_WRITTEN = {"text": ("男", "女"), "code": ("1", "2"), "long": ("男性", "女性"), "mf": ("M", "F")}


def cum_table(pairs: tuple[tuple[str, float], ...]) -> tuple[list[str], list[float]]:
    return [k for k, _ in pairs], list(itertools.accumulate(w for _, w in pairs))


ID_TABLES = {k: cum_table(v) for k, v in ID_NOISE.items()}
PHONE_TABLES = {k: cum_table(v) for k, v in PHONE_NOISE.items()}


class Scribe:
    """Writes a person's facts the way one file writes them; `noise` collects what was distorted in the current row."""

    def __init__(self, rng: random.Random, style: Style, source: str):
        self.rng = rng
        self.style = style
        self.source = source  # ledger, household, survey
        self.noise: list[str] = []
        self.id_valid = False

    def start(self) -> None:
        self.noise = []
        self.id_valid = False

    def pick(self, table: tuple[list[str], list[float]]) -> str:
        keys, cum = table
        return keys[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def text(self, value: str) -> str:
        return traditional(value) if self.style.traditional and value else value

    def name(self, p: Person, slip_rate: float = 0.07) -> str:
        rng, name = self.rng, p.name
        if p.seen and rng.random() < slip_rate:
            slips = [i for i in range(1, len(name)) if name[i] in HOMOPHONES]
            if slips:
                i = rng.choice(slips)
                name = name[:i] + rng.choice(HOMOPHONES[name[i]]) + name[i + 1:]
                self.noise.append("name_homophone")
        p.seen = True
        if self.style.traditional and traditional_name(name) != name:
            name = traditional_name(name)
            self.noise.append("name_traditional")
        if self.style.align_names and len(name) == 2:
            name = name[0] + "\u3000" + name[1]
            self.noise.append("name_fullwidth_space")
        elif rng.random() < 0.025:
            name = rng.choice((name + " ", " " + name, name[0] + " " + name[1:]))
            self.noise.append("name_stray_space")
        return name

    def id_number(self, p: Person) -> Cell:
        rng, idn, style = self.rng, p.id18, self.style
        if style.excel and style.numeric_ids and idn[-1] != "X" and rng.random() < style.numeric_ids:
            self.noise.append("id_numeric_cell")
            return Num(int(idn[:15]) * 1000)
        kind = self.pick(ID_TABLES[self.source])
        if kind == "id_legacy15" and p.birth.year >= 1980:
            kind = "ok"
        self.id_valid = kind in ("ok", "id_spaces", "id_dashes", "id_fullwidth", "id_legacy15")
        if idn[-1] == "X" and style.lower_x and kind not in ("id_legacy15", "id_missing"):
            idn = idn[:-1] + "x"
            self.noise.append("id_lower_x")
        if kind == "ok":
            return idn
        self.noise.append(kind)
        if kind == "id_spaces":
            return rng.choice((f"{idn[:6]} {idn[6:14]} {idn[14:]}", f"{idn[:9]} {idn[9:]}", idn + " "))
        if kind == "id_dashes":
            return f"{idn[:6]}-{idn[6:14]}-{idn[14:]}"
        if kind == "id_fullwidth":
            return idn.translate(HALF_TO_FULL)
        if kind == "id_legacy15":
            return idn[:6] + idn[8:17]
        if kind == "id_mistyped":
            i = rng.randrange(17)
            return idn[:i] + rng.choice([d for d in "0123456789" if d != idn[i]]) + idn[i + 1:]
        if kind == "id_swapped":
            spots = [i for i in range(16) if idn[i] != idn[i + 1]]
            i = rng.choice(spots)
            return idn[:i] + idn[i + 1] + idn[i] + idn[i + 2:]
        return ""  # id_missing

    def phone(self, p: Person) -> Cell:
        rng, ph, style = self.rng, p.phone, self.style
        if not ph:
            return ""
        if style.excel and style.numeric_phones and rng.random() < style.numeric_phones:
            self.noise.append("phone_numeric_cell")
            return Num(int(ph))
        kind = self.pick(PHONE_TABLES[self.source])
        if kind == "ok":
            return ph
        self.noise.append(kind)
        if kind == "phone_spaces":
            return f"{ph[:3]} {ph[3:7]} {ph[7:]}"
        if kind == "phone_dashes":
            return f"{ph[:3]}-{ph[3:7]}-{ph[7:]}"
        if kind == "phone_plus86":
            return rng.choice(("+86 ", "+86-", "+86")) + ph
        if kind == "phone_86":
            return "86" + ph
        if kind == "phone_two_numbers":
            other = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10 ** 8):08d}"
            return ph + rng.choice(("/", "，", " ", "、")) + other
        if kind == "phone_landline":
            return f"025-{rng.choice('5246'):s}{rng.randrange(10 ** 7):07d}"
        return ""  # phone_missing

    def birth(self, p: Person) -> Cell:
        rng, style = self.rng, self.style
        fmt = style.date if rng.random() < 0.9 else rng.choice(DATE_STYLES if style.excel else ("iso", "slash", "cn", "compact"))
        b = p.birth
        if fmt != "iso":
            self.noise.append("date_" + fmt)
        if fmt == "iso":
            return f"{b:%Y-%m-%d}"
        if fmt == "slash":
            return f"{b.year}/{b.month}/{b.day}"
        if fmt == "cn":
            return f"{b.year}年{b.month}月{b.day}日"
        if fmt == "month":
            return f"{b.year}.{b.month:02d}"
        if fmt == "compact":
            return f"{b:%Y%m%d}"
        if fmt == "excel":
            return XDate(b.year, b.month, b.day)
        return str((b - date(1899, 12, 30)).days)  # serial number in a text cell

    def sex(self, p: Person) -> str:
        if self.rng.random() < 0.03:
            self.noise.append("sex_missing")
            return ""
        if self.style.sex != "text":
            self.noise.append("sex_" + self.style.sex)
        return SEX_WRITTEN[self.style.sex][0 if p.male else 1]

    def education(self, p: Person) -> str:
        return self.rng.choice(EDUCATION_WRITTEN[p.education])

    def political(self, p: Person) -> str:
        return self.rng.choice(POLITICAL_WRITTEN.get(p.political, (p.political,)))

    def done(self) -> str:
        return ";".join(self.noise)


# ================================================================================================ community ledgers
FIELD_LABELS = {
    "seq": ("序号", "编号"), "name": ("姓名", "名字", "人员姓名"), "sex": ("性别",),
    "id": ("身份证号", "身份证号码", "公民身份号码", "身份证"), "birth": ("出生年月", "出生日期"), "ethnicity": ("民族",),
    "phone": ("联系电话", "手机号码", "电话", "手机"), "education": ("学历", "文化程度", "最高学历"), "political": ("政治面貌", "党派"),
    "unit": ("工作单位", "单位名称", "所在单位", "工作单位名称"), "unit_type": ("单位性质", "企业性质"),
    "position": ("职务", "职务（职称）", "岗位"), "category": ("人员类别", "类别", "新的社会阶层人士类别", "所属类别"),
    "representative": ("是否代表人士", "代表人士"), "address": ("居住地址", "现住址", "家庭住址"), "note": ("备注",),
}
WIDTHS = {"seq": 6, "name": 10, "sex": 6, "id": 22, "birth": 12, "ethnicity": 8, "phone": 15, "education": 10,
          "political": 12, "unit": 30, "unit_type": 14, "position": 14, "category": 26, "representative": 10,
          "address": 32, "note": 16}
TEMPLATES = (  # column orders; "|" marks the 基本信息 / 工作情况 groups used by group headers
    "seq name sex id birth ethnicity political education phone | unit unit_type position | category representative address note",
    "seq name id sex birth education political phone | unit position unit_type | category representative note",
    "seq category name sex birth id phone education political unit unit_type position representative address note",
    "seq name sex ethnicity birth id education political unit unit_type position phone category representative address note",
)
TWO_ROW_TEMPLATE = "seq name sex id birth phone | unit position | unit_type category education political representative note"
OPTIONAL = {"ethnicity": 0.5, "birth": 0.15, "address": 0.4, "note": 0.3, "representative": 0.15, "education": 0.1,
            "political": 0.1, "unit_type": 0.2}
INSTRUCTIONS = (
    "填表说明",
    "一、本表由各社区（村）负责填写，每年10月底前报街道统战办。",
    "二、“人员类别”按以下类别填写：民营企业和外商投资企业管理技术人员、中介组织和社会组织从业人员、自由职业人员、新媒体从业人员；"
    "私营企业主、个体工商户请注明。",
    "三、身份证号码一律填写18位，请将单元格设置为文本格式。",
    "四、“是否代表人士”填写“是”或“否”。",
    "五、本表信息仅用于统战工作，不得外传。",
)
NOTES = ("注：1.人员类别按《中国共产党统一战线工作条例》规定填写；2.身份证号码请以文本格式填写18位。",
         "注：本表信息仅用于统战工作，请注意保密。", "注：已迁出人员请在备注栏注明。")


@dataclass
class LedgerLayout:
    """The shape of one community's ledger sheet."""

    community: Community
    path: str  # relative to the output directory
    sheet: str
    title: tuple[str, ...]
    title_merged: bool
    context: str
    columns: list[tuple[str, str]]  # (field, label)
    header: str  # plain group two_row two_row_merged
    style: Style
    column_numbers: bool = False
    seq_junk: int = 0
    name_junk: bool = False
    footer: str = "total"  # total total_split total_sum
    signature: int = 0
    note: int = -1
    blank_before_footer: int = 0
    instructions: bool = False
    spare_sheets: bool = False


def ledger_layouts(streets: list[Street]) -> list[LedgerLayout]:
    """One layout per community. Independent of --seed so that every run writes the same set of files."""
    rng = random.Random("layouts")
    comms = [c for s in streets for c in s.communities]
    n = len(comms)
    special: dict[str, list[int]] = {}
    pool = list(range(n))
    rng.shuffle(pool)
    sheet_only = [i for i, c in enumerate(comms) if c.name in ("三山村", "大定坊社区")]
    special["xls"] = [i for i, c in enumerate(comms) if c.name == "凤台南苑社区"]
    pool = [i for i in pool if i not in sheet_only + special["xls"]]
    generic = [next(i for i in pool if comms[i].street.name == s) for s in ("雨花街道", "赛虹桥街道", "铁心桥街道")]
    pool = [i for i in pool if i not in generic]
    special["two_row"], pool = pool[:2], pool[2:]
    special["group"], pool = pool[:5], pool[5:]
    special["column_numbers"] = pool[:1]
    order = list(range(n))
    rng.shuffle(order)
    traditional_, align, numeric_ids, numeric_phones = order[:3], order[3:8], order[8:11], order[11:15]
    dates = [DATE_STYLES[k % len(DATE_STYLES)] for k in range(n)]
    rng.shuffle(dates)
    layouts = []
    for i, c in enumerate(comms):
        s = c.street.name
        style = Style(date=dates[i], sex=("text", "text", "code", "long", "mf", "text")[i % 6], traditional=i in traditional_,
                      align_names=i in align, lower_x=rng.random() < 0.3, numeric_ids=0.35 if i in numeric_ids else 0.0,
                      numeric_phones=0.4 if i in numeric_phones else 0.0)
        header = ("two_row_merged" if i == special["two_row"][0] else "two_row") if i in special["two_row"] else \
            "group" if i in special["group"] else "plain"
        template = TWO_ROW_TEMPLATE if header.startswith("two_row") else TEMPLATES[i % (2 if header == "group" else 4)]
        fields = [f for f in template.split() if f == "|" or f not in OPTIONAL or rng.random() >= OPTIONAL[f]]
        columns = []
        for k, f in enumerate(fields):
            labels = FIELD_LABELS.get(f, ("|",))
            columns.append((f, labels[(i + k) % len(labels)]))
        if header.startswith("two_row"):
            columns = [(f, {"id": "身份证号码", "unit": "单位名称", "position": "职务"}.get(f, lab)) for f, lab in columns]
        day = rng.randint(8, 28)
        title_forms = (f"{s}{c.name}新的社会阶层人士台账", f"{s}{c.short}新的社会阶层人士台账",
                       f"{s}\u3000{c.name}\u3000新的社会阶层人士台账", f"2026年{c.name}新的社会阶层人士信息登记表")
        title: tuple[str, ...] = (title_forms[i % 4],) if i % 5 else ("雨花台区新的社会阶层人士台账", f"（{s}{c.name}）")
        if style.traditional:
            title = tuple(traditional(t) for t in title)
        context_forms = (f"填报单位：{c.name}\u3000\u3000填报日期：2026年10月{day}日",
                         f"填报单位：{s}{c.name}（盖章）\u3000\u3000\u3000\u3000填报时间：2026.10.{day}",
                         f"填报单位：{c.short if not c.village else c.name}\u3000\u3000\u3000填报日期：2026-10-{day}",
                         f"街道：{s}\u3000\u3000{'村' if c.village else '社区'}：{c.name}", "")
        context = context_forms[i % 5]
        sheet = rng.choice(("Sheet1", "台账", "2026年", "新阶层人士"))
        if i in sheet_only:
            path, sheet, title, context = f"district/{s}/{s}新阶层人士台账汇总.xlsx", c.short if c.village else c.name, \
                ("新的社会阶层人士台账",), ""
        elif i in generic:
            k = generic.index(i)
            path = f"district/{s}/" + ("台账（2026）.xlsx", "新阶层人士台账（2026年度）.xlsx", "附件2：新的社会阶层人士信息表.xlsx")[k]
            if k:  # named only in the 填报单位 line
                title, context = ("新的社会阶层人士信息表（2026年）",), f"填报单位：{s}{c.name}\u3000\u3000填报日期：2026年10月{day}日"
            else:  # named only in the title
                title, context = (f"{s}{c.name}新的社会阶层人士台账",), ""
        elif i in special["xls"]:
            path = f"district/{s}/{c.name}台账.xls"
        else:
            path = f"district/{s}/{c.name}台账.xlsx" if rng.random() < 0.5 else f"district/{s}/{s}_{c.name}_新阶层人士台账.xlsx"
        layouts.append(LedgerLayout(
            community=c, path=path, sheet=sheet, title=title, title_merged=rng.random() < 0.6, context=context,
            columns=columns, header=header, style=style, column_numbers=i in special["column_numbers"],
            seq_junk=rng.choice((3, 5)) if i % 9 == 4 else 0, name_junk=i % 11 == 7,
            footer=("total", "total_split", "total_sum")[i % 3], signature=i % 3, note=i % 4 - 1 if i % 4 else -1,
            blank_before_footer=int(i % 3 == 0), instructions=i % 4 == 1, spare_sheets=i % 7 == 2))
    return layouts


def ledger_cells(sc: Scribe, p: Person, fields: list[str], seq: int, c: Community) -> list[Cell]:
    """One community-ledger data row."""
    rng = sc.rng
    out: list[Cell] = []
    for f in fields:
        if f == "seq":
            out.append(str(seq))
        elif f == "name":
            out.append(sc.name(p))
        elif f == "sex":
            out.append(sc.sex(p))
        elif f == "id":
            out.append(sc.id_number(p))
        elif f == "birth":
            out.append(sc.birth(p))
        elif f == "ethnicity":
            out.append(p.ethnicity)
        elif f == "phone":
            out.append(sc.phone(p))
        elif f == "education":
            out.append(sc.education(p))
        elif f == "political":
            out.append(sc.political(p))
        elif f == "unit":
            unit = "" if p.conflict_unit else p.work_unit
            out.append(sc.text(unit) if unit else rng.choice(("", "", "无", "自由职业" if p.archetype == "freelancer" else "个人")))
        elif f == "unit_type":
            u = None if p.conflict_unit else p.unit
            out.append(sc.text(rng.choice((u.unit_type,) * 3 + u.kind.written) if u and u.unit_type else ""))
        elif f == "position":
            out.append(sc.text(p.position if not p.conflict_unit else rng.choice(("自由职业", ""))))
        elif f == "category":
            out.append(sc.text(p.declared))
        elif f == "representative":
            out.append(rng.choice(("是", "是", "√")) if p.representative else rng.choice(("否", "否", "")))
        elif f == "address":
            out.append(sc.text(address(rng, c) if p.old_community is c else p.address))
        else:  # note
            out.append("已迁出" if p.old_community is c and rng.random() < 0.5 else
                       rng.choice(("区政协委员", "区工商联执委", "")) if p.representative else "")
    return out


def ledger_sheet(rng: random.Random, lay: LedgerLayout, entries: list[tuple[Person, str]]) -> Sheet:
    cols = lay.columns
    fields = [f for f, _ in cols if f != "|"]
    labels = [lab for f, lab in cols if f != "|"]
    ncols = len(fields)
    sheet = Sheet(lay.sheet, widths=[WIDTHS[f] for f in fields],
                  date_format={"cn": 'yyyy"年"m"月"d"日"', "slash": "yyyy/m/d"}.get(lay.style.date, "yyyy-mm-dd"))
    for t in lay.title:
        r = sheet.add("title", [t])
        if lay.title_merged:
            sheet.merge(r, 0, r, ncols - 1)
    if lay.context:
        sheet.add("context", [lay.context])
    groups, pos = [], 0  # (first col, last col, label) of 基本信息 / 工作情况
    for part, label in zip(" ".join(f for f, _ in cols).split("|"), ("基本信息", "工作情况", ""), strict=False):
        width = len(part.split())
        if label:
            first = pos + (1 if part.split()[0] == "seq" else 0)
            groups.append((first, pos + width - 1, label))
        pos += width
    if lay.header == "group":
        r = sheet.add("header", [""] * ncols)
        for first, last, label in groups:
            sheet.rows[r][first] = label
            sheet.merge(r, first, r, last)
        sheet.add("header", labels)
    elif lay.header.startswith("two_row"):
        work = groups[1]
        top = [("身份证" if f == "id" else lab) for f, lab in zip(fields, labels, strict=True)]
        bottom = [("号码" if f == "id" else "") for f in fields]
        for c in range(work[0], work[1] + 1):
            top[c], bottom[c] = ("工作情况" if c == work[0] else ""), labels[c]
        r = sheet.add("header", top)
        sheet.add("header", bottom)
        sheet.merge(r, work[0], r, work[1])
        if lay.header == "two_row_merged":
            for c in range(ncols):
                if not bottom[c]:
                    sheet.merge(r, c, r + 1, c)
    else:
        sheet.add("header", labels)
    if lay.column_numbers:
        sheet.add("junk", [str(k + 1) for k in range(ncols)])
    sc = Scribe(rng, lay.style, "ledger")
    junk_at = rng.randrange(len(entries) + 1) if lay.name_junk else -1
    seq = 0
    for k, (p, role) in enumerate(entries):
        if k == junk_at:  # a name and nothing else
            sheet.add("junk", [random_name(rng, rng.random() < 0.5) if f == "name" else "" for f in fields])
        seq += 1
        sc.start()
        cells = ledger_cells(sc, p, fields, seq, lay.community)
        if role:
            sc.noise.append(role)
        sheet.add("data", cells, p.key, sc.id_valid, sc.done())
    for _ in range(lay.seq_junk):
        seq += 1
        sheet.add("junk", [str(seq)])
    sheet.blank(lay.blank_before_footer)
    n = len(entries)
    if lay.footer == "total":
        sheet.add("total", [f"合计：{n}人"])
    elif lay.footer == "total_split":
        sheet.add("total", ["合计", "", f"{n}人"])
    else:
        sheet.add("total", [f"共计{n}人"])
    a, b = random_name(rng, rng.random() < 0.5), random_name(rng, rng.random() < 0.5)
    signatures = (f"填表人：{a}\u3000\u3000审核人：{b}", f"填表人：{a}\u3000\u3000联系电话：025-5247{rng.randrange(10000):04d}\u3000\u3000审核人：{b}",
                  f"社区负责人：{b}\u3000\u3000填表人：{a}\u3000\u3000填表日期：2026年10月{rng.randint(8, 28)}日")
    sheet.add("signature", [signatures[lay.signature]])
    if lay.note >= 0:
        sheet.add("note", [NOTES[lay.note]])
    return sheet


def instruction_sheet() -> Sheet:
    sheet = Sheet("填表说明", widths=[100])
    for line in INSTRUCTIONS:
        sheet.add("instructions", [line])
    return sheet


def write_community_ledgers(rng: random.Random, d: District, out: Path, rec: Recorder) -> None:
    layouts = ledger_layouts(d.streets)
    entries: dict[int, list[tuple[Person, str]]] = {id(c): [] for c in d.communities}
    for p in d.in_scope:
        if p.community:
            entries[id(p.community)].append((p, ""))
    for c in d.communities:
        rng.shuffle(entries[id(c)])
    for p in d.in_scope:  # second appearances go after the first ones
        if p.community and p.duplicate:
            lst = entries[id(p.community)]
            lst.insert(rng.randint(lst.index((p, "")) + 1, len(lst)), (p, "duplicate_entry"))
        if p.old_community:
            lst = entries[id(p.old_community)]
            lst.insert(rng.randint(0, len(lst)), (p, "moved_old_community"))
    books: dict[str, list[tuple[Sheet, LedgerLayout]]] = {}
    for lay in layouts:
        books.setdefault(lay.path, []).append((ledger_sheet(rng, lay, entries[id(lay.community)]), lay))
    for path, pairs in books.items():
        sheets = [s for s, _ in pairs]
        if pairs[0][1].instructions:
            sheets.append(instruction_sheet())
        if pairs[0][1].spare_sheets:
            sheets += [Sheet("Sheet2"), Sheet("Sheet3")]
        rec.write(out, path, sheets)


# ================================================================================================ unit ledgers
UNIT_FILES = {"per_unit": "雨花街道", "unit_column": "铁心桥街道", "blocks": "赛虹桥街道"}
MAX_UNIT_SHEETS = 40


def assign_unit_files(d: District) -> None:
    """Listed units go to one of the three unit-ledger files; unit-only persons get that file's street."""
    per_unit = 0
    for pool in UNIT_LEDGER_POOLS:
        for u in d.units[pool]:
            if not u.ledger:
                continue
            if pool in ("intermediary", "social", "foreign"):
                u.ledger = "unit_column"
            elif pool in ("tech", "new_media") and per_unit < MAX_UNIT_SHEETS:
                u.ledger, per_unit = "per_unit", per_unit + 1
            else:
                u.ledger = "blocks"
    streets = {s.name: s for s in d.streets}
    for p in d.in_scope:
        if p.unit_only:
            p.street = streets[UNIT_FILES[p.unit.ledger]]


def unit_staff(rng: random.Random, d: District) -> dict[str, list[tuple[Unit, list[Person]]]]:
    staff: dict[int, list[Person]] = {}
    for p in d.in_scope:
        if p.in_unit_ledger:
            staff.setdefault(id(p.unit), []).append(p)
        if p.conflict_unit:
            staff.setdefault(id(p.conflict_unit), []).append(p)
    files: dict[str, list[tuple[Unit, list[Person]]]] = {k: [] for k in UNIT_FILES}
    for pool in UNIT_LEDGER_POOLS:
        for u in d.units[pool]:
            if u.ledger and staff.get(id(u)):
                listed = staff[id(u)]
                rng.shuffle(listed)
                files[u.ledger].append((u, listed))
    return files


def unit_row(sc: Scribe, p: Person, fields: tuple[str, ...], seq: int, unit: Unit, type_written: str) -> list[Cell]:
    out: list[Cell] = []
    position = "律师" if p.conflict_unit is unit else p.position
    for f in fields:
        out.append(str(seq) if f == "seq" else sc.name(p) if f == "name" else sc.sex(p) if f == "sex" else
                   sc.id_number(p) if f == "id" else sc.phone(p) if f == "phone" else position if f == "position" else
                   sc.education(p) if f == "education" else sc.political(p) if f == "political" else
                   sc.birth(p) if f == "birth" else unit.name if f == "unit" else type_written)
    return out


def write_unit_ledgers(rng: random.Random, d: District, out: Path, rec: Recorder) -> None:
    files = unit_staff(rng, d)
    written = {id(u): rng.choice((u.unit_type,) * 2 + u.kind.written) for us in files.values() for u, _ in us}
    # (a) one sheet per unit, the unit and its type in a line above the header
    fields = ("seq", "name", "sex", "id", "birth", "position", "education", "political", "phone")
    labels = ["序号", "姓名", "性别", "身份证号码", "出生年月", "职务", "学历", "政治面貌", "手机号码"]
    sc = Scribe(rng, Style(date="month", lower_x=True, numeric_phones=0.3), "ledger")
    sheets = []
    for k, (u, staff) in enumerate(files["per_unit"]):
        sheet = Sheet(u.name[:31], widths=[WIDTHS[f] for f in fields])
        sheet.add("context", [f"单位：{u.name}\u3000性质：{written[id(u)]}"])
        if k % 3 == 0:
            sheet.add("context", ["统计时间：2026年9月30日"])
        sheet.add("header", labels)
        for seq, p in enumerate(staff, 1):
            sc.start()
            sheet.add("data", unit_row(sc, p, fields, seq, u, ""), p.key, sc.id_valid, sc.done())
        if k % 2 == 0:
            sheet.add("total", [f"合计：{len(staff)}人"])
        sheets.append(sheet)
    if sheets:
        rec.write(out, f"district/驻地单位/{UNIT_FILES['per_unit']}_驻地单位台帐.xlsx", sheets)
    # (b) one sheet, unit name and type as columns, a 小计 after each unit
    fields = ("seq", "unit", "unit_type", "name", "sex", "id", "birth", "position", "education", "political", "phone")
    labels = ["序号", "单位名称", "单位性质", "姓名", "性别", "身份证号", "出生日期", "职务", "学历", "政治面貌", "联系电话"]
    street = UNIT_FILES["unit_column"]
    sc = Scribe(rng, Style(date="excel", sex="text", numeric_ids=0.2), "ledger")
    sheet = Sheet("驻地单位人员", widths=[WIDTHS[f] for f in fields])
    r = sheet.add("title", [f"{street}驻地单位新的社会阶层人士统计表"])
    sheet.merge(r, 0, r, len(fields) - 1)
    sheet.add("header", labels)
    seq = 0
    for u, staff in files["unit_column"]:
        for p in staff:
            seq += 1
            sc.start()
            sheet.add("data", unit_row(sc, p, fields, seq, u, written[id(u)]), p.key, sc.id_valid, sc.done())
        sheet.add("total", ["", u.name, "小计", f"{len(staff)}人"])
    sheet.add("total", [f"合计：{seq}人"])
    sheet.add("signature", ["填表人：王XX\u3000\u3000审核人：李XX"])
    rec.write(out, f"district/驻地单位/{street}_驻地单位台帐.xlsx", [sheet])
    # (c) one sheet of stacked blocks: a unit line, a header, its staff, a blank row
    fields = ("seq", "name", "id", "sex", "position", "phone", "education")
    labels = ["编号", "姓名", "公民身份号码", "性别", "岗位", "联系电话", "文化程度"]
    street = UNIT_FILES["blocks"]
    sc = Scribe(rng, Style(sex="code"), "ledger")
    sheet = Sheet("企业名册", widths=[WIDTHS[f] for f in fields])
    sheet.add("title", [f"{street}驻地企业从业人员名册"])
    sheet.blank()
    for u, staff in files["blocks"]:
        sheet.add("context", [f"单位名称：{u.name}\u3000\u3000单位性质：{written[id(u)]}"])
        sheet.add("header", labels)
        for seq, p in enumerate(staff, 1):
            sc.start()
            sheet.add("data", unit_row(sc, p, fields, seq, u, ""), p.key, sc.id_valid, sc.done())
        sheet.blank()
    rec.write(out, f"district/驻地单位/{street}_驻地单位台帐.xlsx", [sheet])


# ================================================================================================ household register
HOUSEHOLD_FIELDS = ("hh", "name", "sex", "id", "birth", "relation", "occupation", "unit", "phone", "address", "community")
HOUSEHOLD_LABELS = {
    "hh": ("户号", "户编号"), "name": ("姓名",), "sex": ("性别",), "id": ("公民身份号码", "身份证号码"), "birth": ("出生日期", "出生年月"),
    "relation": ("与户主关系", "关系"), "occupation": ("职业",), "unit": ("工作单位", "单位名称"), "phone": ("联系电话", "手机号码"),
    "address": ("现住址", "居住地址"), "community": ("所属社区", "社区", "所属社区（村）"),
}


def write_household(rng: random.Random, d: District, out: Path, rec: Recorder) -> None:
    for k, street in enumerate(d.streets):
        labels = [HOUSEHOLD_LABELS[f][(k + j) % len(HOUSEHOLD_LABELS[f])] for j, f in enumerate(HOUSEHOLD_FIELDS)]
        style = Style(date=("iso", "slash", "compact", "cn", "iso")[k], sex=("text", "code", "text", "text", "long")[k],
                      excel=False)
        sc = Scribe(rng, style, "household")
        sheet = Sheet("")
        sheet.add("header", labels)
        hh_no = 0
        for c, members in d.households:
            if c.street is not street:
                continue
            hh_no += 1
            forms = (c.name, c.short if not c.village else c.aliases[0], street.name + c.name)
            for p, relation in members:
                sc.start()
                occupation = p.occupation
                unit = p.work_unit
                cells = [f"{c.code[-3:]}{hh_no:05d}", sc.name(p), sc.sex(p), sc.id_number(p), sc.birth(p), relation,
                         occupation, unit, sc.phone(p), p.address, rng.choices(forms, (5, 3, 1))[0]]
                sheet.add("data", cells, p.key, sc.id_valid, sc.done())
        name = (f"{street.name}_住户台帐_20261015.csv", f"{street.name}住户信息导出.csv")[k % 2]
        rec.write(out, f"district/住户台帐/{name}", [sheet])


# ================================================================================================ questionnaire
Q_LABELS = {
    "Q1_姓名": "1.您的姓名", "Q2_性别": "2.您的性别", "Q3_出生年份": "3.您的出生年份", "Q4_学历": "4.您的最高学历",
    "Q5_政治面貌": "5.您的政治面貌", "Q6_手机": "6.您的手机号码", "Q7_所在社区": "7.您所在的社区（村）",
    "Q8_工作单位": "8.您的工作单位", "Q9_您属于以下哪一类": "9.您属于以下哪一类", "Q10_年收入": "10.您的年收入",
    "Q11_满意度": "11.您对所在社区统战工作的满意度",
}
ACTIVITIES = ("政治培训", "联谊交流", "社会服务", "建言献策", "专业培训")
Q_VALUES = {
    "Q2_性别": {1: "男", 2: "女"},
    "Q4_学历": {1: "初中及以下", 2: "高中", 3: "中专/中技/职高", 4: "大学专科", 5: "大学本科", 6: "研究生"},
    "Q5_政治面貌": {1: "中共党员（含预备党员）", 2: "共青团员", 3: "民主党派成员", 4: "无党派人士", 5: "群众"},
    "Q9_您属于以下哪一类": {1: C4[0], 2: C4[1], 3: C4[2], 4: C4[3], 5: "私营企业主或个体工商户", 6: "其他"},
    "Q10_年收入": {1: "5万以下", 2: "5-10万", 3: "10-20万", 4: "20-50万", 5: "50万以上"},
    "Q11_满意度": {1: "非常满意", 2: "比较满意", 3: "一般", 4: "不满意"},
}
EDU_CODE = {"研究生": 6, "大学本科": 5, "大学专科": 4, "中等职业": 3, "高中": 2, "初中": 1, "小学": 1}
Q9_CODE = {C4[0]: 1, C4[1]: 2, C4[2]: 3, C4[3]: 4, NONPUBLIC: 5}


def write_questionnaire(rng: random.Random, d: District, out: Path, rec: Recorder, declared: bool = True) -> None:
    """The questionnaire's returns; without `declared`, without the question of the category (Q9)."""
    respondents = [p for p in d.in_scope if p.in_survey]
    rng.shuffle(respondents)
    sc = Scribe(rng, Style(), "survey")
    data: dict[str, list] = {k: [] for k in Q_LABELS}
    for j in range(1, 6):
        data[f"Q12_{j}"] = []
    sheet = Sheet("")
    for p in respondents:
        sc.start()
        sc.style = Style(traditional=rng.random() < 0.05, align_names=rng.random() < 0.04)
        data["Q1_姓名"].append(sc.name(p, slip_rate=0.12))
        data["Q2_性别"].append(float("nan") if rng.random() < 0.02 else 1.0 if p.male else 2.0)
        data["Q3_出生年份"].append(float(p.birth.year))
        data["Q4_学历"].append(float(EDU_CODE[p.education]))
        party = 1 if p.political in ("中共党员", "中共预备党员") else 2 if p.political == "共青团员" else \
            4 if p.political == "无党派人士" else 5 if p.political == "群众" else 3
        data["Q5_政治面貌"].append(float(party))
        data["Q6_手机"].append(sc.phone(p))
        c = p.community
        data["Q7_所在社区"].append(rng.choice((c.name, c.name, c.short, c.street.name + c.name)))
        data["Q8_工作单位"].append(p.work_unit or rng.choice(("无", "自由职业", "")))
        data["Q9_您属于以下哪一类"].append(float(Q9_CODE[p.cat4]))
        rich = p.cat4 == NONPUBLIC or p.archetype == "intermediary"
        data["Q10_年收入"].append(float(rng.choices((1, 2, 3, 4, 5), (2, 5, 5, 6, 3) if rich else (6, 14, 12, 4, 1))[0]))
        data["Q11_满意度"].append(float(rng.choices((1, 2, 3, 4), (45, 45, 8, 2))[0]))
        for j in range(1, 6):
            data[f"Q12_{j}"].append(float(rng.random() < (0.25, 0.5, 0.35, 0.3, 0.55)[j - 1]))
        sheet.add("data", [], p.key, False, sc.done())
    labels = list(Q_LABELS.values()) + [f"12.您希望参加的活动：{a}" for a in ACTIVITIES]
    if not declared:
        labels.remove(Q_LABELS["Q9_您属于以下哪一类"])
        del data["Q9_您属于以下哪一类"]
    rec.write_sav(out, "district/问卷/雨花台区新的社会阶层人士问卷调查_2026.sav", pd.DataFrame(data), labels, sheet)


# ================================================================================================ more layouts
def layout_people(d: District) -> dict[int, list[Person]]:
    """Persons who may appear again in the files of other layouts, by community: listed once in their own
    community's ledger, not moved, not a deliberate conflict (so that no count moves)."""
    out: dict[int, list[Person]] = {id(c): [] for c in d.communities}
    for p in d.in_scope:
        if p.community and not (p.old_community or p.duplicate or p.conflict_unit or p.unit_only):
            out[id(p.community)].append(p)
    return out


def _pick(rng: random.Random, people: list[Person], n: int) -> list[Person]:
    return rng.sample(people, min(n, len(people)))


def _birth_month(p: Person) -> str:
    return f"{p.birth.year}.{p.birth.month:02d}"


def _community(d: District, name: str) -> Community:
    return next(c for c in d.communities if c.name == name)


def stacked_blocks_sheet(rng: random.Random, d: District, people: dict[int, list[Person]]) -> Sheet:
    """Two communities' blocks one under the other, each with its title and its own header, the second block's
    columns in another order."""
    sheet = Sheet("补报", widths=[8, 10, 22, 8, 15, 30, 14, 26])
    sheet.add("title", ["雨花街道新的社会阶层人士补报台账（2026年）"])
    blocks = (("（一）康盛花园社区", "康盛花园社区", ("seq", "name", "sex", "id", "phone", "unit", "position", "category"),
               ("序号", "姓名", "性别", "身份证号码", "联系电话", "工作单位", "职务", "人员类别")),
              ("（二）翠竹园社区", "翠竹园社区", ("name", "id", "category", "phone", "sex", "unit", "position"),
               ("姓名", "身份证号", "人员类别", "手机", "性别", "单位名称", "岗位")))
    total = 0
    for k, (title, community, fields, labels) in enumerate(blocks):
        if k:
            sheet.blank()
        sheet.add("title", [title])
        sheet.add("header", list(labels))
        for seq, p in enumerate(_pick(rng, people[id(_community(d, community))], 5), 1):
            values = {"seq": str(seq), "name": p.name, "sex": p.sex, "id": p.id18, "phone": p.phone, "unit": p.work_unit,
                      "position": p.position, "category": p.declared}
            sheet.add("data", [values[f] for f in fields], p.key, True)
            total += 1
    sheet.add("total", [f"合计：{total}人"])
    sheet.add("signature", ["填表人：王XX　　审核人：李XX"])
    return sheet


def side_by_side_sheet(rng: random.Random, d: District, people: dict[int, list[Person]]) -> Sheet:
    """Two communities' tables side by side, columns A–F and H–M, each under its own title."""
    sheet = Sheet("对照表", widths=[6, 10, 6, 22, 15, 26, 4, 6, 10, 22, 15, 30, 26])
    sheet.add("title", ["赛虹桥街道新的社会阶层人士名单（两社区对照）"])
    sheet.add("title", ["虹苑社区", None, None, None, None, None, None, "玉兰里社区"])
    sheet.add("header", ["序号", "姓名", "性别", "身份证号码", "联系电话", "人员类别", None,
                         "序号", "姓名", "身份证号", "手机号码", "工作单位", "人员类别"])
    left = _pick(rng, people[id(_community(d, "虹苑社区"))], 5)
    right = _pick(rng, people[id(_community(d, "玉兰里社区"))], 6)
    for k in range(max(len(left), len(right))):
        cells: list[Cell] = [None] * 13
        infos = []
        if k < len(left):
            p = left[k]
            cells[0:6] = [str(k + 1), p.name, p.sex, p.id18, p.phone, p.declared]
            infos.append(RowInfo("data", p.key, True, "", "A:F"))
        if k < len(right):
            p = right[k]
            cells[7:13] = [str(k + 1), p.name, p.id18, p.phone, p.work_unit, p.declared]
            infos.append(RowInfo("data", p.key, True, "", "H:M"))
        sheet.rows.append(cells)
        sheet.info.append(infos[0])
        if len(infos) > 1:
            sheet.beside[len(sheet.rows) - 1] = infos[1]
    return sheet


ARRANGEMENTS = (("人大代表", "区级", "第十八届"), ("政协委员", "区级", "第十五届"), ("工商联执委", "区级", "第十二届"),
                ("新联会理事", "区级", "第二届"), ("政协委员", "市级", "第十五届"))
ORIGINS_PLACES = ("江苏南京", "江苏扬州", "安徽合肥", "江苏盐城", "浙江温州", "山东临沂", "江苏徐州", "安徽芜湖")


def form_sheet(rng: random.Random, p: Person, name: str) -> Sheet:
    """A 一人一表 registration form: title, 填报单位 line, label cells beside value cells, the 政治安排 and
    工作经历 sub-tables, a signature."""
    sheet = Sheet(name, widths=[14, 16, 10, 22, 12, 14, 12])
    r = sheet.add("title", ["雨花台区新的社会阶层代表人士登记表"])
    sheet.merge(r, 0, r, 6)
    day = rng.randint(8, 28)
    sheet.add("context", [f"填报单位：{p.community.name}\u3000\u3000填报日期：2026年10月{day}日"])
    r = sheet.add("data", ["姓名", p.name, "性别", p.sex, "出生年月", _birth_month(p), "照片"], p.key, True)
    sheet.merge(r, 6, r + 3, 6)
    sheet.add("form", ["民族", p.ethnicity, "籍贯", rng.choice(ORIGINS_PLACES), "政治面貌", POLITICAL_WRITTEN.get(p.political, (p.political,))[0]])
    r = sheet.add("form", ["文化程度", EDUCATION_WRITTEN[p.education][0], "身份证号码", p.id18])
    sheet.merge(r, 3, r, 5)
    unit = p.work_unit or "自由职业"
    r = sheet.add("form", ["工作单位及职务", f"{unit} {p.position}"])
    sheet.merge(r, 1, r, 5)
    r = sheet.add("form", ["人员类别", p.declared, None, "联系电话", p.phone])
    sheet.merge(r, 1, r, 2)
    sheet.merge(r, 4, r, 5)
    sheet.add("form", ["是否代表人士", "是" if p.representative else "否", "所在社区", p.community.name])
    held = rng.sample(ARRANGEMENTS, rng.choice((1, 2))) if p.representative else []
    if held:
        r = sheet.add("form", ["政治安排", *held[0]])
        for arrangement in held[1:]:
            sheet.add("form", [None, *arrangement])
        sheet.merge(r, 0, r + len(held) - 1, 0)
    start = rng.randint(2003, 2015)
    r = sheet.add("form", ["工作经历", "起止时间", "工作单位", "职务"])
    sheet.add("form", [None, f"{start - rng.randint(3, 8)}.07-{start}.06", "南京市某公司", "职员"])
    sheet.add("form", [None, f"{start}.07-至今", unit, p.position])
    sheet.merge(r, 0, r + 2, 0)
    sheet.blank()
    sheet.add("signature", [f"填表人：{random_name(rng, rng.random() < 0.5)}\u3000\u3000审核人：{random_name(rng, rng.random() < 0.5)}"])
    return sheet


def form_people(rng: random.Random, d: District, people: dict[int, list[Person]], street: str, n: int) -> list[Person]:
    """Representatives of a street (others when it has too few) for the registration forms, each once."""
    here = [p for c in d.communities if c.street.name == street for p in people[id(c)]]
    reps = [p for p in here if p.representative]
    return _pick(rng, reps, n) + _pick(rng, [p for p in here if not p.representative], n - min(n, len(reps)))


def template_sheet(rng: random.Random, d: District, people: dict[int, list[Person]]) -> Sheet:
    """A ledger filled into a template: the template's hint row and example rows left in place."""
    sheet = Sheet("信息采集表", widths=[8, 10, 6, 22, 14, 15, 30, 14, 26, 16])
    sheet.add("title", ["新的社会阶层人士信息采集表"])
    sheet.add("context", ["填报单位：尹西社区\u3000\u3000填报日期：2026年10月20日"])
    sheet.add("header", ["序号", "姓名", "性别", "身份证号码", "出生日期", "联系电话", "工作单位", "职务", "人员类别", "备注"])
    sheet.add("hint", ["（必填）", "（必填）", "男/女", "18位", "格式：YYYY-MM-DD", "11位手机号", "填写单位全称", "", "请从下拉列表选择", "选填"])
    sheet.add("example", ["例", "张三", "男", "320114198001011234", "1980-01-01", "13800000000", "南京某某科技有限公司", "工程师",
                          "民营企业和外商投资企业管理技术人员", "示例，请勿删除"])
    sheet.add("example", ["示例", "李四", "女", "110101199003071234", "1990-03-07", "13900000000", "无", "自由撰稿人", "自由职业人员", ""])
    for seq, p in enumerate(_pick(rng, people[id(_community(d, "尹西社区"))], 6), 1):
        sheet.add("data", [str(seq), p.name, p.sex, p.id18, f"{p.birth:%Y-%m-%d}", p.phone, p.work_unit, p.position, p.declared, ""],
                  p.key, True)
    sheet.add("signature", ["填表人：赵XX\u3000\u3000审核人：钱XX"])
    return sheet


def _distinct(names: list[str]) -> list[str]:
    """Sheet or file names of persons, a namesake numbered ("张伟", "张伟2")."""
    out: list[str] = []
    for n in names:
        k, name = 2, n
        while name in out:
            name, k = f"{n}{k}", k + 1
        out.append(name)
    return out


def write_more_layouts(rng: random.Random, d: District, out: Path, rec: Recorder) -> None:
    """Files of the layouts offices also send, holding persons already listed in their community's ledger (so the
    counts stay): two communities' blocks on one sheet, two tables side by side, registration forms one per sheet
    and one per file, a filled-in template."""
    people = layout_people(d)
    rec.write(out, "district/雨花街道/雨花街道新阶层人士补报台账（两社区）.xlsx", [stacked_blocks_sheet(rng, d, people)])
    rec.write(out, "district/赛虹桥街道/赛虹桥街道两社区人员对照表.xlsx", [side_by_side_sheet(rng, d, people)])
    forms = form_people(rng, d, people, "西善桥街道", 3)
    names = _distinct([p.name for p in forms])
    rec.write(out, "district/西善桥街道/西善桥街道代表人士登记表.xlsx", [form_sheet(rng, p, n) for p, n in zip(forms, names, strict=True)])
    forms = form_people(rng, d, people, "板桥街道", 2)
    for p, n in zip(forms, _distinct([p.name for p in forms]), strict=True):
        rec.write(out, f"district/板桥街道/代表人士登记表/{n}.xlsx", [form_sheet(rng, p, "登记表")])
    rec.write(out, "district/铁心桥街道/尹西社区新阶层人士信息采集表（模板）.xlsx", [template_sheet(rng, d, people)])


# ================================================================================================ truth
class Recorder:
    """Writes source files and remembers every annotated row for rows.csv / nondata.csv.

    An edition of a later round (`folder`, `year`) writes what the writers put under district/ under `folder`
    instead, with the year 2026 in paths, sheet names and the text of non-data rows (titles, 填报日期, signatures)
    replaced by `year`; data rows are written as they are."""

    def __init__(self, folder: str = "district", year: int | None = None) -> None:
        self.rows: list[tuple[str, str, int, str, bool, str, str]] = []
        self.nondata: list[tuple[str, str, int, str]] = []
        self.files: list[str] = []
        self.folder = folder
        self.year = year

    def _path(self, path: str) -> str:
        if self.folder != "district" and path.startswith("district/"):
            path = self.folder + path[len("district"):]
        return path.replace("2026", str(self.year)) if self.year else path

    def _edition(self, sheet: Sheet) -> Sheet:
        if not self.year:
            return sheet
        year = str(self.year)
        rows = [row if info is None or info.kind == "data" else [v.replace("2026", year) if type(v) is str else v for v in row]
                for row, info in zip(sheet.rows, sheet.info, strict=True)]
        return Sheet(sheet.name.replace("2026", year), rows, sheet.info, sheet.merges, sheet.widths, sheet.date_format)

    def _note(self, path: str, sheet_name: str, sheet: Sheet) -> None:
        for r, info in enumerate(sheet.info, 1):
            if info is None:
                continue
            for i in (info, sheet.beside.get(r - 1)):
                if i is None:
                    continue
                if i.kind == "data":
                    self.rows.append((path, sheet_name, r, i.person, i.id_valid, i.noise, i.col_range))
                else:
                    self.nondata.append((path, sheet_name, r, i.kind))

    def write(self, out: Path, path: str, sheets: list[Sheet]) -> None:
        path, sheets = self._path(path), [self._edition(s) for s in sheets]
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.endswith(".csv"):
            write_csv(target, sheets[0])
            self._note(path, "", sheets[0])
        else:
            (write_xls if path.endswith(".xls") else write_xlsx)(target, sheets)
            for s in sheets:
                self._note(path, s.name, s)
        self.files.append(path)

    def write_sav(self, out: Path, path: str, df: pd.DataFrame, labels: list[str], cases: Sheet) -> None:
        path = self._path(path)
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        value_labels = {k: {float(c): t for c, t in v.items()} for k, v in Q_VALUES.items() if k in df.columns}
        for j in range(1, len(ACTIVITIES) + 1):
            value_labels[f"Q12_{j}"] = {0.0: "未选", 1.0: "选择"}
        pyreadstat.write_sav(df, str(target), column_labels=labels, variable_value_labels=value_labels,
                             file_label="雨花台区新的社会阶层人士问卷调查")
        raw = bytearray(target.read_bytes())
        raw[92:109] = FIXED_STAMP.strftime("%d %b %y%H:%M:%S").encode("ascii")  # ReadStat stamps the wall clock here
        target.write_bytes(bytes(raw))
        self._note(path, "", cases)
        self.files.append(path)


def tally(persons: list[Person], scheme: str, streets: list[Street]) -> dict:
    labels = C4 if scheme == "current4" else L6
    cat = (lambda p: p.cat4) if scheme == "current4" else (lambda p: p.cat6)
    counts = Counter(cat(p) for p in persons)
    order = list(labels) + ([NONPUBLIC] if scheme == "current4" else []) + [EXCLUDED, UNRESOLVED]
    by_street = Counter((p.street.name, cat(p)) for p in persons)
    return {
        "total": sum(counts[c] for c in labels),
        "by_category": {c: counts[c] for c in labels},
        "by_street_category": [{"street": s.name, "category": c, "count": by_street[(s.name, c)]}
                               for s in streets for c in order if by_street[(s.name, c)]],
        "outside_total": {NONPUBLIC: counts[NONPUBLIC]} if scheme == "current4" else {},
        "excluded": counts[EXCLUDED],
        "unresolved": counts[UNRESOLVED],
    }


def write_truth(out: Path, d: District, rec: Recorder, folder: str = "truth") -> dict:
    truth = out / folder
    truth.mkdir(parents=True, exist_ok=True)
    everyone = d.everyone
    with (truth / "persons.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["person_key", "name", "sex", "id_number", "birth_date", "phone", "education", "political_status",
                    "street", "community", "work_unit", "unit_type", "position", "archetype", "category_current4",
                    "category_legacy6", "representative"])
        for p in everyone:
            w.writerow([p.key, p.name, p.sex, p.id18, p.birth.isoformat(), p.phone, p.education, p.political,
                        p.street.name, p.community.name if p.community else "", p.work_unit, p.unit_type, p.position,
                        p.archetype, p.cat4, p.cat6, "true" if p.representative else "false"])
    rows = sorted(rec.rows)
    with (truth / "rows.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "sheet", "row", "person_key", "id_valid", "noise", "col_range"])
        w.writerows([r[0], r[1], r[2], r[3], "true" if r[4] else "false", r[5], r[6]] for r in rows)
    with (truth / "nondata.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "sheet", "row", "kind"])
        w.writerows(sorted(rec.nondata))
    valid = {r[3] for r in rows if r[4]}
    valid_persons = [p for p in everyone if p.key in valid]
    expected = {
        "current4": tally(everyone, "current4", d.streets),
        "legacy6": tally(everyone, "legacy6", d.streets),
        "valid_id": {"current4": tally(valid_persons, "current4", d.streets),
                     "legacy6": tally(valid_persons, "legacy6", d.streets)},
        "conflicts": [p.key for p in d.conflicts],
        "representatives": sum(p.representative for p in everyone),
        "persons": len(everyone),
        "rows": len(rows),
    }
    text = json.dumps(expected, ensure_ascii=False, indent=2)
    text = re.sub(r'\{\s+("street": "[^"]*"),\s+("category": "[^"]*"),\s+("count": \d+)\s+\}', r"{\1, \2, \3}", text)
    (truth / "expected.json").write_text(text + "\n", encoding="utf-8")
    return expected


# ================================================================================================ the next round
# The district a year later, from random streams of its own (the 2026 files stay byte-identical): some persons
# left, new ones came, some changed their work (and so their category), some moved to another community, some were
# missed by their community's ledger but are in the household register (补查), and the representatives' roster
# changed. The 2026 roster (the 2026 representatives and their political arrangements) goes in a folder of its own
# so the 2026 demo keeps its files and totals. The truth of what changed goes to truth_2027/.
NEXT_YEAR = 2027
NEXT_FOLDER = f"district_{NEXT_YEAR}"
NEXT_TRUTH = f"truth_{NEXT_YEAR}"
ROSTER_FOLDER = "roster_2026"
ROSTER_FILE = "雨花台区新的社会阶层代表人士名册（{year}年）.xlsx"
ARRANGEMENT_CHOICES = (  # in the order census lists them (vocab.ARRANGEMENTS)
    (("区政协委员",), 6), (("区人大代表",), 4), (("市政协委员",), 2), (("工商联执委",), 4), (("新联会理事",), 4),
    (("新联会副会长",), 1), (("区政协委员", "工商联执委"), 2), (("区人大代表", "新联会理事"), 1), (("特约人员",), 2),
    (("市人大代表", "工商联常委"), 1),
)
# archetype → archetype: the work a person took up (a 个体工商户 who founded a company becomes a 私营企业主 …), and how
# many of the 700 in-scope persons of the demo do so
TRANSITIONS = (("individual_business", "private_owner", 8), ("freelancer", "individual_business", 6),
               ("private_tech_staff", "new_media_company", 6), ("individual_business", "private_tech_staff", 5),
               ("freelancer", "intermediary", 5))
NEXT_COUNTS = {"gone": 20, "new": 25, "moved": 15, "missed": 12, "stop_rep": 5, "start_rep": 6, "rearranged": 4}
MISSED_ARCHETYPES = ("private_tech_staff", "foreign_staff", "individual_business", "intermediary", "new_media_creator")
ARCHETYPE = {a.key: a for a in ARCHETYPES}


@dataclass
class RoundState:
    """What a round holds of a person, for comparing rounds: category under each scheme, community, representative
    and political arrangements."""

    cat4: str
    cat6: str
    community: str | None
    street: str
    representative: bool
    arrangements: tuple[str, ...]


def _state(p: Person, arrangements: dict[str, tuple[str, ...]]) -> RoundState:
    return RoundState(p.cat4, p.cat6, p.community.name if p.community else None, p.street.name, p.representative,
                      arrangements.get(p.key, ()))


def _arrangement(rng: random.Random) -> tuple[str, ...]:
    choices, weights = zip(*ARRANGEMENT_CHOICES, strict=True)
    return rng.choices(choices, weights)[0]


def _take_up(rng: random.Random, p: Person, d: District, key: str) -> None:
    """The person now works as archetype `key`: a unit of its pool, a position, what their ledger declares."""
    a = ARCHETYPE[key]
    p.archetype, p.cat4, p.cat6 = a.key, a.cat4, a.cat6
    p.unit, p.work_unit, p.unit_type = None, "", ""
    if a.pool and d.units[a.pool] and not (a.pool == "studio" and rng.random() < 0.5):
        p.unit = rng.choice(d.units[a.pool])
        p.work_unit, p.unit_type = p.unit.name, p.unit.unit_type
    p.position = rng.choice(a.positions or p.unit.kind.positions)
    p.occupation = rng.choice(a.occupations or p.unit.kind.occupations)
    p.in_unit_ledger = bool(p.unit and p.unit.ledger) and rng.random() < 0.85
    declare = a.always_declared or rng.random() < 0.8
    p.declared = rng.choice(a.declared + (p.unit.kind.declared if p.unit else ())) if declare else ""


def _household_of(d: District, p: Person) -> int | None:
    return next((i for i, (_, members) in enumerate(d.households) if any(m is p for m, _ in members)), None)


def _settle(rng: random.Random, people: People, d: District, p: Person, c: Community) -> None:
    """The person (and their household) lives in community `c` now, and the household register lists them."""
    p.community, p.street, p.address = c, c.street, address(rng, c)
    i = _household_of(d, p)
    if i is None:
        members = family(rng, people, c, p)
        d.residents += [m for m, _ in members if m is not p]
        d.households.append((c, members))
    else:
        members = d.households[i][1]
        for m, _ in members:
            m.community, m.street, m.address = c, c.street, p.address
        d.households[i] = (c, members)
    p.in_household = True


def write_roster(rng: random.Random, out: Path, rec: Recorder, path: str, year: int, reps: list[Person],
                 arrangements: dict[str, tuple[str, ...]], layout: str) -> None:
    """The representatives' roster (代表人士名册): a title, a header, one row per representative. `layout` "columns"
    writes 人大代表 / 政协委员 with their level and the 工商联 / 新联会 / 特约 posts in columns of their own; "text"
    writes them in one 安排情况 column of free text."""
    if layout == "columns":
        labels = ["序号", "姓名", "性别", "身份证号码", "工作单位", "人大代表", "政协委员", "工商联职务", "新联会职务", "特约人员", "备注"]
    else:
        labels = ["序号", "姓名", "性别", "公民身份号码", "工作单位", "政治面貌", "安排情况", "备注"]
    sheet = Sheet("代表人士", widths=[6, 10, 6, 22, 30, 12, 12, 12, 12, 12, 12][: len(labels)])
    r = sheet.add("title", [f"雨花台区新的社会阶层代表人士名册（{year}年）"])
    sheet.merge(r, 0, r, len(labels) - 1)
    sheet.add("header", labels)
    sc = Scribe(rng, Style(), "ledger")
    for seq, p in enumerate(sorted(reps, key=lambda q: (q.street.name, q.key)), 1):
        sc.start()
        sc.id_valid = True
        arr = arrangements[p.key]
        cells: list[Cell] = [str(seq), p.name, p.sex, p.id18, p.work_unit]
        if layout == "columns":
            level = {a: a[0] for a in arr if a.endswith(("人大代表", "政协委员"))}
            cells += [next((f"{lv}级" for a, lv in level.items() if a.endswith("人大代表")), ""),
                      next((f"{lv}级" for a, lv in level.items() if a.endswith("政协委员")), ""),
                      next((a.removeprefix("工商联") for a in arr if a.startswith("工商联")), ""),
                      next((a.removeprefix("新联会") for a in arr if a.startswith("新联会")), ""),
                      "特约监督员" if "特约人员" in arr else "", ""]
        else:
            cells += [sc.political(p), rng.choice(("、", "，", " ")).join(arr), ""]
        sheet.add("data", cells, p.key, True, "")
    sheet.add("total", [f"合计：{len(reps)}人"])
    rec.write(out, path, [sheet])


def _rows_csv(path: Path, rec: Recorder) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "sheet", "row", "person_key", "id_valid", "noise", "col_range"])
        w.writerows([r[0], r[1], r[2], r[3], "true" if r[4] else "false", r[5], r[6]] for r in sorted(rec.rows))


def _nondata_csv(path: Path, rec: Recorder) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "sheet", "row", "kind"])
        w.writerows(sorted(rec.nondata))


def round_changes(before: dict[str, RoundState], after: dict[str, RoundState], scheme: str,
                  order: dict[str, int]) -> dict:
    """What `census diff 2026 2027 --scheme S --format json` must print, with truth person keys for person ids."""
    labels = C4 if scheme == "current4" else L6
    cat = (lambda s: s.cat4) if scheme == "current4" else (lambda s: s.cat6)
    a = {k: s for k, s in before.items() if cat(s) in labels}
    b = {k: s for k, s in after.items() if cat(s) in labels}
    counts = dict.fromkeys(("new", "gone", "recategorised", "moved", "unchanged"), 0)
    persons = []
    for key in sorted(a.keys() | b.keys()):
        sa, sb = a.get(key), b.get(key)
        if sa is None:
            change, frm, to = "new", None, cat(sb)
        elif sb is None:
            change, frm, to = "gone", cat(sa), None
        elif cat(sa) != cat(sb):
            change, frm, to = "recategorised", cat(sa), cat(sb)
        elif sa.community != sb.community:
            change, frm, to = "moved", sa.community or "未知", sb.community or "未知"
        else:
            change, frm, to = "unchanged", None, None
        counts[change] += 1
        if change != "unchanged":
            persons.append({"person_key": key, "change": change, "from": frm, "to": to})
    persons.sort(key=lambda x: (list(counts).index(x["change"]), order[x["person_key"]], x["person_key"]))
    reps = []
    for key in sorted(before.keys() | after.keys()):
        ra = before[key].representative if key in before else False
        rb = after[key].representative if key in after else False
        if ra != rb:
            reps.append({"person_key": key, "change": "stopped" if ra else "became",
                         "from": "、".join(before[key].arrangements) or "代表人士" if ra else None,
                         "to": "、".join(after[key].arrangements) or "代表人士" if rb else None})
    rep_counts = {"became": sum(r["change"] == "became" for r in reps), "stopped": sum(r["change"] == "stopped" for r in reps)}
    return {"from": "2026", "to": str(NEXT_YEAR), "scheme": scheme, "counts": counts, "persons": persons,
            "representatives": {"counts": rep_counts, "persons": reps}}


def write_next_round(out: Path, d: District, people: People, seed: int) -> dict:
    """The 2026 roster and the district's 2027 round, with the truth of what changed (truth_2027/)."""
    rng = random.Random(f"{seed}-{NEXT_YEAR}")
    people.rng = random.Random(f"{seed}-{NEXT_YEAR}-people")
    scale = len(d.in_scope) / DEMO_PERSONS
    n = {k: max(1, round(v * scale)) for k, v in NEXT_COUNTS.items()}
    everyone = d.everyone
    order = {p.key: i for i, p in enumerate(everyone)}

    # 2026: every representative gets political arrangements; the roster lists them
    arrangements = {p.key: _arrangement(rng) for p in everyone if p.representative}
    before = {p.key: _state(p, arrangements) for p in everyone}
    truth_dir = out / NEXT_TRUTH
    truth_dir.mkdir(parents=True, exist_ok=True)
    roster_rec = Recorder()
    write_roster(random.Random(f"{seed}-roster-2026"), out, roster_rec, f"{ROSTER_FOLDER}/{ROSTER_FILE.format(year=2026)}", 2026,
                 [p for p in everyone if p.representative], arrangements, "columns")
    _rows_csv(truth_dir / "roster_2026_rows.csv", roster_rec)
    _nondata_csv(truth_dir / "roster_2026_nondata.csv", roster_rec)
    followup = [(2026, p, "unit_only") for p in d.in_scope if p.unit_only]
    followup += [(2026, p, "undecidable") for p in d.residents if p.archetype == "undecidable"]

    # who changes: persons of a community ledger (not the three deliberate conflicts), each at most once
    pool = sorted((p for p in d.in_scope if p.community and not p.conflict_unit), key=lambda p: p.key)
    rng.shuffle(pool)
    used: set[str] = set()

    def take(count: int, fits=lambda p: True) -> list[Person]:
        chosen = [p for p in pool if p.key not in used and fits(p)][:count]
        used.update(p.key for p in chosen)
        return chosen

    gone = take(n["gone"])
    transitions = [(p, to) for frm, to, k in TRANSITIONS
                   for p in take(max(1, round(k * scale)), lambda p, frm=frm: p.archetype == frm)]
    moved = take(n["moved"])
    missed = take(n["missed"], lambda p: p.archetype in MISSED_ARCHETYPES and bool(p.unit or p.archetype != "individual_business"))

    gone_keys = {p.key for p in gone}
    for p in gone:  # they left the district, and their households with them
        i = _household_of(d, p)
        if i is not None:
            leaving = {m.key for m, _ in d.households[i][1]}
            d.residents = [r for r in d.residents if r.key not in leaving]
            del d.households[i]
    d.in_scope = [p for p in d.in_scope if p.key not in gone_keys]
    for p, to in transitions:
        _take_up(rng, p, d, to)
    comms = d.communities
    for p in moved:
        same = [c for c in p.street.communities if c is not p.community]
        others = [c for c in comms if c.street is not p.street]
        old = p.community
        _settle(rng, people, d, p, rng.choice(same if rng.random() < 0.5 else others))
        p.old_community = old if rng.random() < 0.35 and old.street is p.street else None
    for p in missed:
        _settle(rng, people, d, p, p.community)
    missed_keys = {p.key for p in missed}
    moved_keys = {p.key for p in moved}
    for p in d.in_scope:  # this year's entries: second rows, questionnaire, no stale old-community rows
        if p.key not in moved_keys:
            p.old_community = None
        p.duplicate = bool(p.community) and p.key not in missed_keys and rng.random() < 0.012
        p.in_survey = bool(p.community) and p.key not in missed_keys and rng.random() < 0.10

    # new persons: archetypes in the district's shares, in its communities, some in the household register
    comm_cum = list(itertools.accumulate(c.weight * (0.6 if c.village else 1.0) for c in comms))
    new = []
    for _ in range(n["new"]):
        a = ARCHETYPES[bisect.bisect_right(ARCHETYPE_SHARES, rng.random() * ARCHETYPE_SHARES[-1])]
        p = people.person(a.key, a.born, education=a.education)
        p.phone = people.mobile()
        _take_up(rng, p, d, a.key)
        p.community = rng.choices(comms, cum_weights=comm_cum)[0]
        p.street, p.address = p.community.street, address(rng, p.community)
        p.representative = rng.random() < 0.05
        p.in_survey = rng.random() < 0.10
        if rng.random() < 0.4:
            _settle(rng, people, d, p, p.community)
        new.append(p)
    d.in_scope += new

    # the roster a year later: some stop, some start, some change their arrangements
    continuing = sorted((p for p in d.in_scope if p.key in before), key=lambda p: p.key)
    reps = [p for p in continuing if p.representative]
    for p in rng.sample(reps, min(n["stop_rep"], len(reps))):
        p.representative = False
    others = [p for p in continuing if not p.representative and p.community and p.key not in arrangements]
    for p in rng.sample(others, min(n["start_rep"], len(others))):
        p.representative = True
    arrangements_next = {p.key: arrangements.get(p.key) or _arrangement(rng) for p in d.in_scope if p.representative}
    staying = sorted(k for k in arrangements_next if k in arrangements)
    for key in rng.sample(staying, min(n["rearranged"], len(staying))):
        arrangements_next[key] = _arrangement(rng)

    # the files of 2027: the ledgers leave out the missed persons; the roster holds this year's representatives
    rec = Recorder(NEXT_FOLDER, NEXT_YEAR)
    ledgers = District(d.streets, [p for p in d.in_scope if p.key not in missed_keys], d.residents, d.households,
                       d.units, d.conflicts)
    write_community_ledgers(random.Random(f"{seed}-{NEXT_YEAR}-community"), ledgers, out, rec)
    write_unit_ledgers(random.Random(f"{seed}-{NEXT_YEAR}-units"), d, out, rec)
    write_household(random.Random(f"{seed}-{NEXT_YEAR}-household"), d, out, rec)
    write_questionnaire(random.Random(f"{seed}-{NEXT_YEAR}-survey"), d, out, rec)
    write_roster(random.Random(f"{seed}-{NEXT_YEAR}-roster"), out, rec, f"district/代表人士/{ROSTER_FILE.format(year=NEXT_YEAR)}",
                 NEXT_YEAR, [p for p in d.in_scope if p.representative], arrangements_next, "text")
    expected = write_truth(out, d, rec, NEXT_TRUTH)

    after = {p.key: _state(p, arrangements_next) for p in d.everyone}
    order.update({p.key: len(order) + i for i, p in enumerate(p for p in d.everyone if p.key not in order)})
    changes = {scheme: round_changes(before, after, scheme, order) for scheme in ("current4", "legacy6")}
    (truth_dir / "changes.json").write_text(json.dumps(changes, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    followup += [(NEXT_YEAR, p, "missed") for p in missed]
    followup += [(NEXT_YEAR, p, "unit_only") for p in d.in_scope if p.unit_only]
    followup += [(NEXT_YEAR, p, "undecidable") for p in d.residents if p.archetype == "undecidable"]
    with (truth_dir / "followup.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["round", "person_key", "street", "community", "why"])
        w.writerows([y, p.key, p.street.name, p.community.name if p.community and why != "unit_only" else "", why]
                    for y, p, why in sorted(followup, key=lambda x: (x[0], order[x[1].key])))
    with (truth_dir / "roster.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["round", "person_key", "arrangements"])
        w.writerows([2026, k, "、".join(v)] for k, v in sorted(arrangements.items(), key=lambda kv: order[kv[0]]))
        w.writerows([NEXT_YEAR, k, "、".join(v)] for k, v in sorted(arrangements_next.items(), key=lambda kv: order[kv[0]]))
    return {"files": len(rec.files), "rows": expected["rows"], "persons": expected["persons"],
            "current4_total": expected["current4"]["total"], "legacy6_total": expected["legacy6"]["total"],
            "changes": {s: c["counts"] for s, c in changes.items()}, "roster_2026": len(arrangements),
            "roster_2027": len(arrangements_next)}


# ================================================================================================ entry points
def generate(out_dir: Path, persons: int = DEMO_PERSONS, seed: int = DEMO_SEED, ledgers_only: bool = False,
             undeclared: bool = False, hard_units: bool = False, next_round: bool = False) -> dict:
    """Write a district with `persons` in-scope persons into `out_dir` and return a summary. `ledgers_only`
    writes the community and unit ledgers alone (the ingest speed benchmark); the truth then covers them only.
    `undeclared`: no ledger or questionnaire declares a category (人员类别 left empty, no question of it), and
    `hard_units`: units written as the hidden district had them (`harden_units`) — the classification
    benchmark's district. `next_round` also writes the district's 2027 round and the 2026 roster
    (`write_next_round`)."""
    out_dir = Path(out_dir)
    for stale in ("district", "truth", NEXT_FOLDER, NEXT_TRUTH, ROSTER_FOLDER):
        if (out_dir / stale).exists():
            shutil.rmtree(out_dir / stale)
    out_dir.mkdir(parents=True, exist_ok=True)
    streets = build_register()
    (out_dir / "regions.yaml").write_text(regions_yaml(streets), encoding="utf-8")
    people = People(random.Random(f"{seed}-people"))
    d = build_in_scope(random.Random(f"{seed}-persons"), people, streets, persons,
                       random.Random(f"{seed}-hard") if hard_units else None, conflicts_wanted=not undeclared)
    if undeclared:
        for p in d.in_scope:
            p.declared = ""
    build_households(random.Random(f"{seed}-households"), people, d)
    assign_unit_files(d)
    rec = Recorder()
    write_community_ledgers(random.Random(f"{seed}-community"), d, out_dir, rec)
    write_unit_ledgers(random.Random(f"{seed}-units"), d, out_dir, rec)
    if not ledgers_only:
        write_household(random.Random(f"{seed}-household"), d, out_dir, rec)
        write_questionnaire(random.Random(f"{seed}-survey"), d, out_dir, rec, declared=not undeclared)
    write_more_layouts(random.Random(f"{seed}-layouts"), d, out_dir, rec)
    expected = write_truth(out_dir, d, rec)
    street_names = {s.name for s in streets}
    sources = Counter("社区台账" if path.split("/")[1] in street_names else path.split("/")[1] for path, *_ in rec.rows)
    summary = {"out": str(out_dir), "in_scope": len(d.in_scope), "persons": expected["persons"], "rows": expected["rows"],
               "rows_by_source": dict(sorted(sources.items())), "nondata_rows": len(rec.nondata), "files": len(rec.files),
               "current4_total": expected["current4"]["total"], "legacy6_total": expected["legacy6"]["total"]}
    if next_round and not ledgers_only:
        summary[str(NEXT_YEAR)] = write_next_round(out_dir, d, people, seed)
    return summary


def nonblank_rows(path: Path) -> list[tuple[str, int]]:
    """(sheet, row) of every non-blank row of a source file, numbered as rows.csv numbers them."""
    if path.suffix == ".csv":
        lines = path.read_bytes().decode("gb18030").split("\r\n")
        return [("", i) for i, line in enumerate(lines, 1) if line.strip(", ")]
    if path.suffix == ".sav":
        df, _ = pyreadstat.read_sav(str(path))
        return [("", i) for i in range(1, len(df) + 1)]
    wb = python_calamine.CalamineWorkbook.from_path(str(path))
    found = []
    for name in wb.sheet_names:
        for i, row in enumerate(wb.get_sheet_by_name(name).to_python(skip_empty_area=False), 1):
            if any(v not in ("", None) for v in row):
                found.append((name, i))
    return found


def check(out_dir: Path) -> list[str]:
    """Every non-blank row of every source file is in the truth's rows or non-data rows exactly once, and nothing
    else is: the 2026 district (truth/), and when written, the 2027 round and the 2026 roster (truth_2027/)."""
    problems = check_folder(out_dir, "district", out_dir / "truth" / "rows.csv", out_dir / "truth" / "nondata.csv")
    nxt = out_dir / NEXT_TRUTH
    if (out_dir / NEXT_FOLDER).exists():
        problems += check_folder(out_dir, NEXT_FOLDER, nxt / "rows.csv", nxt / "nondata.csv")
    if (out_dir / ROSTER_FOLDER).exists():
        problems += check_folder(out_dir, ROSTER_FOLDER, nxt / "roster_2026_rows.csv", nxt / "roster_2026_nondata.csv")
    return problems


def check_folder(out_dir: Path, folder: str, rows_csv: Path, nondata_csv: Path) -> list[str]:
    listed = Counter()
    for name in (rows_csv, nondata_csv):
        with name.open(encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                listed[(r["file"], r["sheet"], int(r["row"]), r.get("col_range") or "")] += 1
    problems = [f"listed {n} times: {k}" for k, n in listed.items() if n > 1]
    rows = {k[:3] for k in listed}
    seen = set()
    for path in sorted((out_dir / folder).rglob("*")):
        if path.is_file():
            rel = path.relative_to(out_dir).as_posix()
            for sheet, row in nonblank_rows(path):
                seen.add((rel, sheet, row))
                if (rel, sheet, row) not in rows:
                    problems.append(f"not in the truth: {rel} [{sheet}] row {row}")
    problems += [f"blank or missing: {k}" for k in sorted(rows) if k not in seen]
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=HERE, help="output directory (default: examples/)")
    ap.add_argument("--persons", type=int, default=DEMO_PERSONS, help="in-scope persons (default %(default)s)")
    ap.add_argument("--seed", type=int, default=DEMO_SEED)
    ap.add_argument("--check", action="store_true", help="only check an existing output against its truth files")
    ap.add_argument("--ledgers-only", action="store_true", help="write the community and unit ledgers alone (benchmarks)")
    ap.add_argument("--undeclared", action="store_true", help="no ledger or questionnaire declares a category (benchmarks)")
    ap.add_argument("--hard-units", action="store_true", help="units written as a hidden district had them (benchmarks)")
    ap.add_argument("--one-round", action="store_true", help="write the 2026 round alone (no 2027 round, no 2026 roster)")
    args = ap.parse_args(argv)
    if args.check:
        problems = check(args.out)
        for line in problems[:50]:
            print(line)
        print(f"check: {'OK' if not problems else f'{len(problems)} problems'}")
        return 1 if problems else 0
    started = time.perf_counter()
    summary = generate(args.out, args.persons, args.seed, args.ledgers_only, args.undeclared, args.hard_units,
                       next_round=not args.one_round)
    summary["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
