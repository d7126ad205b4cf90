"""Personal data stays protected in everything census writes: every command that writes output, in every format, is
run on the demo district with ID numbers, phones, birth dates and formulas planted in free-text columns (备注, 地址,
unknown columns, names, units), and stdout, stderr and every file written (xlsx and docx unzipped) are searched for
a full ID number, a full mobile number, a masked ID next to its birth date, and a live formula. None is found; the
same search finds them in an export with --reveal, so it is able to."""

from __future__ import annotations

import csv
import html
import importlib.util
import io
import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
import typer

from census import Workspace
from census.cli import app, main

from ..conftest import EXAMPLES, make_id, write_csv, write_xlsx

# ---------------------------------------------------------------------------------------------- planted data
A_ID, A_BIRTH = "320114198906038174", (1989, 6, 3)  # 宋辉铭 of the demo truth (翠竹园社区)
A_PHONE = "16641766639"
B_ID = make_id("19770415", "358")  # a person only the planted files know
B_PHONE = "13912345678"
C_ID = make_id("19920228", "471", prefix="320106")  # named only inside other rows' free text
C_PHONE = "18655554444"
D_ID_BAD = "320114199107" + "15" + "4216"  # fails its check digit (its digits are those of a birth date 1991-07-15)
E_ID15 = "320114850101123"  # a 15-digit ID typed in a remark
PAYLOADS = ['=HYPERLINK("http://evil.example/","点击查看")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "=1+2"]
MARKERS = ("HYPERLINK", "cmd|", "SUM(1+1)", "1+2")  # what a formula made of the planted payloads contains

LEDGER_HEADER = ["序号", "姓名", "身份证号码", "性别", "出生年月", "联系电话", "工作单位", "职务", "人员类别", "居住地址", "备注",
                 "紧急联系人", "其他说明"]


def _plant(folder: Path) -> None:
    """A community ledger and a household register with personal numbers where they do not belong, and formulas."""
    folder.mkdir()
    rows = [
        ["雨花街道翠竹园社区新的社会阶层人士台账（补录）"],
        ["填报单位：翠竹园社区　　填报日期：2026年10月15日"],
        LEDGER_HEADER,
        [1, "宋辉铭", A_ID, "男", "1989年6月3日", A_PHONE, PAYLOADS[0], PAYLOADS[1], "私营企业主",
         PAYLOADS[3] + " 雨花台区翠竹园3栋", f"同住：身份证 {C_ID}，手机 {C_PHONE[:3]} {C_PHONE[3:7]} {C_PHONE[7:]}",
         "妻 138-1111-2222 / +86 139 2222 3333", PAYLOADS[2]],
        [2, "钱多多", B_ID, "女", "1977.04.15", B_PHONE, "南京钱多多咨询有限公司", "咨询师", "中介组织从业人员",
         "雨花台区翠竹园5栋", f"原身份证号{E_ID15}；生日1977年4月15日", f"{C_ID[:6]} {C_ID[6:14]} {C_ID[14:]}", PAYLOADS[4]],
        [3, "孙校验", D_ID_BAD, "男", "1991-07-15", "13700001111", "南京某某科技有限公司", "工程师", "民营科技人员",
         None, "身份证号有误待核", None, None],
        [4, None, None, None, None, None, None, None, None, None, f"此行只有备注：{B_ID} {B_PHONE}", None, None],
        [5, "周19850312", None, "男", "1985-03-12", "15811112222", None, None, "自由职业者", None, None, None, None],
    ]
    write_xlsx(folder / "雨花街道_翠竹园社区_补录台账.xlsx", {"台账": rows})
    write_csv(folder / "雨花街道_住户台帐_补录_经办人13955556666.csv", [  # a phone in a file name
        ["户编号", "姓名", "性别", "公民身份号码", "出生年月", "与户主关系", "职业", "工作单位", "手机号码", "现住址", "社区", "备注"],
        ["00900001", "钱多多", "女", B_ID, "1977年4月15日", "户主", "咨询师", "南京钱多多咨询有限公司", B_PHONE,
         f"雨花台区翠竹园5栋 电话{B_PHONE}", "翠竹园社区", f"配偶身份证{C_ID}"],
        ["00900002", "吴公式", "男", None, "1990年1月1日", "户主", "自由撰稿人", None, "15900001111", "雨花台区", PAYLOADS[4], None],
    ])


# ---------------------------------------------------------------------------------------------- the search
@dataclass
class Findings:
    full_ids: set[str] = field(default_factory=set)
    full_phones: set[str] = field(default_factory=set)
    masked_with_birth: set[str] = field(default_factory=set)
    formulas: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.full_ids or self.full_phones or self.masked_with_birth or self.formulas)


_JOIN = re.compile(r"(?<=[0-9Xx])[ \-](?=[0-9Xx])")  # one space or dash between two digits, as numbers are typed
_LONG = re.compile(r"(?<![0-9])[0-9]{15,18}[Xx]?(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:86)?(1[3-9][0-9]{9})(?![0-9])")
_MASKED_ID = re.compile(r"(?<![0-9])([0-9]{6})\*{8}([0-9Xx]{4})")
_CHECK = "10X98765432"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?%?")


def _valid18(s: str) -> bool:
    return len(s) == 18 and s[:17].isdigit() and _CHECK[sum(int(d) * w for d, w in zip(s[:17], _WEIGHTS, strict=False)) % 11] == s[17].upper()


_DATE = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?:\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})|([01][0-9])([0-3][0-9]))(?![0-9])")


def _dates(text: str) -> set[tuple[int, int, int]]:
    """Every full date written in the text (1989-06-03, 1989/6/3, 1989.06.03, 1989年6月3日, 19890603)."""
    return {(int(y), int(m or m2), int(d or d2)) for y, m, d, m2, d2 in _DATE.findall(text)}


class Search:
    """Everything census knows as a full number (from the workspace, revealed), and the search of one output."""

    def __init__(self, ids: set[str], phones: set[str]):
        self.ids = {i.upper() for i in ids}
        self.phones = phones
        self.births: dict[tuple[str, str], set[tuple[int, int, int]]] = {}
        for i in self.ids:
            if len(i) == 18 and i[6:14].isdigit():
                self.births.setdefault((i[:6], i[-4:]), set()).add((int(i[6:10]), int(i[10:12]), int(i[12:14])))

    def text(self, text: str, found: Findings, csv_text: bool = False) -> None:
        text = unicodedata.normalize("NFKC", html.unescape(text))  # full-width digits as digits
        joined = _JOIN.sub("", text)
        for run in _LONG.findall(joined):
            if run.upper() in self.ids or _valid18(run):
                found.full_ids.add(run)
        for run in _MOBILE.findall(joined):
            found.full_phones.add(run)
        masked = set(_MASKED_ID.findall(joined))
        if masked:
            dates = _dates(text) | _dates(joined)
            for head, tail in masked:
                hits = self.births.get((head, tail.upper()), set()) & dates
                if hits:
                    found.masked_with_birth.add(f"{head}********{tail} {min(hits)}")
        if csv_text:
            for row in csv.reader(io.StringIO(text)):
                for cell in row:
                    if cell.startswith(_FORMULA_START) and cell != "-" and not _NUMBER.fullmatch(cell):
                        found.formulas.add(cell)

    def file(self, path: Path, found: Findings) -> None:
        if path.suffix.lower() in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as z:
                xml = "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
            self.text(xml, found)
            for f in re.findall(r"<f[^>]*>([^<]*)</f>", xml):
                if any(m in html.unescape(f) for m in MARKERS):
                    found.formulas.add(html.unescape(f))
            return
        text = path.read_text(encoding="utf-8-sig", errors="replace")
        self.text(text, found, csv_text=path.suffix.lower() == ".csv")


def _xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return html.unescape("\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml")))


# ---------------------------------------------------------------------------------------------- the commands
# every command that writes output, in every format; "{out}" is the folder files go to
def _commands(pid: str, planted_pid: str) -> list[list[str]]:
    return [
        ["status"], ["status", "--format", "json"],
        # thresholds that leave pairs to review (the review workbook is searched below): the demo's least certain
        # linked pairs score 0.997–0.999
        ["link", "--accept", "0.9995", "--review", "0.2"], ["link", "--accept", "0.9995", "--review", "0.2", "--format", "json"],
        ["link", "--explain", pid], ["link", "--explain", pid, "--format", "json"],
        ["link", "--explain", planted_pid, "--format", "json"],
        ["classify"], ["classify", "--format", "json"],
        ["classify", "--explain", pid], ["classify", "--explain", planted_pid, "--format", "json"],
        *[["tally", "--by", "community", "--format", f] for f in ("table", "csv", "json", "md")],
        ["tally", "--rows", "street", "--cols", "community", "--format", "xlsx", "-o", "{out}/分布.xlsx"],
        ["tally", "--rows", "street", "--cols", "community", "--format", "csv", "-o", "{out}/分布.csv"],
        ["tally", "--by", "street", "--format", "md", "-o", "{out}/分布.md"],
        ["tally", "--by", "street", "--format", "json", "-o", "{out}/分布.json"],
        ["tally", "--by", "street", "-o", "{out}/分布.txt"],
        ["tally", "--narrative"],
        *[["followup", "--format", f] for f in ("table", "csv", "json", "md")],
        ["followup", "--format", "xlsx", "-o", "{out}/补查名单.xlsx"], ["followup", "--format", "csv", "-o", "{out}/补查名单.csv"],
        ["report", "-o", "{out}/报告.xlsx", "--as-of", "2026-10-15"],
        *([["report", "-o", "{out}/报告.docx", "--as-of", "2026-10-15"]] if importlib.util.find_spec("census.render.document") else []),
        *[["survey", "--by", "category", "--format", f] for f in ("table", "csv", "json", "md")],
        ["survey", "--format", "csv", "-o", "{out}/问卷.csv"],
        *[["export", what, "--format", f] for what in ("records", "persons", "links", "issues") for f in ("csv", "json")],
        ["export", "records", "--quarantined"], ["export", "records", "--quarantined", "--format", "json"],
        *[["export", what, "-o", f"{{out}}/{what}.csv"] for what in ("records", "persons", "links", "issues")],
        ["export", "records", "--format", "json", "-o", "{out}/records.json"],
        ["review", "export", "-o", "{out}/核查清单.xlsx"],
        ["review", "apply", "{filled}"],
        ["review", "list"], ["review", "list", "--format", "json", "--all"],
        ["review", "undo", "1"],
        ["schema", "check", str(EXAMPLES / "regions.yaml")],
        ["regions", "init", "320114"], ["regions", "init", "320114", "-o", "{out}/regions.yaml"],
        ["codes"], ["codes", "--format", "json"],
        ["purge", "--id-number", D_ID_BAD], ["purge", planted_pid, "--reason", f"本人{B_PHONE}申请删除", "--format", "json"],
        ["audit"], ["audit", "--format", "json"],
        # a second round (the planted files again), compared with the first, listed, and taken out again
        ["ingest", "{planted}", "--round", "2027"],
        *[["diff", "2026", "2027", "--format", f] for f in ("table", "csv", "json", "md")],
        ["diff", "2026", "2027", "--format", "xlsx", "-o", "{out}/年度变化.xlsx"],
        ["diff", "2026", "2027", "--format", "csv", "-o", "{out}/年度变化.csv"],
        ["sources"], ["sources", "--format", "json"],
        ["remove", "{round_2027}", "--format", "json"],
        # the workspace merged into a city's (kept outside {out}: a workspace holds the numbers), and merged again
        ["merge", "{planted}/../census.duckdb", "--db", "{planted}/../合并.duckdb"],
        ["merge", "{planted}/../census.duckdb", "--db", "{planted}/../合并.duckdb", "--format", "json"],
        ["ingest", str(EXAMPLES / "district" / "问卷")], ["ingest", str(EXAMPLES / "district" / "问卷"), "--format", "json"],
    ]


def _leaf_commands(t: typer.Typer, prefix: str = "") -> set[str]:
    names = {prefix + (c.name or c.callback.__name__) for c in t.registered_commands}
    for g in t.registered_groups:
        names |= _leaf_commands(g.typer_instance, prefix + g.name + " ")
    return names


def _command_name(args: list[str]) -> str:
    """The command a command line runs: "export" for `export records …`, "review export" for a group's command."""
    groups = {g.name for g in app.registered_groups}
    return " ".join(args[:2]) if args[0] in groups else args[0]


def _fill_review(path: Path, filled: Path) -> None:
    """A clerk's answers to the workbook at `path`, saved as `filled`: the first pair is one person, the first
    category conflict is 自由职业人员."""
    wb = openpyxl.load_workbook(path)
    pairs = wb["疑似同一人"]
    header = [c.value for c in pairs[1]]
    assert pairs.max_row >= 2 and pairs.cell(2, 1).value, "the review workbook lists no pair"
    pairs.cell(2, header.index("是否同一人") + 1, "是")
    conflicts = wb["信息冲突"]
    header = [c.value for c in conflicts[1]]
    for r in range(2, conflicts.max_row + 1):
        if conflicts.cell(r, header.index("冲突项") + 1).value == "人员类别":
            conflicts.cell(r, header.index("正确值") + 1, "自由职业人员")
            break
    wb.save(filled)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    _plant(root / "补录")
    return root


def test_no_output_shows_a_full_number_a_rebuildable_id_or_a_live_formula(planted, capsys, monkeypatch):
    out = planted / "out"
    out.mkdir()
    db = str(planted / "census.duckdb")
    monkeypatch.setenv("CENSUS_DB", db)
    monkeypatch.setenv("COLUMNS", "200")
    outputs: list[tuple[str, str, str]] = []  # (command, stdout, stderr)

    def run(args: list[str]) -> int:
        code = main(args)
        got = capsys.readouterr()
        outputs.append((" ".join(args), got.out, got.err))
        return code

    assert run(["ingest", str(EXAMPLES / "district"), str(planted / "补录"), "--regions", str(EXAMPLES / "regions.yaml"),
                "--format", "json"]) == 0
    with Workspace(db) as ws:
        ids = {r for (r,) in ws.query("SELECT id_number FROM records WHERE id_number IS NOT NULL")}
        ids |= {re.sub(r"[^0-9Xx]", "", r) for (r,) in ws.query("SELECT id_raw FROM records WHERE id_raw IS NOT NULL")}
        phones = {p for (ps,) in ws.query("SELECT phones FROM records WHERE phones IS NOT NULL") for p in ps.split("/")}
    ids = {i for i in ids if len(i) >= 15} | {A_ID, B_ID, C_ID, D_ID_BAD, E_ID15}
    search = Search(ids, phones | {A_PHONE, B_PHONE, C_PHONE})
    assert run(["link"]) == 0
    with Workspace(db) as ws:
        pid = ws.scalar("SELECT person_id FROM persons WHERE id_number = ?", [A_ID])
        planted_pid = ws.scalar("SELECT person_id FROM persons WHERE id_number = ?", [B_ID])
    assert pid and planted_pid

    commands = _commands(pid, planted_pid)
    missing = _leaf_commands(app) - {_command_name(c) for c in commands} - {"ingest", "link"}  # both ran above
    assert not missing, f"commands that write output but are not searched here: {missing}"

    filled = planted / "核查清单（已填）.xlsx"
    for args in commands:
        args = [a.replace("{out}", str(out)).replace("{filled}", str(filled)).replace("{planted}", str(planted / "补录"))
                for a in args]
        if "{round_2027}" in args:  # every file of the second round
            with Workspace(db) as ws:
                second = [str(i) for (i,) in ws.query("SELECT source_id FROM sources WHERE round = '2027' ORDER BY 1")]
            args = [x for a in args for x in (second if a == "{round_2027}" else [a])]
        if args[:2] == ["review", "apply"]:
            _fill_review(out / "核查清单.xlsx", filled)
        code = run(args)
        assert code == 0, (args, outputs[-1][2])

    problems: dict[str, Findings] = {}
    for command, stdout, stderr in outputs:
        for stream, text in (("stdout", stdout), ("stderr", stderr)):
            found = Findings()
            search.text(text, found, csv_text=stream == "stdout" and ("csv" in command or command.startswith("review list")))
            if found:
                problems[f"{command} ({stream})"] = found
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.suffix for p in written} >= {".xlsx", ".csv", ".json", ".md", ".txt", ".yaml"}
    for p in written:
        found = Findings()
        search.file(p, found)
        if found:
            problems[str(p.relative_to(out))] = found
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())

    # the planted data did reach the outputs, masked and neutralised: the search had something to find
    records = (out / "records.csv").read_text(encoding="utf-8-sig")
    assert "'" + PAYLOADS[0].replace('"', '""') in records and ",'+cmd|" in records and ",'@SUM(1+1)" in records
    assert f"{C_PHONE[:3]} **** {C_PHONE[7:]}" in records and C_ID[:6] + "********" + C_ID[-4:] in records
    assert "1989年*月*日" in records and E_ID15[:6] + "*****" + E_ID15[-4:] in records
    listed = [o for c, o, _ in outputs if c in ("status --format json", outputs[0][0])]  # the ingest's JSON, status's
    assert len(listed) == 2 and all("经办人139****6666" in o for o in [records, *listed])  # the file named with a phone
    crosstab = _xml(out / "分布.xlsx")  # a community named "=1+2" heads a column, as text
    assert "=1+2" in crosstab and "<f>" not in crosstab
    review = unicodedata.normalize("NFKC", _xml(out / "核查清单.xlsx"))
    assert re.search(r"[0-9]{6}\*{8}[0-9Xx]{4}", review) and re.search(r"1[3-9][0-9]\*{4}[0-9]{4}", review)

    # and the same search finds what an export with --reveal shows
    assert main(["export", "records", "--reveal", "--reason", "核对补录台账", "-o", str(planted / "revealed.csv")]) == 0
    capsys.readouterr()
    found = Findings()
    search.file(planted / "revealed.csv", found)
    assert {A_ID, C_ID} <= found.full_ids and {A_PHONE, C_PHONE} <= found.full_phones  # (B and D were purged)
    raw = io.StringIO()
    csv.writer(raw).writerow(PAYLOADS)
    found = Findings()
    search.text(raw.getvalue(), found, csv_text=True)
    assert found.formulas == set(PAYLOADS)
    found = Findings()
    search.text(json.dumps({"id": A_ID[:6] + "********" + A_ID[-4:], "birth": "1989年6月3日"}, ensure_ascii=False), found)
    assert found.masked_with_birth
