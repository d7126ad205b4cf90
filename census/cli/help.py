"""Help and usage errors in the language of the run. Typer's own help and error texts are English (and show Python
types such as `<bool>` and `<list[Path]>`), so the commands' classes write their help here: the usage line, the
description, each argument and option with its value name (metavar), default and whether it is required, the
subcommands, and the examples (the epilog). Every text comes from the command's definition as written in Chinese
and goes through `_()` when shown. `usage_message` says a usage error Typer found (an unknown option, a missing
value, a value of the wrong kind) as one sentence.
"""

from __future__ import annotations

import difflib
import re
import shutil

import typer
from pydantic import ValidationError
from rich.cells import cell_len
from typer._click import (
    exceptions as click_errors,  # Typer's usage errors (it exports only BadParameter of them)
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from ..config.yaml import problem_text
from ..i18n import _, listing


def _width() -> int:
    return max(50, min(shutil.get_terminal_size((100, 24)).columns, 120))


_TOKEN = re.compile(r"\s+|[\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’…—]|[^\s\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’…—]+")
_NO_LINE_START = set("，。、；：？！）》」』”’…")


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` terminal cells: Chinese text breaks between any two characters, other text at
    spaces (a word longer than a line is cut), and no line starts with closing punctuation (，。）…)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []
        for token in _TOKEN.findall(paragraph):
            if token.isspace():
                if line:
                    line.append(" ")
                continue
            if cell_len("".join(line) + token) <= width or not line:
                line.append(token)
                continue
            carry: list[str] = []
            if token in _NO_LINE_START:  # closing punctuation takes the character before it along
                while len(line) > 1 and line[-1] in _NO_LINE_START:
                    carry.insert(0, line.pop())
                if len(line) > 1 and line[-1] != " ":
                    carry.insert(0, line.pop())
            lines.append("".join(line).rstrip())
            line = [*carry, token]
        lines.append("".join(line).rstrip())
    out = []
    for line in lines:  # a word longer than a line is cut
        while cell_len(line) > width:
            cut = width
            while cell_len(line[:cut]) > width:
                cut -= 1
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def _two_columns(rows: list[tuple[str, str]], width: int) -> list[str]:
    """Names on the left, their help wrapped on the right."""
    left = min(max((cell_len(a) for a, _help in rows), default=0), width // 3)
    out = []
    for name, text in rows:
        pad = left - cell_len(name)
        body = wrap(text, max(20, width - left - 4))
        if pad < 0:  # a name longer than the column: its help starts on the next line
            out.append("  " + name)
            out += [" " * (left + 4) + line for line in body]
            continue
        out.append("  " + name + " " * (pad + 2) + (body[0] if body else ""))
        out += [" " * (left + 4) + line for line in body[1:]]
    return out


def _metavar(param) -> str:
    """The name of an option's value (文件, 维度=值 …), or of an argument; "" for a flag."""
    if isinstance(param, TyperOption) and param.is_flag:
        return ""
    if param.metavar:
        name = _(param.metavar)
    else:
        desc = getattr(param, "type_descriptor", None)
        choices = getattr(desc, "choices", None)
        name = "|".join(map(str, choices)) if choices else _("值")
    return name + ("..." if isinstance(param, TyperArgument) and param.nargs == -1 else "")


def _default(param) -> str | None:
    if isinstance(param.show_default, str):
        return _(param.show_default)
    if not param.show_default or isinstance(param, TyperArgument):
        return None
    value = param.default
    if value is None or value is False or value == () or value == []:
        return None
    return str(value)


def _param_help(param) -> str:
    text = _(param.help) if param.help else ""
    default = _default(param)
    if default is not None:
        text += _("（默认：{default}）").format(default=default)
    if param.required:
        text += _("（必填）")
    return text


def _names(param) -> str:
    if isinstance(param, TyperArgument):
        return _metavar(param)
    return ", ".join([*param.opts, *param.secondary_opts]) + (f" {_metavar(param)}" if _metavar(param) else "")


def _first_paragraph(text: str | None) -> str:
    return (_(text) if text else "").split("\n\n")[0].replace("\n", " ")


def _usage_pieces(command, ctx) -> list[str]:
    pieces = [_("[选项]")]
    for p in command.params:
        if isinstance(p, TyperArgument):
            pieces.append(_metavar(p) if p.required else f"[{_metavar(p)}]")
    if isinstance(command, TyperGroup):
        pieces.append(_("命令 [参数]..."))
    return pieces


def usage_line(command, ctx) -> str:
    return _("用法：{command} {pieces}").format(command=ctx.command_path, pieces=" ".join(_usage_pieces(command, ctx)))


def render_help(command, ctx) -> str:
    """The help page of a command or group, as text."""
    width = _width()
    out = wrap(usage_line(command, ctx), width)
    if command.help:
        for paragraph in _(command.help).split("\n\n"):
            out += ["", *wrap(paragraph.replace("\n", ""), width)]
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if isinstance(p, TyperArgument)]
    options = [p for p in params if not isinstance(p, TyperArgument)]
    for heading, group in ((_("参数："), arguments), (_("选项："), options)):
        if group:
            rows = [(_names(p), _param_help(p) if p.name != "help" else _("显示本帮助并退出。")) for p in group]
            out += ["", heading, *_two_columns(rows, width)]
    if isinstance(command, TyperGroup):
        subs = [(name, command.commands[name]) for name in command.list_commands(ctx)]
        rows = [(name, _first_paragraph(sub.help)) for name, sub in subs if not sub.hidden]
        out += ["", _("命令："), *_two_columns(rows, width)]
    if command.epilog:
        out += ["", _("示例：")] + ["  " + line for line in _(command.epilog).splitlines()]
    return "\n".join(out) + "\n"


class _Localized:
    """What Census commands and groups share: help pages and usage lines written by `render_help`."""

    def format_help(self, ctx, formatter) -> None:
        formatter.write(render_help(self, ctx))

    def format_usage(self, ctx, formatter) -> None:
        formatter.write(usage_line(self, ctx) + "\n")

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = None  # `render_help` says what --help does, in the language of the run
        return option


class CensusCommand(_Localized, TyperCommand):
    """A command whose help and usage line are written by `render_help`."""


# `census --help` lists the commands in the order of the work: read the files, find the persons, count, follow up,
# look inside, the register and the files around it, personal data
COMMAND_ORDER = ("ingest", "sources", "remove", "merge", "link", "review", "classify", "tally", "report", "survey", "followup",
                 "diff", "export", "status", "codes", "schema", "regions", "audit", "purge")


class CensusGroup(_Localized, TyperGroup):
    """A group of commands whose help, usage line and unknown-command message are in the language of the run."""

    def list_commands(self, ctx) -> list[str]:
        names = list(self.commands)
        place = {n: i for i, n in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda n: (place.get(n, len(place)), names.index(n)))

    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, list(self.commands), n=3)
            message = _("没有 {command} 这个命令。").format(command=name)
            if close:
                message += _("是不是要用 {commands}？").format(commands=listing(close))
            raise click_errors.UsageError(message, ctx)
        return super().resolve_command(ctx, args)


class CensusTyper(typer.Typer):
    """The Typer application of census and its command groups: their commands are `CensusCommand`s."""

    def __init__(self, **kwargs):
        kwargs.setdefault("cls", CensusGroup)
        super().__init__(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False, **kwargs)

    def command(self, *args, **kwargs):
        kwargs.setdefault("cls", CensusCommand)
        return super().command(*args, **kwargs)


# ---------------------------------------------------------------------------------------------- usage errors
def _option_name(param) -> str:
    if param is None:
        return ""
    if isinstance(param, TyperArgument):
        return _metavar(param)
    return (param.opts or [param.name or ""])[0]


def _bad_value(e) -> str:
    """A value Typer could not take: which option, what was given, what it should be."""
    param = getattr(e, "param", None)
    cause = e.__cause__
    choices = getattr(getattr(param, "type_descriptor", None), "choices", None)
    if isinstance(cause, ValidationError) and cause.errors():
        err = cause.errors()[0]
        given = err.get("input")
        problem = _("只能是 {choices}").format(choices=listing(map(str, choices))) if choices else problem_text(err)
        return _("{option} {value}：{problem}。").format(option=_option_name(param), value=given, problem=problem)
    return _("{option}：值无效（{detail}）。").format(option=_option_name(param), detail=e.message)


def usage_message(e: click_errors.UsageError) -> str:
    """A usage error Typer raised, as one sentence in the language of the run (English details Typer gives
    without structure are kept in brackets)."""
    if isinstance(e, click_errors.NoSuchOption):
        text = _("没有 {option} 这个选项。").format(option=e.option_name)
        if e.possibilities:
            text += _("是不是要用 {options}？").format(options=listing(sorted(e.possibilities)))
        return text
    if isinstance(e, click_errors.MissingParameter):
        if isinstance(e.param, TyperArgument):
            return _("缺少{name}。").format(name=_(e.param.help) if e.param.help else _metavar(e.param))
        return _("缺少选项 {option}。").format(option=_option_name(e.param))
    if isinstance(e, click_errors.BadParameter):
        return _bad_value(e)
    if isinstance(e, click_errors.BadOptionUsage):
        if "requires" in e.message:
            return _("选项 {option} 后面要跟一个值。").format(option=e.option_name)
        if "does not take a value" in e.message:
            return _("选项 {option} 不带值。").format(option=e.option_name)
    extra = re.fullmatch(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", e.message)
    if extra:
        return _("多余的参数：{args}。").format(args=extra.group(1))
    if e.message == "Missing command.":
        return _("缺少命令。")
    return e.message if re.search(r"[\u4e00-\u9fff]", e.message) else _("用法有误（{detail}）。").format(detail=e.message)


def help_hint(e: click_errors.UsageError) -> str:
    """Where to read how a command is used ("" when the error has no command)."""
    ctx = getattr(e, "ctx", None)
    if ctx is None:
        return ""
    return _("（运行 {command} --help 查看用法）").format(command=ctx.command_path)

