"""Configuration: the YAML files under `schemas/` (field synonyms, code tables, evidence, classification schemes,
report layouts) and a district's region register, each validated before use and compiled into lookups.

`load_schemas()` gives everything the pipeline reads, compiled once per process; `load_file` validates any one
file (`census schema check`), guessing its kind from its keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..errors import SchemaError
from ..i18n import _
from .codes import CodeLookup, CodesFile, compile_codes
from .evidence import FACETS, EvidenceFile, EvidenceRule
from .fields import CONTEXT_KEYS, FIELD_NAMES, FieldMatcher, FieldsFile, compile_fields
from .layouts import LayoutFile, load_layout, validate_layout
from .regions import Community, RegionsFile, Register, Street, load_register_file, validate_register
from .schemes import SchemeFile, Terms
from .yaml import read_yaml, schemas_dir, validate


@dataclass(frozen=True, eq=False)  # hashed by identity: compiled views are cached per loaded Schemas
class Schemas:
    """Everything the pipeline reads from `schemas/`, validated and compiled once."""

    fields: FieldMatcher
    codes: dict[str, CodeLookup]
    evidence: EvidenceFile
    schemes: dict[str, SchemeFile]

    @cached_property
    def terms(self) -> dict[str, Terms]:
        """Each scheme's categories by the texts that name them."""
        return {name: Terms(sf) for name, sf in self.schemes.items()}

    def category_known(self, text: str) -> bool:
        """Whether any scheme knows a declared category text (ingest reports `category.unknown` otherwise)."""
        return any(t.category(text) for t in self.terms.values())


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


KINDS = {
    "fields": FieldsFile,
    "codes": CodesFile,
    "evidence": EvidenceFile,
    "scheme": SchemeFile,
    "regions": RegionsFile,
    "layout": LayoutFile,
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
    if kind not in KINDS:
        raise SchemaError(_("{path}：看不出这是哪种 schema 文件；最外层需要有 fields（字段同义词）、tables（代码表）、"
                            "categories（分类方案）、streets（区划名册）、unit_name（证据）或 sheets（报告版式）等键。").format(path=path))
    if kind == "regions":  # every problem of a register at once
        return kind, validate_register(data, str(path))
    return kind, validate(KINDS[kind], data, str(path))


__all__ = [
    "CONTEXT_KEYS", "FACETS", "FIELD_NAMES", "KINDS", "CodeLookup", "Community", "EvidenceFile", "EvidenceRule",
    "FieldMatcher", "LayoutFile", "Register", "RegionsFile", "Schemas", "SchemeFile", "Street", "Terms", "guess_kind",
    "load_file", "load_layout", "load_register_file", "load_schemas", "read_yaml", "schemas_dir", "validate",
    "validate_layout",
]
