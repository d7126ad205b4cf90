"""Reading and validating the YAML files census is configured with.

Every file is checked with a pydantic model (`Model`, which refuses unknown keys); a problem becomes one
`SchemaError` naming the file and the key path (`streets/2/communities/4/code: must be 12 digits`). A model's
own checks raise `keyed(path, message)` to point below the key pydantic reports. Pydantic's own (English)
messages are said again in Chinese by `problem_text`, which the command line also uses for option values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..errors import SchemaError, UsageError
from ..i18n import _, listing


def schemas_dir() -> Path:
    """Where the packaged schema files are: `census/schemas` in an installed wheel, `schemas/` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / "fields.yaml").is_file():
            return candidate
    raise SchemaError(_("找不到 census 自带的 schema 文件（查找了 {a} 和 {b}）；请重新安装 census。").format(
        a=package / "schemas", b=package.parent / "schemas"))


def _as_text(value: Any) -> Any:
    """YAML reads 1, 2.5 and yes as numbers and booleans; in these files they are always text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_as_text)]
Digits = Annotated[str, BeforeValidator(_as_text)]


class Model(BaseModel):
    """The base of every file model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class KeyedError(ValueError):
    """A model's own check failing at a key path below the one pydantic reports."""

    def __init__(self, path: tuple, message: str):
        self.path = path
        super().__init__(message)


def keyed(path: tuple, message: str) -> KeyedError:
    return KeyedError(path, message)


# libyaml's loader when PyYAML was built with it (its wheels are): the same documents, several times faster
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _format_loc(loc: Iterable) -> str:
    return "/".join(str(p) for p in loc if p not in ("function-after", "function-before")) or _("（顶层）")


def _choices(expected: str) -> str:
    """Pydantic's "'a', 'b' or 'c'" as "a、b、c"."""
    found = re.findall(r"'([^']*)'", expected or "")
    return listing(found) if found else expected


def problem_text(err: dict) -> str:
    """One pydantic error (an item of `ValidationError.errors()`) as a Chinese phrase; a model's own check
    (raised as ValueError) says its own message, which is written in Chinese already."""
    kind, ctx = err.get("type", ""), err.get("ctx") or {}
    if kind == "value_error" or kind == "assertion_error":
        msg = str(ctx.get("error") or err.get("msg", ""))
        return msg[len("Value error, "):] if msg.startswith("Value error, ") else msg
    phrases = {
        "missing": _("缺少这个必填项"),
        "extra_forbidden": _("不认识这个键"),
        "string_type": _("应为文本"),
        "int_type": _("应为整数"), "int_parsing": _("应为整数"), "int_from_float": _("应为整数"),
        "float_type": _("应为数字"), "float_parsing": _("应为数字"),
        "bool_type": _("应为 true 或 false"), "bool_parsing": _("应为 true 或 false"),
        "list_type": _("应为列表"), "tuple_type": _("应为列表"),
        "dict_type": _("应为“键: 值”的映射"), "model_type": _("应为“键: 值”的映射"),
        "model_attributes_type": _("应为“键: 值”的映射"),
        "date_from_datetime_parsing": _("应为日期（年-月-日）"), "date_parsing": _("应为日期（年-月-日）"),
    }
    if kind in phrases:
        return phrases[kind]
    if kind == "literal_error" or kind == "enum":
        return _("只能是 {choices}").format(choices=_choices(str(ctx.get("expected", ""))))
    bounds = {"greater_than_equal": (_("不能小于 {n}"), "ge"), "greater_than": (_("应大于 {n}"), "gt"),
              "less_than_equal": (_("不能大于 {n}"), "le"), "less_than": (_("应小于 {n}"), "lt"),
              "too_short": (_("至少要有 {n} 项"), "min_length"), "too_long": (_("最多只能有 {n} 项"), "max_length"),
              "string_too_short": (_("至少要有 {n} 个字符"), "min_length"),
              "string_too_long": (_("最多只能有 {n} 个字符"), "max_length")}
    if kind in bounds:
        template, key = bounds[kind]
        return template.format(n=ctx.get(key, ""))
    return _("值无效（{detail}）").format(detail=err.get("msg", kind))


def read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(_("{path}：没有这个文件。").format(path=path)) from None
    except IsADirectoryError:
        raise UsageError(_("{path}：这是文件夹，不是 YAML 文件。").format(path=path)) from None
    except UnicodeDecodeError:
        raise SchemaError(_("{path}：不是 UTF-8 文本；请把 YAML 文件另存为 UTF-8 编码。").format(path=path)) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        if mark:
            raise SchemaError(_("{source}：第{line}行第{column}列不是有效的 YAML（{problem}）。").format(
                source=source, line=mark.line + 1, column=mark.column + 1, problem=problem)) from None
        raise SchemaError(_("{source}：不是有效的 YAML（{problem}）。").format(source=source, problem=problem)) from None


def problems(e: ValidationError) -> list[tuple[tuple, str]]:
    """Every problem of a failed validation: (key path, message in the language of the run), in the order pydantic
    found them."""
    out = []
    for err in e.errors():
        loc = [p for p in err["loc"] if p not in ("function-after", "function-before")]
        ctx_error = (err.get("ctx") or {}).get("error")
        if isinstance(ctx_error, KeyedError):
            loc = loc + list(ctx_error.path)
        out.append((tuple(loc), problem_text(err)))
    return out


def key_path(loc: Iterable) -> str:
    """("streets", 2, "code") → "streets/2/code"."""
    return _format_loc(loc)


def validate(model: type[Model], data: Any, source: str) -> Any:
    """Validate `data` against `model`; raise one SchemaError naming `source` and the first bad key path."""
    if not isinstance(data, dict):
        raise SchemaError(_("{source}：文件的最外层必须是 YAML 映射（“键: 值”的各行）。").format(source=source))
    try:
        return model.model_validate(data)
    except ValidationError as e:
        found = problems(e)
        loc, msg = found[0]
        more = _("（另有{count}处问题）").format(count=len(found) - 1) if len(found) > 1 else ""
        raise SchemaError(_("{source}：{key}：{problem}{more}。").format(source=source, key=_format_loc(loc), problem=msg,
                                                                      more=more)) from None
