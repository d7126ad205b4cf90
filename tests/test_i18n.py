"""Translations: every text of the code has its English in the catalog, the catalog is compiled and shipped, texts
are marked so that they can be extracted, Chinese is the default and CENSUS_LANG=en (or an English LANG) gives
English."""

from __future__ import annotations

import ast
import gettext
import importlib.util
import re
import zipfile
from pathlib import Path

import pytest

import census
from census.cli import main
from census.i18n import DOMAIN, LOCALE_DIR, _, language, language_from_environment, set_language

from .conftest import ROOT, ledger_rows, write_xlsx


def _catalog_script():
    spec = importlib.util.spec_from_file_location("catalog_script", ROOT / "scripts" / "catalog.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def catalog():
    return _catalog_script()


def test_every_text_of_the_code_has_an_english_translation(catalog):
    template = catalog.extract()
    assert len(template) > 400  # the extraction finds the texts (it would pass on nothing otherwise)
    assert catalog.problems(template, catalog.read_catalog()) == []


def test_the_committed_catalog_is_the_code_s_and_the_mo_is_compiled_from_the_po(catalog):
    merged = catalog.merged(catalog.extract(), catalog.read_catalog())
    assert catalog.PO.read_bytes() == catalog.po_bytes(merged), "census.po is stale: run python scripts/catalog.py"
    assert catalog.MO.read_bytes() == catalog.mo_bytes(merged), "census.mo is stale: run python scripts/catalog.py"


def test_a_missing_or_broken_translation_is_found(catalog, tmp_path):
    """The check the test above relies on fails on an untranslated text and on a translation losing a placeholder."""
    template = catalog.extract()
    po = catalog.read_catalog()
    first = next(m for m in template if m.id and "{path}" in m.id)
    po.get(first.id).string = ""
    other = next(m for m in template if m.id and "{value}" in m.id and m.id != first.id)
    po.get(other.id).string = "no placeholder here"
    found = catalog.problems(template, po)
    assert len(found) == 2 and found[0].startswith("no English for") and "placeholders" in found[1]


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_"):
            yield node


def test_texts_are_marked_so_that_they_can_be_extracted():
    """A text is marked as one string literal (Babel cannot extract an f-string or a concatenation, so its English
    would never be found); values go in with .format() after the translation."""
    bad = []
    for path in sorted(Path(census.__file__).parent.rglob("*.py")):
        for call in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            arg = call.args[0] if len(call.args) == 1 else None
            if arg is None or isinstance(arg, ast.JoinedStr | ast.BinOp) or (
                    isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "format"):
                bad.append(f"{path.name}:{call.lineno}")
    assert bad == []


def test_the_wheel_ships_the_compiled_catalog_and_census_finds_it(tmp_path):
    builder = pytest.importorskip("hatchling.builders.wheel").WheelBuilder(str(ROOT))
    wheel = next(iter(builder.build(directory=str(tmp_path), versions=["standard"])))
    names = zipfile.ZipFile(wheel).namelist()
    assert "census/locale/en/LC_MESSAGES/census.mo" in names
    assert gettext.find(DOMAIN, LOCALE_DIR, ["en"]) == str(LOCALE_DIR / "en" / "LC_MESSAGES" / "census.mo")


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "zh"), ({"LANG": "C.UTF-8"}, "zh"), ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"), ({"CENSUS_LANG": "zh", "LANG": "en_US.UTF-8"}, "zh"),
    ({"CENSUS_LANG": "en"}, "en"), ({"LANGUAGE": "en:zh", "LANG": "zh_CN.UTF-8"}, "en"),
])
def test_the_language_comes_from_the_environment(env, expected):
    assert language_from_environment(env) == expected


def test_chinese_is_the_default_and_english_is_there_for_those_who_ask():
    assert language() == "zh" and _("合计") == "合计"
    set_language("en")
    assert _("合计") == "Total" and _("{path}：没有这个文件。").format(path="a.yaml") == "a.yaml: no such file."
    set_language("zh")
    assert _("合计") == "合计"


@pytest.fixture
def ledger_db(tmp_path, capsys):
    ledger = write_xlsx(tmp_path / "雨花街道_康盛花园社区_台账.xlsx", {"台账": ledger_rows()})
    db = str(tmp_path / "a.duckdb")
    assert main(["ingest", str(ledger), "--db", db]) == 0
    capsys.readouterr()
    return db


def _run(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_help_an_error_and_a_table_in_chinese_by_default_and_in_english_with_census_lang(ledger_db, capsys, monkeypatch):
    code, out, _err = _run(capsys, "tally", "--help")
    assert code == 0 and out.startswith("用法：census tally [选项]") and "选项：" in out and "示例：" in out
    code, _out, err = _run(capsys, "tally", "--db", ledger_db, "--by", "colour")
    assert code == 2 and err.startswith("错误：--by colour：不是维度")
    code, out, _err = _run(capsys, "tally", "--db", ledger_db)
    assert code == 0 and "新的社会阶层人士分布统计表（现行四类）" in out and "合计" in out

    monkeypatch.setenv("CENSUS_LANG", "en")
    code, out, _err = _run(capsys, "tally", "--help")
    assert code == 0 and out.startswith("Usage: census tally [OPTIONS]") and "Options:" in out and "Examples:" in out
    assert not re.search(r"[\u4e00-\u9fff]", out.split("Examples:")[0].replace("现行四类", "").replace("2001年六类", "")
                         .replace("雨花街道", "").replace("康盛花园", "").replace("自由职业", ""))
    code, _out, err = _run(capsys, "tally", "--db", ledger_db, "--by", "colour")
    assert code == 2 and err.startswith("Error: --by colour: not a dimension; use one of category (Category), district (District), street (Street)")
    code, out, _err = _run(capsys, "tally", "--db", ledger_db)
    assert code == 0 and "New social class people in" in out and "(现行四类)" in out and "Total" in out

    monkeypatch.delenv("CENSUS_LANG")
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.delenv("LANGUAGE", raising=False)
    assert _run(capsys, "status", "--db", ledger_db)[1].startswith("workspace  ")
