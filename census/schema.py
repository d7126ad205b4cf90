"""The YAML files under `schemas/`: loaded, validated before use, and compiled into lookups.

Every file is checked with a pydantic model; a problem becomes one `SchemaError` naming the file and the key
path (`streets/2/communities/4/code: must be 12 digits`). `check_file` guesses which kind a file is, so
`census schema check FILE` works on any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from .errors import SchemaError
from .text import clean, fold, header_key


def schemas_dir() -> Path:
    """Where the packaged schema files are: `census/schemas` in an installed wheel, `schemas/` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent / "schemas"):
        if (candidate / "fields.yaml").is_file():
            return candidate
    raise SchemaError(f"the schema files are missing (looked in {here / 'schemas'} and {here.parent / 'schemas'}); reinstall census.")


def _as_text(value: Any) -> Any:
    """YAML reads 1, 2.5 and yes as numbers and booleans; in these files they are always text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_as_text)]
Digits = Annotated[str, BeforeValidator(_as_text)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---------------------------------------------------------------------------------------------- fields.yaml
FIELD_NAMES = (
    "seq", "name", "sex", "id_number", "birth_date", "age", "ethnicity", "phone", "education", "political_status",
    "work_unit", "unit_type", "position", "occupation", "category", "representative", "street", "community",
    "address", "household_no", "relation", "note",
)
CONTEXT_KEYS = ("work_unit", "unit_type", "street", "community", "reporting_unit")


class FieldDef(_Model):
    label: Text | None = None
    weight: float = Field(1.0, ge=0)
    synonyms: list[Text] = Field(default_factory=list)


class FieldsFile(_Model):
    version: int = 1
    fields: dict[str, FieldDef]
    context: dict[str, list[Text]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> FieldsFile:
        for name in self.fields:
            if name not in FIELD_NAMES:
                raise _keyed(("fields", name), f"unknown field; the fields are {', '.join(FIELD_NAMES)}")
        for name in self.context:
            if name not in CONTEXT_KEYS:
                raise _keyed(("context", name), f"unknown context key; use one of {', '.join(CONTEXT_KEYS)}")
        return self


# ---------------------------------------------------------------------------------------------- codes.yaml
class CodeValue(_Model):
    code: Text
    label: Text
    party: bool = False
    variants: list[Text] = Field(default_factory=list)


class CodeTable(_Model):
    standard: Text | None = None
    values: list[CodeValue]


class CodesFile(_Model):
    version: int = 1
    tables: dict[str, CodeTable]


# ---------------------------------------------------------------------------------------------- evidence.yaml
SECTORS = ("private_tech", "private", "foreign", "intermediary", "social_org", "new_media", "individual", "public", "none")
ROLES = ("owner", "manager", "technical", "staff", "freelancer", "creator")
STATUSES = ("out_of_scope",)
FACETS = {"sector": SECTORS, "role": ROLES, "status": STATUSES}
Sector = Literal["private_tech", "private", "foreign", "intermediary", "social_org", "new_media", "individual", "public", "none"]
Role = Literal["owner", "manager", "technical", "staff", "freelancer", "creator"]


class EvidenceRule(_Model):
    sector: Sector | None = None
    role: Role | None = None
    status: Literal["out_of_scope"] | None = None
    keywords: list[Text] = Field(default_factory=list)
    patterns: list[Text] = Field(default_factory=list)
    reason: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> EvidenceRule:
        if not (self.keywords or self.patterns):
            raise ValueError("give `keywords` or `patterns`")
        if not (self.sector or self.role or self.status):
            raise ValueError("say what a match means: `sector`, `role` or `status`")
        for p in self.patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(f"pattern {p!r} is not a valid regular expression ({e})") from None
        return self


class EvidenceFile(_Model):
    version: int = 1
    facets: dict[Literal["sector", "role", "status"], dict[str, Text]]
    unit_type: list[EvidenceRule]
    unit_name: list[EvidenceRule]
    position: list[EvidenceRule]
    occupation: list[EvidenceRule]


# ---------------------------------------------------------------------------------------------- schemes
Group = Literal["new_class", "outside", "excluded", "unresolved"]
FacetValue = Text


class Category(_Model):
    code: Text
    label: Text
    short: Text | None = None
    group: Group
    synonyms: list[Text] = Field(default_factory=list)


class Condition(_Model):
    sector: list[FacetValue] | None = None
    role: list[FacetValue] | None = None
    status: list[FacetValue] | None = None

    @model_validator(mode="after")
    def _values(self) -> Condition:
        for facet, allowed in FACETS.items():
            for v in getattr(self, facet) or []:
                if v not in allowed and v != "unknown":
                    raise _keyed((facet,), f"{v!r} is not a {facet}; use one of {', '.join(allowed)} or unknown")
        return self


class Case(_Model):
    when: Condition | None = None
    category: Text
    reason: Text | None = None


class Rule(_Model):
    id: Text
    when: Condition
    category: Text
    strong: bool = False
    reason: Text | None = None


class SchemeFile(_Model):
    version: int = 1
    scheme: Text
    title: Text
    basis: Text | None = None
    authority: list[Literal["community_ledger", "unit_ledger", "questionnaire", "household_register", "other"]]
    categories: list[Category]
    crosswalk: dict[str, dict[str, list[Case]]] = Field(default_factory=dict)
    rules: list[Rule]

    @model_validator(mode="after")
    def _consistent(self) -> SchemeFile:
        labels = [c.label for c in self.categories]
        for i, c in enumerate(self.categories):
            if labels.count(c.label) > 1:
                raise _keyed(("categories", i, "label"), f"{c.label!r} appears twice")
        for g in ("excluded", "unresolved"):
            if sum(c.group == g for c in self.categories) != 1:
                raise _keyed(("categories",), f"exactly one category must have group {g}")
        if not any(c.group == "new_class" for c in self.categories):
            raise _keyed(("categories",), "at least one category must have group new_class")
        for other, entries in self.crosswalk.items():
            for src, cases in entries.items():
                for k, case in enumerate(cases):
                    if case.category not in labels:
                        raise _keyed(("crosswalk", other, src, k, "category"), f"{case.category!r} is not a category of this scheme")
                if not cases or cases[-1].when is not None:
                    raise _keyed(("crosswalk", other, src), "the last case must have no `when` (it is the default)")
        for k, rule in enumerate(self.rules):
            if rule.category not in labels:
                raise _keyed(("rules", k, "category"), f"{rule.category!r} is not a category of this scheme")
        return self


# ---------------------------------------------------------------------------------------------- regions
class CommunityDef(_Model):
    name: Text
    code: Digits
    type: Digits | None = None
    aliases: list[Text] = Field(default_factory=list)


class StreetDef(_Model):
    name: Text
    code: Digits
    aliases: list[Text] = Field(default_factory=list)
    communities: list[CommunityDef] = Field(default_factory=list)


class RegionsFile(_Model):
    name: Text
    code: Digits
    streets: list[StreetDef]

    @model_validator(mode="after")
    def _codes(self) -> RegionsFile:
        if not re.fullmatch(r"[0-9]{6}", self.code):
            raise _keyed(("code",), "the district code must be 6 digits (GB/T 2260), written as a string")
        seen: dict[str, tuple] = {}
        for i, s in enumerate(self.streets):
            if not re.fullmatch(r"[0-9]{9}", s.code):
                raise _keyed(("streets", i, "code"), "a street code must be 9 digits, written as a string")
            if not s.code.startswith(self.code):
                raise _keyed(("streets", i, "code"), f"{s.code} does not start with the district code {self.code}")
            for j, c in enumerate(s.communities):
                if not re.fullmatch(r"[0-9]{12}", c.code):
                    raise _keyed(("streets", i, "communities", j, "code"), "a community code must be 12 digits, written as a string")
                if not c.code.startswith(s.code):
                    raise _keyed(("streets", i, "communities", j, "code"), f"{c.code} does not start with its street's code {s.code}")
                if c.type is not None and not re.fullmatch(r"[0-9]{3}", c.type):
                    raise _keyed(("streets", i, "communities", j, "type"), "the urban-rural type must be a 3-digit code such as 111 or 220")
                if c.code in seen:
                    raise _keyed(("streets", i, "communities", j, "code"), f"{c.code} is used twice")
                seen[c.code] = (i, j)
        return self


# ---------------------------------------------------------------------------------------------- loading
class _KeyedError(ValueError):
    def __init__(self, path: tuple, message: str):
        self.path = path
        super().__init__(message)


def _keyed(path: tuple, message: str) -> _KeyedError:
    return _KeyedError(path, message)


# libyaml's loader when PyYAML was built with it (its wheels are): the same documents, several times faster
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _format_loc(loc: Iterable) -> str:
    return "/".join(str(p) for p in loc if p not in ("function-after", "function-before")) or "(top)"


def read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: not UTF-8 text; save the YAML file as UTF-8.") from None
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise SchemaError(f"{path}: not valid YAML{where}: {problem}.") from None


def validate(model: type[_Model], data: Any, source: str) -> Any:
    """Validate `data` against `model`; raise one SchemaError naming `source` and the first bad key path."""
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: the file must be a YAML mapping (key: value lines) at the top.")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = list(err["loc"])
        ctx_error = (err.get("ctx") or {}).get("error")
        msg = err["msg"]
        if isinstance(ctx_error, _KeyedError):
            loc = loc + list(ctx_error.path)
            msg = str(ctx_error)
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        more = f" (and {len(e.errors()) - 1} more problem(s))" if len(e.errors()) > 1 else ""
        raise SchemaError(f"{source}: {_format_loc(loc)}: {msg}{more}.") from None


KINDS = {
    "fields": FieldsFile,
    "codes": CodesFile,
    "evidence": EvidenceFile,
    "scheme": SchemeFile,
    "regions": RegionsFile,
}


def guess_kind(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    if "fields" in data:
        return "fields"
    if "tables" in data:
        return "codes"
    if "categories" in data or "scheme" in data:
        return "scheme"
    if "streets" in data:
        return "regions"
    if "unit_name" in data or "facets" in data:
        return "evidence"
    if "sheets" in data or "tables_layout" in data:
        return "layout"
    return None


def load_file(path: Path | str, kind: str | None = None) -> tuple[str, Any]:
    """Read and validate one schema file; `kind` is guessed from its keys when not given."""
    path = Path(path)
    data = read_yaml(path)
    kind = kind or guess_kind(data)
    if kind == "layout":
        from .report import validate_layout

        return kind, validate_layout(data, str(path))
    if kind not in KINDS:
        raise SchemaError(
            f"{path}: cannot tell what kind of schema file this is; it needs a top-level key such as "
            "fields (field synonyms), tables (code tables), categories (a scheme), streets (a region register) "
            "or unit_name (evidence)."
        )
    return kind, validate(KINDS[kind], data, str(path))


# ---------------------------------------------------------------------------------------------- compiled views
@dataclass(frozen=True)
class FieldMatcher:
    """Column header → canonical field, compiled from fields.yaml (plus any `--schema` extras)."""

    exact: dict[str, str]
    contained: list[tuple[str, str]]  # (synonym key, field), longest first
    weights: dict[str, float]
    labels: dict[str, str]
    context: dict[str, str]  # folded context key → field
    _cache: dict[str, tuple[str | None, float]] = field(default_factory=dict, repr=False, compare=False)
    _context_cache: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    def match(self, header: str | None) -> tuple[str | None, float]:
        """(field, quality) for one header: quality 1 for an exact synonym, 0.6 when a synonym is contained."""
        if not header:
            return None, 0.0
        hit = self._cache.get(header)
        if hit is None:
            hit = self._cache[header] = self._match(header)
        return hit

    def _match(self, header: str) -> tuple[str | None, float]:
        if len(header) > 40 or sum(ch.isdigit() for ch in header) >= 5:
            return None, 0.0  # a sentence, or a value (ID, phone, date): never a column name
        key = header_key(header)
        if not key:
            return None, 0.0
        f = self.exact.get(key)
        if f:
            return f, 1.0
        if len(key) > 24 or not _has_cjk(key):  # a sentence or an English word: no substring guessing
            return None, 0.0
        if not self._any_contained.search(key):  # most cells looked at are data: no synonym in them at all
            return None, 0.0
        for syn, f in self.contained:
            if syn in key:
                return f, 0.6
        return None, 0.0

    @cached_property
    def _any_contained(self) -> re.Pattern:
        return re.compile("|".join(re.escape(syn) for syn, _ in self.contained) or r"(?!)")

    def context_field(self, key: str) -> str | None:
        """The field a "key：value" line above a header names ("单位" → work_unit), or None."""
        hit = self._context_cache.get(key, False)
        if hit is False:
            hit = self._context_cache[key] = self.context.get(fold(key))
        return hit


def _has_cjk(s: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in s)


def compile_fields(files: list[FieldsFile]) -> FieldMatcher:
    exact: dict[str, str] = {}
    weights: dict[str, float] = {}
    labels: dict[str, str] = {}
    context: dict[str, str] = {}
    for ff in files:
        for name, fd in ff.fields.items():
            weights[name] = fd.weight if name not in weights or "weight" in fd.model_fields_set else weights[name]
            labels[name] = fd.label or labels.get(name) or name
            for syn in [name, fd.label or "", *fd.synonyms]:
                key = header_key(syn)
                if key:
                    exact[key] = name
        for name, keys in ff.context.items():
            for k in keys:
                context[fold(k)] = name
    contained = sorted(((k, f) for k, f in exact.items() if len(k) >= 2 and _has_cjk(k)), key=lambda kv: -len(kv[0]))
    return FieldMatcher(exact, contained, weights, labels, context)


@dataclass(frozen=True)
class CodeLookup:
    """One code table compiled: folded variant → canonical label (plus which labels are CPC members)."""

    name: str
    exact: dict[str, str]
    contained: list[tuple[str, str]]
    codes: dict[str, str]
    party: frozenset[str] = field(default_factory=frozenset)

    def lookup(self, raw: str | None) -> str | None:
        key = _code_key(raw)
        if not key:
            return None
        hit = self.exact.get(key)
        if hit:
            return hit
        for variant, label in self.contained:
            if variant in key:
                return label
        return None


def _code_key(text: str | None) -> str:
    """The match key of a coded value: `fold`, or the cleaned text when it is only a symbol ("√", "×")."""
    return fold(text) or clean(text)


def compile_codes(codes: CodesFile) -> dict[str, CodeLookup]:
    out = {}
    for name, table in codes.tables.items():
        exact: dict[str, str] = {}
        for v in table.values:
            for variant in [v.label, *v.variants]:
                exact.setdefault(_code_key(variant), v.label)
        # substring matching only for variants of 2+ characters ("本科学历" contains "本科"), longest first
        contained = sorted(((k, lab) for k, lab in exact.items() if len(k) >= 2), key=lambda kv: -len(kv[0]))
        out[name] = CodeLookup(
            name, exact, contained, {v.label: v.code for v in table.values},
            frozenset(v.label for v in table.values if v.party),
        )
    return out


@dataclass(frozen=True, eq=False)  # hashed by identity: compiled views are cached per loaded Schemas
class Schemas:
    """Everything the pipeline reads from `schemas/`, validated and compiled once."""

    fields: FieldMatcher
    codes: dict[str, CodeLookup]
    evidence: EvidenceFile
    schemes: dict[str, SchemeFile]


def load_schemas(extra_fields: Iterable[Path | str] = (), scheme_files: Iterable[Path | str] = ()) -> Schemas:
    """Load the packaged schema files, plus `--schema` synonym files and `--scheme-file` scheme files."""
    extra = tuple(str(p) for p in extra_fields)
    schemes = tuple(str(p) for p in scheme_files)
    return _load_schemas(extra, schemes)


@lru_cache(maxsize=8)
def _load_schemas(extra_fields: tuple[str, ...], scheme_files: tuple[str, ...]) -> Schemas:
    base = schemas_dir()
    fields_files = [validate(FieldsFile, read_yaml(base / "fields.yaml"), str(base / "fields.yaml"))]
    for p in extra_fields:
        fields_files.append(validate(FieldsFile, read_yaml(Path(p)), p))
    codes = validate(CodesFile, read_yaml(base / "codes.yaml"), str(base / "codes.yaml"))
    evidence = validate(EvidenceFile, read_yaml(base / "evidence.yaml"), str(base / "evidence.yaml"))
    schemes: dict[str, SchemeFile] = {}
    for p in [*sorted((base / "schemes").glob("*.yaml")), *map(Path, scheme_files)]:
        s = validate(SchemeFile, read_yaml(p), str(p))
        schemes[s.scheme] = s
    return Schemas(compile_fields(fields_files), compile_codes(codes), evidence, schemes)


__all__ = [
    "CONTEXT_KEYS", "FIELD_NAMES", "FACETS", "Schemas", "SchemeFile", "RegionsFile", "EvidenceFile",
    "FieldMatcher", "CodeLookup", "load_schemas", "load_file", "validate", "read_yaml", "schemas_dir",
]
