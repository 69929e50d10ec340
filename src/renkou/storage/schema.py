"""The registry's tables (SQLAlchemy 2 declarative). Alembic migrations are made from this module.

Conventions:
* Tracked tables carry ``seq`` (the change-feed number of their last write) and ``created_cs`` (the
  changeset that created them). Mutable ones also carry ``version`` for optimistic concurrency.
* ``event``, ``changeset``, ``audit_entry``, ``org_version``, ``org_succession`` and ``import_batch``
  are append-only: database triggers refuse UPDATE and DELETE (see the initial migration, which
  keeps its own list so that it never changes with this module).
* Time-varying facts (where a person lives, household, marital status...) are never columns of
  ``person``: they are derived from events as of a date (renkou.registry.asof).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

# the statuses of the benefit workflows, as data (their CHECK constraints below; nothing else is read there)
from renkou.benefits.cycle.application_workflow import WORKFLOW as APPLICATION
from renkou.benefits.cycle.exit_workflow import WORKFLOW as EXIT
from renkou.benefits.payments.batch_workflow import WORKFLOW as BATCH
from renkou.benefits.payments.line_workflow import WORKFLOW as LINE

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Big integer ids on PostgreSQL, INTEGER (rowid alias) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ChangeCounter(Base):
    """One row: the last change-feed number handed out. Writers lock it, so numbers commit in order."""

    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Id, nullable=False)


class Changeset(Base):
    """Who changed something, when, and from where (one per write transaction)."""

    __tablename__ = "changeset"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False, index=True)  # UTC
    actor: Mapped[str] = mapped_column(String(64), nullable=False)
    channel: Mapped[str] = mapped_column(String(16), nullable=False)  # cli | import | web | system
    origin: Mapped[str] = mapped_column(String(400), nullable=False, default="")  # file + sha256, address, host
    note: Mapped[str] = mapped_column(String(400), nullable=False, default="")


class Tracked:
    """Mixin: every write stamps ``seq`` (change feed) and the creating changeset."""

    seq: Mapped[int] = mapped_column(Id, nullable=False, index=True)
    created_cs: Mapped[int] = mapped_column(Id, ForeignKey("changeset.id"), nullable=False)
    if TYPE_CHECKING:  # every tracked table has an integer primary key ``id`` (declared by the table, not here)
        id: Mapped[int]


class OrgUnit(Tracked, Base):
    """An organisation unit's identity. Its name and parent over time are in ``org_version``."""

    __tablename__ = "org_unit"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), nullable=False, unique=True)
    level: Mapped[str] = mapped_column(String(16), nullable=False)
    unit_kind: Mapped[str | None] = mapped_column(String(16))  # for level 'unit': school, hospital...
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    retired_on: Mapped[dt.date | None] = mapped_column(Date)  # first day it no longer exists
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}


class OrgVersion(Tracked, Base):
    """Name, parent and urban-rural class of a unit from ``valid_from`` until its next version."""

    __tablename__ = "org_version"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False)
    valid_from: Mapped[dt.date] = mapped_column(Date, nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("org_unit.id"))
    urban_rural: Mapped[str | None] = mapped_column(String(3))
    __table_args__ = (Index("ix_org_version_unit_from", "unit_id", "valid_from", unique=True),)


class OrgSuccession(Tracked, Base):
    """On ``date`` the predecessor's people and records pass to the successor (merge, split, recode).

    ``is_primary`` marks the successor that takes anyone not explicitly moved elsewhere.
    """

    __tablename__ = "org_succession"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    predecessor_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False, index=True)
    successor_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False, index=True)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # merge | split | recode
    is_primary: Mapped[bool] = mapped_column(Boolean, nullable=False)


class Household(Tracked, Base):
    __tablename__ = "household"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)  # 户编号
    unit_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False, index=True)
    address: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    created_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_household_created_cs", "created_cs"),)  # the audit viewer: what a changeset created


class Person(Tracked, Base):
    """Who a person is. Where they live, their household and family come from events."""

    __tablename__ = "person"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    temp_key: Mapped[str | None] = mapped_column(String(32), unique=True)  # newborns without an ID number
    name: Mapped[str] = mapped_column(String(50), nullable=False, index=True)
    # toneless pinyin of the name and its initials (renkou.core.pinyin), for search; derived, kept by every writer
    name_pinyin: Mapped[str | None] = mapped_column(String(100), index=True)
    name_initials: Mapped[str | None] = mapped_column(String(20), index=True)
    sex: Mapped[str] = mapped_column(String(1), nullable=False)
    birth_date: Mapped[dt.date] = mapped_column(Date, nullable=False, index=True)
    ethnicity: Mapped[str] = mapped_column(String(2), nullable=False, default="01")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_person_created_cs", "created_cs"),  # the audit viewer: what a changeset created
        CheckConstraint("id_number IS NOT NULL OR temp_key IS NOT NULL", name="has_key"),
        CheckConstraint("sex IN ('M', 'F')", name="sex"),
    )


class Event(Tracked, Base):
    """A dated life event, append-only. A correction is a new event whose ``supersedes_id`` names the
    event it replaces; a ``retraction`` withdraws it. Only events nothing supersedes are in force."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    source: Mapped[str] = mapped_column(String(16), nullable=False)
    partner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("person.id"), index=True)
    mother_id: Mapped[int | None] = mapped_column(Id, ForeignKey("person.id"), index=True)
    father_id: Mapped[int | None] = mapped_column(Id, ForeignKey("person.id"), index=True)
    hukou_unit_id: Mapped[int | None] = mapped_column(Id, ForeignKey("org_unit.id"))
    residence_unit_id: Mapped[int | None] = mapped_column(Id, ForeignKey("org_unit.id"))
    work_unit_id: Mapped[int | None] = mapped_column(Id, ForeignKey("org_unit.id"))
    household_id: Mapped[int | None] = mapped_column(Id, ForeignKey("household.id"), index=True)
    relation: Mapped[str | None] = mapped_column(String(16))
    hukou_type: Mapped[str | None] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(10))  # move: residence | hukou | both
    origin_code: Mapped[str | None] = mapped_column(String(12))  # move from outside the county
    destination_code: Mapped[str | None] = mapped_column(String(12))  # move out of the county
    place: Mapped[str | None] = mapped_column(String(200))
    certificate_no: Mapped[str | None] = mapped_column(String(32))
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    supersedes_id: Mapped[int | None] = mapped_column(Id, ForeignKey("event.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(String(400))
    # Digest of the content (renkou.registry.events.fingerprint), compared among one person's events
    # (found through ix_event_person_kind_date): a random-keyed index of its own would slow bulk imports.
    fingerprint: Mapped[str] = mapped_column(String(32), nullable=False)
    __table_args__ = (
        Index("ix_event_person_kind_date", "person_id", "kind", "date"),
        Index("ix_event_kind_date", "kind", "date"),
        Index("ix_event_created_cs", "created_cs"),  # the audit viewer: what a changeset created
        CheckConstraint("grade IS NULL OR grade BETWEEN 1 AND 4", name="grade"),
    )


class AuditEntry(Base):
    """Before/after values of an update, or a reveal of masked data. Creations are audited by the
    row's own ``created_cs``. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    changeset_id: Mapped[int] = mapped_column(Id, ForeignKey("changeset.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)  # update | reveal
    table_name: Mapped[str] = mapped_column(String(32), nullable=False)
    row_id: Mapped[int] = mapped_column(Id, nullable=False)
    person_id: Mapped[int | None] = mapped_column(Id, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")


class ImportBatch(Base):
    """One imported file: its checksum (a file already imported is recognised) and what it did."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    changeset_id: Mapped[int] = mapped_column(Id, ForeignKey("changeset.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    file_name: Mapped[str] = mapped_column(String(260), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    rows: Mapped[int] = mapped_column(Integer, nullable=False)
    created: Mapped[int] = mapped_column(Integer, nullable=False)
    unchanged: Mapped[int] = mapped_column(Integer, nullable=False)


class Account(Tracked, Base):
    """A user: one role, bound to one organisation unit (what they may see is its subtree).

    The password hash and the TOTP secret never reach the audit trail (``__audit_redact__``): an
    update records that they changed, not their values."""

    __tablename__ = "account"
    __audit_redact__ = ("password_hash", "totp_secret")
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    display_name: Mapped[str] = mapped_column(String(50), nullable=False)
    role: Mapped[str] = mapped_column(String(24), nullable=False)
    unit_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, nullable=False)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    password_changed_at: Mapped[dt.datetime] = mapped_column(DateTime, nullable=False)  # UTC
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC; a session issued before it is ended
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # time step of the last one-time code accepted
    last_login_origin: Mapped[str | None] = mapped_column(String(64))  # address of the last successful sign-in
    # a password an administrator gave (a new account, a reset): its owner must change it before anything else
    password_must_change: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}


class ApiToken(Tracked, Base):
    """A token for a machine client, acting as its account (same role and scope). Only its SHA-256
    is stored; the token itself is shown once, when it is created."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    account_id: Mapped[int] = mapped_column(Id, ForeignKey("account.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}


# ------------------------------------------------------------------------------------------ benefits
# The annual cycle of the family-support programmes (renkou.benefits): applications and their steps,
# public postings and objections, recipients and their yearly confirmations, exits, payments. Money
# is `Money` (exact on every backend). Nothing here is ever deleted (triggers, migration 0006); the
# steps, bank results and exports are append-only.


CENT = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Yuan with two decimals, as `Decimal`: NUMERIC(12,2) on PostgreSQL; integer fen on SQLite, whose
    NUMERIC is a binary float. Floats are refused: money never passes through one."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(BigInteger() if dialect.name == "sqlite" else Numeric(12, 2))

    def process_bind_param(self, value: Decimal | int | str | float | None, dialect: Dialect) -> Decimal | int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money is Decimal, never float")
        d = Decimal(value).quantize(CENT)
        return int(d * 100) if dialect.name == "sqlite" else d

    def process_result_value(self, value: Any | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / 100).quantize(CENT) if dialect.name == "sqlite" else Decimal(value).quantize(CENT)


class BenefitPosting(Tracked, Base):
    """A public posting (公示) of a village's applications to one programme: from ``starts_on`` for
    ``days`` days; ``closed_on`` once ended (not before ``starts_on + days``)."""

    __tablename__ = "benefit_posting"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False, index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("days >= 1", name="days"),)


class BenefitApplication(Tracked, Base):
    """An application of one person (the beneficiary) to one programme for one year, with the facts
    attested at application (``attested``: fact key -> date attested) and the account to pay into.
    ``payee_id`` receives the money (a parent for a child's subsidy; else the beneficiary)."""

    __tablename__ = "benefit_application"
    __audit_redact__ = ("account_no",)  # a bank account is personal data: an update records that it changed
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False, index=True)
    payee_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False, index=True)
    applied_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    attested: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    account_no: Mapped[str] = mapped_column(String(40), nullable=False)
    bank: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    posting_id: Mapped[int | None] = mapped_column(Id, ForeignKey("benefit_posting.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_benefit_application_programme_year", "programme", "year", "status"),
        CheckConstraint(APPLICATION.check(), name="status"),
    )


class BenefitStep(Tracked, Base):
    """One step of an application's cycle, dated, by an account. Append-only; each step at most once
    per application (the database refuses a repeat)."""

    __tablename__ = "benefit_step"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(Id, ForeignKey("benefit_application.id"), nullable=False)
    step: Mapped[str] = mapped_column(String(16), nullable=False)
    done_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    account: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    __table_args__ = (UniqueConstraint("application_id", "step", name="uq_benefit_step_application_step"),)


class BenefitObjection(Tracked, Base):
    """An objection raised during a posting, and how it was resolved (upheld: the application is
    rejected; dismissed: it goes on)."""

    __tablename__ = "benefit_objection"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    application_id: Mapped[int] = mapped_column(Id, ForeignKey("benefit_application.id"), nullable=False, index=True)
    raised_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    objector: Mapped[str] = mapped_column(String(50), nullable=False, default="")
    content: Mapped[str] = mapped_column(Text, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(32), nullable=False)
    outcome: Mapped[str | None] = mapped_column(String(10))  # upheld | dismissed
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    resolved_by: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}


class BenefitRecipient(Tracked, Base):
    """A person receiving a programme from ``since`` (the county's confirmation) until ``ended_on``
    (a confirmed exit: nothing is payable for months after it)."""

    __tablename__ = "benefit_recipient"
    __audit_redact__ = ("account_no",)  # a bank account is personal data: an update records that it changed
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    payee_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    unit_id: Mapped[int] = mapped_column(Id, ForeignKey("org_unit.id"), nullable=False, index=True)
    application_id: Mapped[int] = mapped_column(Id, ForeignKey("benefit_application.id"), nullable=False)
    attested: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    account_no: Mapped[str] = mapped_column(String(40), nullable=False)
    bank: Mapped[str] = mapped_column(String(60), nullable=False, default="")
    since: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_benefit_recipient_programme_person", "programme", "person_id"),
        Index("ix_benefit_recipient_account_no", "account_no"),
        # one open recipient record per person and programme, whoever writes
        Index(
            "uq_benefit_recipient_open",
            "programme",
            "person_id",
            unique=True,
            sqlite_where=text("ended_on IS NULL"),
            postgresql_where=text("ended_on IS NULL"),
        ),
    )


class BenefitConfirmation(Tracked, Base):
    """A recipient confirmed for a year: by the application's county confirmation, or re-confirmed."""

    __tablename__ = "benefit_confirmation"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(Id, ForeignKey("benefit_recipient.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    confirmed_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    how: Mapped[str] = mapped_column(String(12), nullable=False)  # application | reconfirm
    account: Mapped[str] = mapped_column(String(32), nullable=False)
    __table_args__ = (UniqueConstraint("recipient_id", "year", name="uq_benefit_confirmation_recipient_year"),)


class BenefitExit(Tracked, Base):
    """A proposed exit (from a registry event or a failed re-confirmation) and the officer's decision.
    Moving away needs the receiving county's notice before it can be confirmed."""

    __tablename__ = "benefit_exit"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(Id, ForeignKey("benefit_recipient.id"), nullable=False, index=True)
    cause: Mapped[str] = mapped_column(String(16), nullable=False)
    effective_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    event_id: Mapped[int | None] = mapped_column(Id, ForeignKey("event.id"))
    detail: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    proposed_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # renkou.benefits.cycle.exit_workflow
    notice: Mapped[str | None] = mapped_column(String(200))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("recipient_id", "cause", "effective_on", name="uq_benefit_exit_recipient_cause_date"),
        CheckConstraint(EXIT.check(), name="status"),
    )


class BenefitCoverage(Tracked, Base):
    """One of the "three full coverages" of a special-assistance family: its liaison cadre, family
    doctor contract or priority medical channel, from ``since`` until ``until``."""

    __tablename__ = "benefit_coverage"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # liaison | doctor | channel
    detail: Mapped[str] = mapped_column(String(200), nullable=False)
    since: Mapped[dt.date] = mapped_column(Date, nullable=False)
    until: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint("kind IN ('liaison', 'doctor', 'channel')", name="kind"),)


class PaymentBatch(Tracked, Base):
    """Payments of one programme for a period (a year ``2025`` or a quarter ``2025Q1``), with the
    re-queued lines of earlier periods: draft (checked as often as needed) -> released -> settled."""

    __tablename__ = "payment_batch"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    period: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)
    created_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    checked_on: Mapped[dt.date | None] = mapped_column(Date)
    released_on: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (CheckConstraint(BATCH.check(), name="status"),)


class PaymentLine(Tracked, Base):
    """The money for one person, programme and period: one row ever (UNIQUE), whatever happens to it
    — a failed payment is re-queued into a later batch as the same row, never entered again."""

    __tablename__ = "payment_line"
    __audit_redact__ = ("account_no",)  # a bank account is personal data: an update records that it changed
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int | None] = mapped_column(Id, ForeignKey("payment_batch.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(Id, ForeignKey("benefit_recipient.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    period: Mapped[str] = mapped_column(String(8), nullable=False)
    months: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    basis: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    payee_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    account_no: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False)  # renkou.benefits.payments.line_workflow
    failure: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("person_id", "programme", "period", name="uq_payment_line_person_programme_period"),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(LINE.check(), name="status"),
        Index("ix_payment_line_created_cs", "created_cs"),
    )  # the audit viewer: what a changeset created


class PaymentMonth(Tracked, Base):
    """The months a payment line pays for: a month is paid once per person and programme, even if
    one batch pays a year and another a quarter of it."""

    __tablename__ = "payment_month"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    line_id: Mapped[int] = mapped_column(Id, ForeignKey("payment_line.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(Id, ForeignKey("person.id"), nullable=False)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    month: Mapped[dt.date] = mapped_column(Date, nullable=False)  # its first day
    __table_args__ = (
        UniqueConstraint("person_id", "programme", "month", name="uq_payment_month_person_programme_month"),
        Index("ix_payment_month_created_cs", "created_cs"),
    )  # the audit viewer: what a changeset created


class PaymentFinding(Tracked, Base):
    """What a check before release found about a line. The line is blocked until an officer clears
    the finding with a reason."""

    __tablename__ = "payment_finding"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    line_id: Mapped[int] = mapped_column(Id, ForeignKey("payment_line.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    detail: Mapped[str] = mapped_column(String(400), nullable=False)
    found_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    cleared_on: Mapped[dt.date | None] = mapped_column(Date)
    cleared_by: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (UniqueConstraint("line_id", "kind", name="uq_payment_finding_line_kind"),)


class PaymentExport(Tracked, Base):
    """One export of a released batch as a bank file (append-only): the same lines every time."""

    __tablename__ = "payment_export"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    batch_id: Mapped[int] = mapped_column(Id, ForeignKey("payment_batch.id"), nullable=False, index=True)
    file_name: Mapped[str] = mapped_column(String(260), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    lines: Mapped[int] = mapped_column(Integer, nullable=False)
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)


class PaymentResult(Tracked, Base):
    """The bank's answer for one line of one batch (append-only): paid, or failed with the reason."""

    __tablename__ = "payment_result"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    line_id: Mapped[int] = mapped_column(Id, ForeignKey("payment_line.id"), nullable=False, index=True)
    batch_id: Mapped[int] = mapped_column(Id, ForeignKey("payment_batch.id"), nullable=False)
    outcome: Mapped[str] = mapped_column(String(8), nullable=False)  # paid | failed
    reason: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    bank_ref: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    reported_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    __table_args__ = (UniqueConstraint("line_id", "batch_id", name="uq_payment_result_line_batch"),)
