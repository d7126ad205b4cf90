"""evidence.yaml: what unit types, unit names, positions and occupations say about a person, as facets
(sector, role, status) that both classification schemes read."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, model_validator

from ..i18n import _
from .yaml import Model, Text

SECTORS = ("private_tech", "private", "foreign", "intermediary", "social_org", "new_media", "individual", "public", "none")
ROLES = ("owner", "manager", "technical", "staff", "freelancer", "creator")
STATUSES = ("out_of_scope",)
FACETS = {"sector": SECTORS, "role": ROLES, "status": STATUSES}
Sector = Literal[SECTORS]  # the tuple's values, as pydantic checks them
Role = Literal[ROLES]
Status = Literal[STATUSES]


class EvidenceRule(Model):
    sector: Sector | None = None
    role: Role | None = None
    status: Status | None = None
    keywords: list[Text] = Field(default_factory=list)
    patterns: list[Text] = Field(default_factory=list)
    industry: list[Text] = Field(default_factory=list)  # unit_name: how the unit's trade ends (see `unit_form`)
    refine: list[Sector] = Field(default_factory=list)  # unit_type: sectors the unit's name may narrow this one to
    employed_role: Role | None = None  # position: the role instead when the person has an employer
    reason: Text | None = None
    label: Text | None = None  # unit_type: the canonical 单位性质 tables show (default: the sector's label)

    @model_validator(mode="after")
    def _check(self) -> EvidenceRule:
        if not (self.keywords or self.patterns or self.industry):
            raise ValueError(_("请给出 keywords、patterns 或 industry"))
        if not (self.sector or self.role or self.status):
            raise ValueError(_("请说明匹配上意味着什么：sector、role 或 status"))
        for p in self.patterns:
            try:
                re.compile(p)
            except re.error as e:
                raise ValueError(_("“{pattern}”不是有效的正则表达式（{reason}）").format(pattern=p, reason=e)) from None
        return self


class UnitForm(Model):
    """How a unit's name ends: its company form (有限公司 …), and the words between its trade and the form that
    say nothing of the trade (发展, 实业, 管理 …). What is left before them is the trade ("南京云帆智能建材有限公司"
    → 建材), which `industry` rules read."""

    forms: list[Text] = Field(default_factory=list)
    generic: list[Text] = Field(default_factory=list)


class EvidenceFile(Model):
    version: int = 1
    facets: dict[Literal[tuple(FACETS)], dict[str, Text]]
    unit_form: UnitForm = Field(default_factory=UnitForm)
    unit_type: list[EvidenceRule]
    unit_name: list[EvidenceRule]
    position: list[EvidenceRule]
    occupation: list[EvidenceRule]
