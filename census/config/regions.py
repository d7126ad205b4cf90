"""The region register: a district's streets (街道/乡/镇) and communities (社区/村), with codes and aliases, as the
YAML file a district keeps (`RegionsFile`, validated) and compiled into a `Register` that names are matched against.

Names are matched with and without their suffix (康盛花园 / 康盛花园社区 / 康盛花园社区居委会), across full-width
spaces and traditional characters. Without a register, names are kept as written (cleaned) and titles and file
names are searched for "…街道" and "…社区/村" with a pattern instead. `unit_prefixes` gives the province and city
names that open the unit names of a district ("南京市XX科技" is "XX科技"), from the national division list.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, field_validator

from ..errors import SchemaError, UsageError
from ..i18n import _
from ..text import fold, halfwidth, simplified, squeeze
from ..vocab import COMMUNITY_SUFFIXES, COMMUNITY_TYPE_WORDS, STREET_SUFFIXES
from .yaml import Digits, Model, Text, key_path, parse_yaml, problems, read_yaml, schemas_dir


class CommunityDef(Model):
    name: Text
    code: Digits
    type: Text | None = None  # a 城乡分类代码 (111 … 220), or the word a clerk writes: 社区, 居委会 (urban), 村, 行政村 (rural)
    aliases: list[Text] = Field(default_factory=list)

    @field_validator("type")
    @classmethod
    def _type(cls, v: str | None) -> str | None:
        """A code as it is; a word as the class it names (城镇 or 乡村); anything else is reported by `problems`."""
        if v is None:
            return None
        word = squeeze(halfwidth(v))
        return COMMUNITY_TYPE_WORDS.get(word, word)


class StreetDef(Model):
    name: Text
    code: Digits
    aliases: list[Text] = Field(default_factory=list)
    communities: list[CommunityDef] = Field(default_factory=list)


class RegionsFile(Model):
    name: Text
    code: Digits
    streets: list[StreetDef]


def _items(data, key: str) -> list[tuple[int, dict]]:
    """The mappings of a list under `key` (what is not a mapping is pydantic's to report)."""
    value = data.get(key) if isinstance(data, dict) else None
    return [(i, x) for i, x in enumerate(value) if isinstance(x, dict)] if isinstance(value, list) else []


def _text(value) -> str:
    return "" if value is None or isinstance(value, list | dict) else str(value).strip()


def register_problems(data) -> list[tuple[tuple, str]]:
    """What is wrong with a register beyond its shape, all of it: codes of the wrong length or outside their
    parent, a code used twice, an unknown community type, a street or two communities of one street sharing a
    name (or a name one of them answers to). Read from the YAML as it is, so a file with problems of shape
    too gets every problem at once."""
    found: list[tuple[tuple, str]] = []
    district = _text(data.get("code")) if isinstance(data, dict) else ""
    if district and not re.fullmatch(r"[0-9]{6}", district):
        found.append((("code",), _("区县代码应为6位数字（GB/T 2260），写成字符串（加引号）")))
    codes: dict[str, tuple] = {}
    streets: dict[str, int] = {}
    for i, s in _items(data, "streets"):
        code = _text(s.get("code"))
        if code and not re.fullmatch(r"[0-9]{9}", code):
            found.append((("streets", i, "code"), _("街道代码应为9位数字，写成字符串（加引号）")))
        elif code and district and not code.startswith(district):
            found.append((("streets", i, "code"), _("{code}不以区县代码{district}开头").format(code=code, district=district)))
        key = street_key(_text(s.get("name")))
        if key and key in streets:
            found.append((("streets", i, "name"), _("街道“{name}”与第{k}个街道重名").format(name=_text(s.get("name")), k=streets[key] + 1)))
        streets.setdefault(key, i)
        seen: list[tuple[int, str, list[str]]] = []  # the street's communities so far: (index, name, aliases)
        for j, c in _items(s, "communities"):
            where = ("streets", i, "communities", j)
            ccode = _text(c.get("code"))
            if ccode and not re.fullmatch(r"[0-9]{12}", ccode):
                found.append(((*where, "code"), _("社区（村）代码应为12位数字，写成字符串（加引号）")))
            elif ccode and code and not ccode.startswith(code):
                found.append(((*where, "code"), _("{code}不以所属街道代码{street}开头").format(code=ccode, street=code)))
            if ccode and ccode in codes:
                found.append(((*where, "code"), _("代码{code}已用于{path}").format(code=ccode, path=key_path(codes[ccode]))))
            codes.setdefault(ccode, (*where, "code"))
            kind = c.get("type")
            if kind is not None and not re.fullmatch(r"[0-9]{3}", _text(kind)) and squeeze(halfwidth(_text(kind))) not in COMMUNITY_TYPE_WORDS:
                found.append(((*where, "type"), _("类型应写“社区”或“村”（也可写居委会、村委会、行政村），或3位城乡分类代码，如111、220")))
            name = _text(c.get("name"))
            aliases = [_text(a) for a in c.get("aliases") or [] if _text(a)] if isinstance(c.get("aliases"), list) else []
            clash = next(((k, other, mine) for k, other, theirs in seen for mine in [name, *aliases] if mine
                          for t in theirs if _same_name(mine, t)), None)
            if clash is not None:
                k, other, mine = clash
                found.append(((*where, "name"), _("同一街道内两个社区不能同名：“{mine}”也是第{k}个社区“{other}”的名称或别名").format(
                    mine=mine, k=k + 1, other=other)))
            seen.append((j, name, [name, *aliases]))
    return found


def _same_name(a: str, b: str) -> bool:
    """Two names of one community: alike but for spaces, width and script, or one is the other without its
    suffix (康盛花园, 康盛花园社区). 三山村 and 三山社区 are two names."""
    if not a or not b:
        return False
    fa, fb = fold(a), fold(b)
    return fa == fb or (community_key(a) == community_key(b) and (fa == community_key(a) or fb == community_key(b)))


def validate_register(data, source: str) -> RegionsFile:
    """A register's file checked: every problem — of shape (pydantic) and of content (`register_problems`) —
    reported at once, in the order of the file, in one SchemaError."""
    if not isinstance(data, dict):
        raise SchemaError(_("{source}：区划名册应为YAML映射（name、code、streets 等“键: 值”行）。").format(source=source))
    found: list[tuple[tuple, str]] = []
    model = None
    try:
        model = RegionsFile.model_validate(data)
    except ValidationError as e:
        found += problems(e)
    found += register_problems(data)
    if found:
        found.sort(key=lambda p: tuple((0, x) if isinstance(x, int) else (1, str(x)) for x in p[0]))
        if len(found) == 1:
            raise SchemaError(_("{source}：{where}：{problem}。").format(source=source, where=key_path(found[0][0]),
                                                                    problem=found[0][1].rstrip("。.")))
        lines = "\n".join(f"  {key_path(loc)}：{msg}" for loc, msg in found)
        raise SchemaError(_("{source}：区划名册有{n}处错误，请逐一改正：").format(source=source, n=len(found)) + "\n" + lines)
    return model


_FREE_STREET = re.compile(r"([\u4e00-\u9fff]{2,8}?(?:街道|镇|乡))")
_FREE_COMMUNITY = re.compile(r"([\u4e00-\u9fff]{2,10}?(?:社区|村))")


def _strip(key: str, suffixes: tuple[str, ...]) -> str:
    for s in suffixes:
        if key.endswith(s) and len(key) > len(s) + 1:
            return key[: -len(s)]
    return key


def community_key(name: str | None) -> str:
    return _strip(fold(name), COMMUNITY_SUFFIXES)


def street_key(name: str | None) -> str:
    return _strip(fold(name), STREET_SUFFIXES)


def display(name: str | None) -> str:
    """A name as shown when it is not in the register: simplified, half-width, without spaces."""
    return squeeze(simplified(halfwidth(name or "")))


@dataclass(frozen=True)
class Street:
    name: str
    code: str


@dataclass(frozen=True)
class Community:
    name: str
    code: str
    type: str | None
    street: Street


@dataclass
class Register:
    """A compiled register; `Register()` (empty) matches nothing and keeps names as written."""

    name: str = ""
    code: str = ""
    streets: list[Street] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    source_yaml: str = ""
    _street_keys: dict[str, Street] = field(default_factory=dict, repr=False)
    _community_keys: dict[str, list[Community]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_file(cls, path: Path | str) -> Register:
        text = Path(path).read_text(encoding="utf-8")
        return cls.from_yaml(text, str(path))

    @classmethod
    def from_yaml(cls, text: str, source: str = "regions") -> Register:
        """Parse and validate a register; the same text is compiled once per process."""
        return _compiled(text, source)

    @classmethod
    def combine(cls, texts: list[str], source: str = "regions") -> Register:
        """The registers (YAML texts) of several districts as one, a merged workspace's: their streets and
        communities in the order given; a name two districts' streets share is matched to the first one's."""
        if len(texts) == 1:
            return cls.from_yaml(texts[0], source)
        return _combined(tuple(texts), source)

    @classmethod
    def _build(cls, text: str, source: str) -> Register:
        data = parse_yaml(text, source) if text.strip() else None
        model = validate_register(data, source)
        reg = cls(model.name, model.code, source_yaml=text)
        for s in model.streets:
            st = Street(s.name, s.code)
            reg.streets.append(st)
            for k in {street_key(s.name), fold(s.name), *map(street_key, s.aliases), *map(fold, s.aliases)}:
                if k:
                    reg._street_keys[k] = st
            for c in s.communities:
                cm = Community(c.name, c.code, c.type, st)
                reg.communities.append(cm)
                for k in {community_key(c.name), fold(c.name), *map(community_key, c.aliases), *map(fold, c.aliases)}:
                    if k and cm not in reg._community_keys.setdefault(k, []):
                        reg._community_keys[k].append(cm)
        return reg

    def __bool__(self) -> bool:
        return bool(self.streets)

    @property
    def unit_prefixes(self) -> tuple[str, ...]:
        """The place names that open this district's unit names ("江苏省", "江苏", "南京市", "南京")."""
        return unit_prefixes(self.code) if self.code else ()

    # ------------------------------------------------------------------ exact names (a column or a context line)
    def street(self, text: str | None) -> Street | None:
        if not text:
            return None
        return self._street_keys.get(fold(text)) or self._street_keys.get(street_key(text))

    def community(self, text: str | None, street: Street | None = None) -> Community | None:
        """The community a cell names; a name shared by communities of two streets needs `street` to decide.
        A cell may also carry the street: "雨花街道康盛花园社区"."""
        if not text:
            return None
        hits = self._community_keys.get(fold(text)) or self._community_keys.get(community_key(text))
        if not hits:
            return self.search(text)[1]
        if len(hits) == 1:
            return hits[0]
        if street is not None:
            for c in hits:
                if c.street == street:
                    return c
        return None

    # ------------------------------------------------------------------ free text (titles, file and sheet names)
    def search(self, text: str | None) -> tuple[Street | None, Community | None]:
        """The street and community named somewhere inside a title or path ("雨花街道康盛花园社区新的社会阶层人士台账")."""
        if not text:
            return None, None
        key = fold(text)
        if not self:
            st = _FREE_STREET.search(display(text))
            rest = display(text)[st.end():] if st else display(text)
            cm = _FREE_COMMUNITY.search(rest)
            street = Street(st.group(1), "") if st else None
            return street, (Community(cm.group(1), "", None, street or Street("", "")) if cm else None)
        street = None
        for k in sorted(self._street_keys, key=len, reverse=True):
            if len(k) >= 2 and k in key:
                street = self._street_keys[k]
                break
        community = None
        for k in sorted(self._community_keys, key=len, reverse=True):
            if len(k) >= 2 and k in key:
                hits = self._community_keys[k]
                pick = [c for c in hits if street is None or c.street == street]
                if len(pick) == 1:
                    community = pick[0]
                    break
        if community is not None and street is None:
            street = community.street
        return street, community


@lru_cache(maxsize=4)
def _compiled(text: str, source: str) -> Register:
    return Register._build(text, source)


@lru_cache(maxsize=4)
def _combined(texts: tuple[str, ...], source: str) -> Register:
    reg = Register()
    for text in texts:
        one = Register.from_yaml(text, source)
        reg.streets += one.streets
        reg.communities += one.communities
        for k, st in one._street_keys.items():
            reg._street_keys.setdefault(k, st)
        for k, hits in one._community_keys.items():
            reg._community_keys.setdefault(k, [])
            reg._community_keys[k] += [c for c in hits if c not in reg._community_keys[k]]
    return reg


def init_register(district: str) -> str:
    """A register skeleton (YAML text) for a district, from the national street list: streets with their real
    codes, communities left for the district to fill in. `district` is a 6-digit code or a county name."""
    base = schemas_dir() / "divisions"
    with (base / "areas.csv").open(encoding="utf-8") as fh:
        areas = list(csv.DictReader(fh))
    matches = [a for a in areas if a["code"] == district or a["name"] == district]
    if not matches:
        raise UsageError(_("“{district}”既不是6位区县代码，也不是区划表中的区县名称。").format(district=district))
    if len(matches) > 1:
        names = ", ".join(f"{a['code']} {a['name']}" for a in matches[:5])
        raise UsageError(_("“{district}”对应多个区县（{names}）；请改用6位代码。").format(district=district, names=names))
    area = matches[0]
    with (base / "streets.csv").open(encoding="utf-8") as fh:
        streets = [s for s in csv.DictReader(fh) if s["areaCode"] == area["code"]]
    doc = {
        "name": area["name"],
        "code": area["code"],
        "streets": [{"name": s["name"], "code": s["code"], "communities": []} for s in streets],
    }
    header = _("# census 区划名册：请为每个街道填上所辖社区和村\n"
               "# （{name, code（12位代码）, type（社区或村，也可写城乡分类代码111 … 220）, aliases（别名）}）。\n")
    return header + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


# the minority nationalities named in autonomous regions' and prefectures' names (广西壮族自治区 → 广西)
_NATIONALITIES = ("壮|回|维吾尔|朝鲜|蒙古|藏|苗|彝|土家|布依|侗|傣|哈尼|白|傈僳|景颇|哈萨克|柯尔克孜|黎|羌|土|撒拉|保安|东乡|裕固|"
                  "纳西|怒|独龙|普米|拉祜|佤|阿昌|德昂|布朗|基诺|仡佬|水|毛南|仫佬|瑶|畲|京|满|锡伯|达斡尔|鄂温克|鄂伦春|赫哲|门巴|"
                  "珞巴|塔吉克|乌孜别克|俄罗斯|塔塔尔|高山")
_AUTONOMOUS = re.compile(f"^(.+?)(?:(?:{_NATIONALITIES})族|维吾尔)*自治[区州县]$")
_DIVISION_SUFFIX = re.compile(r"特别行政区$|[省市]$|地区$|盟$")


@lru_cache(maxsize=16)
def unit_prefixes(district_code: str) -> tuple[str, ...]:
    """The province and city of a 6-digit county code as unit names begin with them, each in full and short:
    320114 → ("江苏省", "江苏", "南京市", "南京"); a municipality has its province only ("北京市", "北京")."""
    base = schemas_dir() / "divisions"
    names = []
    for file, code in (("provinces.csv", district_code[:2]), ("cities.csv", district_code[:4])):
        with (base / file).open(encoding="utf-8") as fh:
            name = next((r["name"] for r in csv.DictReader(fh) if r["code"] == code), None)
        if name and name not in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"):
            auto = _AUTONOMOUS.match(name)
            short = auto.group(1) if auto else _DIVISION_SUFFIX.sub("", name)
            names += [name, *([short] if len(short) >= 2 and short != name else [])]
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=16)
def city_name(district_code: str) -> str:
    """The prefecture-level city a 6-digit county code lies in (320114 → 南京市); "" where the division list has
    no such city (a municipality's 市辖区, a province's directly administered counties)."""
    with (schemas_dir() / "divisions" / "cities.csv").open(encoding="utf-8") as fh:
        name = next((r["name"] for r in csv.DictReader(fh) if r["code"] == district_code[:4]), "")
    return "" if name in ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划") else name


def load_register_file(path: Path | str) -> Register:
    data = read_yaml(Path(path))
    validate_register(data, str(path))
    return Register.from_file(path)


