"""Survey tables as text: each question's options with counts and shares (and the weighted estimates when
calibrated, with the number of respondents they rest on beside the number who answered), the calibration
weights (a weight resting on fewer than five respondents marked ※), and the note under them."""

from __future__ import annotations

from ..i18n import _
from ..tables.survey import MIN_RESPONDENTS, SurveyResult, SurveyTable
from ..vocab import TOTAL
from .rows import Grid

FEW_MARK = "※"


def question_rows(table: SurveyTable, calibrated: bool) -> tuple[list[str], list[tuple[list[str], str]]]:
    """The printed form: (header, rows of (cells, style)); the last rows, 回答人数 (and, calibrated, 计入加权估计),
    have style "total". Without `by`: 选项 · 人数 · 占比 (· 估计人数 · 加权占比); with `by`: one "n（p%）" column per
    value."""
    def pct(v: float | None) -> str:
        return "" if v is None else f"{v:.1f}%"

    if table.columns == [TOTAL]:
        header = [_("选项"), _("人数"), _("占比")] + ([_("估计人数"), _("加权占比")] if calibrated else [])
        rows = []
        for opt in table.options:
            c = table.cells[opt, TOTAL]
            cells = [opt, str(c["count"]), pct(c["percent"])]
            if calibrated:
                cells += [f"{c['estimate']:.0f}", pct(c["weighted_percent"])]
            rows.append((cells, ""))
        foot = [[_("回答人数"), str(table.answered[TOTAL]), ""] + (["", ""] if calibrated else [])]
        if calibrated:
            foot.append([_("其中计入加权估计"), str(table.used[TOTAL]), "", f"{table.weighted_answered[TOTAL]:.0f}", ""])
        return header, [*rows, *((f, "total") for f in foot)]
    header = [_("选项"), *table.columns]
    rows = []
    for opt in table.options:
        cells = [opt]
        for col in table.columns:
            c = table.cells[opt, col]
            text = f"{c['count']}（{pct(c['percent'])}）" if c["percent"] is not None else str(c["count"])
            if calibrated and c.get("weighted_percent") is not None:
                text += " " + _("加权{percent}").format(percent=pct(c["weighted_percent"]))
            cells.append(text)
        rows.append((cells, ""))
    foot = [([_("回答人数"), *(str(table.answered[c]) for c in table.columns)], "total")]
    if calibrated:
        foot.append(([_("其中计入加权估计"), *(str(table.used[c]) for c in table.columns)], "total"))
    return header, [*rows, *foot]


def calibration_rows(result: SurveyResult) -> tuple[list[str], list[tuple[list[str], str]]]:
    """The weights as a table: 类别 · 普查人数 · 回答人数 · 权数 · 说明 (※ where the weight rests on fewer than
    five respondents), and the 合计 of the calibrated categories."""
    header = [_("类别"), _("普查人数"), _("回答人数"), _("权数"), _("说明")]
    rows = []
    for c in result.calibration:
        weight = f"{c['weight']:.4f}" if c["respondents"] else ""
        why = (FEW_MARK + _("回答不足{n}人，估计不稳定").format(n=MIN_RESPONDENTS) if c.get("few_respondents")
               else (_("无人回答") if c["census"] and not c["respondents"] else ""))
        rows.append(([c["category"], str(c["census"]), str(c["respondents"]), weight, why], ""))
    covered = [c for c in result.calibration if c["respondents"]]
    rows.append(([_(TOTAL), str(sum(c["census"] for c in covered)), str(sum(c["respondents"] for c in covered)), "", ""], "total"))
    return header, rows


def survey_note(result: SurveyResult) -> str:
    """The line under the tables: who answered, who was left out of the estimate, and the notes."""
    parts = [_("回答问卷{respondents}人，其中{linked}人已与普查人员关联").format(respondents=result.respondents, linked=result.linked)]
    if result.calibrated:
        population = sum(c["census"] for c in result.calibration if c["respondents"])
        weights = _("，").join(_("{category}{count}人（权数{weight:.2f}）").format(category=c["category"], count=c["respondents"], weight=c["weight"])
                              for c in result.calibration if c["respondents"])
        parts.append(_("加权估计按普查人数事后分层（覆盖{population}人），依据{used}名回答者：{weights}").format(
            population=population, used=result.used, weights=weights))
        out = [_("{group}{count}人").format(group=k, count=v) for k, v in result.left_out.items() if v]
        if out:
            parts.append(_("未计入加权估计：{groups}").format(groups=_("，").join(out)))
    return _("；").join(parts) + _("。") + "".join(result.notes)


def question_title(t: SurveyTable) -> str:
    if t.question.kind == "multiple":
        return _("{label}（{variable}，多选）").format(label=t.question.label, variable=t.question.variable)
    return f"{t.question.label}（{t.question.variable}）"


def survey_grids(result: SurveyResult) -> list[tuple[str, Grid]]:
    """Each question's table (and the weights when calibrated) with its title."""
    blocks = [(question_title(t), Grid(*question_rows(t, result.calibrated))) for t in result.tables]
    if result.calibrated:
        blocks.append((_("加权（事后分层）"), Grid(*calibration_rows(result))))
    return blocks
