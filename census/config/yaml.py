"""Reading and validating the YAML files census is configured with.

Every file is checked with a pydantic model (`Model`, which refuses unknown keys); a problem becomes one
`SchemaError` naming the file and the key path (`streets/2/communities/4/code: must be 12 digits`). A model's
own checks raise `keyed(path, message)` to point below the key pydantic reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from ..errors import SchemaError


def schemas_dir() -> Path:
    """Where the packaged schema files are: `census/schemas` in an installed wheel, `schemas/` in a checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / "fields.yaml").is_file():
            return candidate
    raise SchemaError(f"the schema files are missing (looked in {package / 'schemas'} and {package.parent / 'schemas'}); reinstall census.")


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
    return "/".join(str(p) for p in loc if p not in ("function-after", "function-before")) or "(top)"


def read_yaml(path: Path) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: not UTF-8 text; save the YAML file as UTF-8.") from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise SchemaError(f"{source}: not valid YAML{where}: {problem}.") from None


def problems(e: ValidationError) -> list[tuple[tuple, str]]:
    """Every problem of a failed validation: (key path, message), in the order pydantic found them."""
    out = []
    for err in e.errors():
        loc = [p for p in err["loc"] if p not in ("function-after", "function-before")]
        ctx_error = (err.get("ctx") or {}).get("error")
        msg = err["msg"]
        if isinstance(ctx_error, KeyedError):
            loc = loc + list(ctx_error.path)
            msg = str(ctx_error)
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "required key is missing"
        out.append((tuple(loc), msg))
    return out


def key_path(loc: Iterable) -> str:
    """("streets", 2, "code") → "streets/2/code"."""
    return _format_loc(loc)


def validate(model: type[Model], data: Any, source: str) -> Any:
    """Validate `data` against `model`; raise one SchemaError naming `source` and the first bad key path."""
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: the file must be a YAML mapping (key: value lines) at the top.")
    try:
        return model.model_validate(data)
    except ValidationError as e:
        found = problems(e)
        loc, msg = found[0]
        more = f" (and {len(found) - 1} more problem(s))" if len(found) > 1 else ""
        raise SchemaError(f"{source}: {_format_loc(loc)}: {msg}{more}.") from None
