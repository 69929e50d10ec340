"""Kinds of life event, what each must carry, and which state each one sets. Pure data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    key: str
    zh: str
    en: str
    required: tuple[str, ...]  # fields beyond person and date
    sets_residence: bool = False
    sets_hukou: bool = False
    sets_household: bool = False


EVENT_KINDS: dict[str, EventKind] = {
    k.key: k
    for k in (
        # A person's first entry in the registry (from an import of an existing register).
        EventKind("register", "登记", "registration", ("hukou_unit", "residence_unit"), True, True, True),
        EventKind("birth", "出生", "birth", ("mother", "hukou_unit", "residence_unit"), True, True, True),
        EventKind("death", "死亡", "death", ()),
        EventKind("marriage", "结婚", "marriage", ("partner",)),
        EventKind("divorce", "离婚", "divorce", ("partner",)),
        EventKind("adoption", "收养", "adoption", ()),  # mother and/or father: the adoptive parent(s)
        EventKind("move", "迁移", "move", ("scope",), True, True),
        EventKind("household", "户籍关系变更", "household change", (), sets_household=True),
        EventKind("hukou_type", "户口性质变更", "hukou type change", ("hukou_type",)),
        EventKind("work_join", "进入单位", "joined work unit", ("work_unit",)),
        EventKind("work_leave", "离开单位", "left work unit", ("work_unit",)),
        EventKind("disability", "残疾证", "disability certificate", ("grade",)),
        # Withdraws the event it supersedes (recorded in error), with a reason.
        EventKind("retraction", "撤销", "retraction", ()),
    )
}

# Kinds whose event can set where a person lives or is registered.
RESIDENCE_KINDS = ("register", "birth", "move")
HOUSEHOLD_KINDS = ("register", "birth", "household")
HUKOU_TYPE_KINDS = ("register", "birth", "hukou_type")
