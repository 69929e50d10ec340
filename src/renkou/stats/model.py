"""The analytical layer: columnar copies of the registry, and the spells derived from them.

The registry (SQLite or PostgreSQL) stays the store of record. ``Model.load`` reads persons and the
events in force once into Polars frames; ``Model.refresh`` reads only the rows whose change-feed
number (``seq``) is above the last one seen, and re-derives the affected persons. Every statistic is
then a vectorised count over these columns (renkou.stats.engine), never a row-at-a-time query.

Derived frames, all keyed by internal person ids and raw unit ids (merges are applied at query time,
for the hierarchy the caller chooses). Dates are int32 days since 1970-01-01; ``OUT`` (0) is
"outside the county"; a spell's ``end`` is exclusive, so a person is counted on day D when
``start <= D < end`` — a birth on D counts at the end of D, a death on D does not (as in
renkou.registry.asof).

* ``spells``: one row per stretch of time with a constant hukou unit, residence unit and resident
  unit. The *resident* unit applies the resident-basis threshold (DOMAIN.md §4): someone away from
  the hukou place counts where they live once away for ``threshold_months``; until then at the
  hukou place. Babies and people on the first register count where they live at once.
* ``moves``: transitions between consecutive spells where a unit changed (and arrivals from
  outside); ``births`` with the birth order by both rules and the mother's age; ``deaths`` with the
  units of the last spell; ``unions`` (marriages and divorces, at the woman's unit, else the man's);
  ``married`` intervals (from a marriage to the divorce or either spouse's death);
  ``registrations`` (first spells started by a register entry rather than a birth or a move).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import polars as pl
from sqlalchemy import text
from sqlalchemy.orm import Session

FAR = 200_000  # 2517-07-30: "still open"
OUT = 0
MOTHER_AGE_UNKNOWN = 10  # renkou.stats.engine's first mother-age cell
STATE_KINDS = ("register", "birth", "move")


PERSON_SCHEMA = {"id": pl.Int64, "male": pl.Int8, "birth": pl.Int32}
EVENT_SCHEMA = {
    "id": pl.Int64,
    "kind": pl.Utf8,
    "person": pl.Int64,
    "date": pl.Int32,
    "partner": pl.Int64,
    "mother": pl.Int64,
    "father": pl.Int64,
    "hukou": pl.Int64,
    "residence": pl.Int64,
    "scope": pl.Utf8,
    "supersedes": pl.Int64,
}


def days_sql(dialect: str, col: str) -> str:
    if dialect == "sqlite":
        return f"CAST(julianday({col}) - 2440587.5 AS INTEGER)"
    return f"({col} - DATE '1970-01-01')"


def read_persons(session: Session, since: int, upto: int) -> pl.DataFrame:
    """Persons written in changes ``since`` < seq <= ``upto``."""
    d = session.get_bind().dialect.name
    sql = f"SELECT id, CASE WHEN sex = 'M' THEN 1 ELSE 0 END, {days_sql(d, 'birth_date')} FROM person WHERE seq > :a AND seq <= :b"
    return read_frame(session, sql, since, upto, PERSON_SCHEMA)


def read_events(session: Session, since: int, upto: int) -> pl.DataFrame:
    """Events written in changes ``since`` < seq <= ``upto``, retractions included (they withdraw).
    The upper bound matters: a change committed after the counter was read is left for the next
    refresh, never read twice."""
    d = session.get_bind().dialect.name
    sql = (
        f"SELECT id, kind, person_id, {days_sql(d, 'date')}, partner_id, mother_id, father_id, hukou_unit_id, "
        f"residence_unit_id, scope, supersedes_id FROM event WHERE seq > :a AND seq <= :b"
    )
    return read_frame(session, sql, since, upto, EVENT_SCHEMA)


def read_frame(session: Session, sql: str, a: int, b: int, schema: dict) -> pl.DataFrame:
    """The rows of ``sql`` (with parameters :a and :b: a change-feed window) as a Polars frame, read in chunks."""
    if session.get_bind().dialect.name == "sqlite":
        cur = session.connection().exec_driver_sql(sql.replace(":a", "?").replace(":b", "?"), (a, b))
    else:
        cur = session.connection().exec_driver_sql(sql.replace(":a", "%(a)s").replace(":b", "%(b)s"), {"a": a, "b": b})
    chunks = []
    while rows := cur.fetchmany(200_000):
        chunks.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=schema)


def in_force(events: pl.DataFrame) -> pl.DataFrame:
    """Drop events superseded by a correction or retraction, and the retractions themselves."""
    gone = events["supersedes"].drop_nulls()
    return events.filter(~pl.col("id").is_in(gone.implode()) & (pl.col("kind") != "retraction"))


# --- derivation -------------------------------------------------------------------------------------


def _ffill_within(col: str, by: str = "person") -> pl.Expr:
    """Forward fill ``col`` within runs of equal ``by`` on a frame sorted by ``by``."""
    src = pl.when(pl.col(col).is_not_null()).then(pl.col(by)).forward_fill()
    return pl.when(src == pl.col(by)).then(pl.col(col).forward_fill()).otherwise(None)


def derive_spells(events: pl.DataFrame, persons: pl.DataFrame, threshold_months: int) -> pl.DataFrame:
    """Spells of the persons in ``events`` (see the module docstring)."""
    sets_h = pl.col("kind").is_in(("register", "birth")) | ((pl.col("kind") == "move") & pl.col("scope").is_in(("hukou", "both")))
    sets_r = pl.col("kind").is_in(("register", "birth")) | ((pl.col("kind") == "move") & pl.col("scope").is_in(("residence", "both")))
    deaths = events.filter(pl.col("kind") == "death").group_by("person").agg(pl.col("date").min().alias("death"))
    s = (
        events.filter(pl.col("kind").is_in(STATE_KINDS))
        .select(
            "person",
            "date",
            "id",
            "kind",
            pl.when(sets_h).then(pl.col("hukou").fill_null(OUT)).alias("h"),
            pl.when(sets_r).then(pl.col("residence").fill_null(OUT)).alias("r"),
        )
        .sort("person", "date", "id")
    )
    if s.height == 0:
        return _empty_spells()
    s = s.with_columns(_ffill_within("h"), _ffill_within("r"), pl.col("kind").first().over("person").alias("first_kind"))
    s = s.with_columns(pl.col("h").fill_null(OUT), pl.col("r").fill_null(OUT))
    # several events on one day: the day's last state holds
    s = s.unique(subset=["person", "date"], keep="last", maintain_order=True)
    s = s.join(deaths, on="person", how="left").with_columns(pl.col("death").fill_null(FAR))
    nxt = pl.col("date").shift(-1)
    last = pl.col("person") != pl.col("person").shift(-1)
    s = s.with_columns(pl.when(last | nxt.is_null()).then(pl.col("death")).otherwise(pl.min_horizontal(nxt, pl.col("death"))).alias("end"))
    s = s.filter(pl.col("date") < pl.col("end"))
    # away from the hukou place: since when (runs of equal "away" within a person)
    first_row = pl.col("person") != pl.col("person").shift(1)
    s = s.with_columns((pl.col("r") != pl.col("h")).alias("away"), first_row.fill_null(True).alias("first"))
    s = s.with_columns(((pl.col("away") != pl.col("away").shift(1)) | pl.col("first")).fill_null(True).cum_sum().alias("run"))
    immediate = pl.col("first") & pl.col("kind").is_in(("birth", "register"))
    s = s.with_columns(pl.when(immediate).then(pl.lit(-FAR)).otherwise(pl.col("date")).first().over("run").alias("away_since"))
    cross = (
        pl.col("away_since").cast(pl.Date).dt.offset_by(f"{threshold_months}mo").cast(pl.Int32)
        if threshold_months
        else pl.col("away_since")
    )
    s = s.with_columns(pl.when(pl.col("away_since") <= -FAR + 1).then(pl.lit(-FAR)).otherwise(cross).alias("cross"))
    s = s.rename({"date": "start"}).select("person", "start", "end", "h", "r", "away", "cross", "first", "first_kind")
    whole = s.filter(~pl.col("away") | (pl.col("cross") <= pl.col("start")) | (pl.col("cross") >= pl.col("end")))
    whole = whole.with_columns(
        pl.when(pl.col("away") & (pl.col("cross") >= pl.col("end"))).then(pl.col("h")).otherwise(pl.col("r")).alias("res")
    )
    split = s.filter(pl.col("away") & (pl.col("cross") > pl.col("start")) & (pl.col("cross") < pl.col("end")))
    before = split.with_columns(pl.col("cross").alias("end"), pl.col("h").alias("res"))
    after = split.with_columns(pl.col("cross").alias("start"), pl.col("r").alias("res"), pl.lit(False).alias("first"))
    out = pl.concat([whole, before, after]).select(
        "person",
        pl.col("start").cast(pl.Int32),
        pl.col("end").cast(pl.Int32),
        pl.col("h").cast(pl.Int32),
        pl.col("res").cast(pl.Int32),
        pl.col("r").cast(pl.Int32).alias("residence"),
        "first",
        "first_kind",
    )
    out = out.sort("person", "start")
    return out.join(persons.select("id", "male", "birth"), left_on="person", right_on="id", how="left")


def _empty_spells() -> pl.DataFrame:
    return pl.DataFrame(
        schema={
            "person": pl.Int64,
            "start": pl.Int32,
            "end": pl.Int32,
            "h": pl.Int32,
            "res": pl.Int32,
            "residence": pl.Int32,
            "first": pl.Boolean,
            "first_kind": pl.Utf8,
            "male": pl.Int8,
            "birth": pl.Int32,
        }
    )


def derive_moves(spells: pl.DataFrame) -> pl.DataFrame:
    """Changes of unit between consecutive spells, and arrivals from outside (a first spell started by a move)."""
    prev_same = pl.col("person") == pl.col("person").shift(1)
    m = spells.with_columns(
        pl.when(prev_same).then(pl.col("h").shift(1)).when(pl.col("first_kind") == "move").then(pl.lit(OUT)).alias("h_from"),
        pl.when(prev_same).then(pl.col("res").shift(1)).when(pl.col("first_kind") == "move").then(pl.lit(OUT)).alias("res_from"),
    )
    m = m.filter(pl.col("h_from").is_not_null() & ((pl.col("h_from") != pl.col("h")) | (pl.col("res_from") != pl.col("res"))))
    return m.select(
        "person",
        pl.col("start").alias("date"),
        "male",
        "birth",
        pl.col("h_from").cast(pl.Int32),
        pl.col("h").alias("h_to"),
        pl.col("res_from").cast(pl.Int32),
        pl.col("res").alias("res_to"),
    )


def derive_deaths(events: pl.DataFrame, spells: pl.DataFrame, persons: pl.DataFrame) -> pl.DataFrame:
    d = (
        events.filter(pl.col("kind") == "death")
        .sort("date", "id")
        .unique(subset=["person"], keep="first", maintain_order=True)
        .select(pl.col("id").alias("event"), "person", "date")
    )
    last = (
        spells.filter(pl.col("end") < FAR)
        .sort("person", "start")
        .group_by("person")
        .agg(pl.col("end").last(), pl.col("h").last(), pl.col("res").last())
    )
    d = d.join(last, on="person", how="left").with_columns(
        pl.when(pl.col("end") == pl.col("date")).then(pl.col("h")).otherwise(pl.lit(OUT)).fill_null(OUT).cast(pl.Int32).alias("h"),
        pl.when(pl.col("end") == pl.col("date")).then(pl.col("res")).otherwise(pl.lit(OUT)).fill_null(OUT).cast(pl.Int32).alias("res"),
    )
    return d.join(persons, left_on="person", right_on="id", how="left").select("event", "person", "date", "male", "birth", "h", "res")


def derive_births(events: pl.DataFrame, persons: pl.DataFrame, deaths_of: pl.DataFrame, spells: pl.DataFrame) -> pl.DataFrame:
    """Birth events with the child's sex, the mother's age and the birth order by both rules
    (renkou.core.birthorder: earlier live-born children of the mother — or of the couple — who had
    not died by this birth, plus this one; ties on the birth date go by person id). The units are
    the child's first spell's, so that births and populations always agree."""
    b = (
        events.filter(pl.col("kind") == "birth")
        .select(pl.col("id").alias("event"), pl.col("person").alias("child"), "date", "mother", "father")
        .join(persons.select(pl.col("id").alias("child"), "male"), on="child", how="left")
    )
    b = _unit_at(b, "child", spells).rename({"child_h": "h", "child_res": "res"})
    b = b.join(persons.select(pl.col("id").alias("mother"), pl.col("birth").alias("mother_birth")), on="mother", how="left")
    sib = (
        b.filter(pl.col("mother").is_not_null())
        .select("mother", pl.col("child").alias("sib"), pl.col("date").alias("sib_date"), pl.col("father").alias("sib_father"))
        .join(deaths_of.rename({"person": "sib", "date": "sib_death"}), on="sib", how="left")
    )
    pairs = (
        b.select("child", "mother", "date", "father")
        .join(sib, on="mother")
        .filter(
            (pl.col("sib") != pl.col("child"))
            & ((pl.col("sib_date") < pl.col("date")) | ((pl.col("sib_date") == pl.col("date")) & (pl.col("sib") < pl.col("child"))))
            & (pl.col("sib_death").is_null() | (pl.col("sib_death") > pl.col("date")))
        )
    )
    orders = pairs.group_by("child").agg(
        pl.len().alias("om"), (pl.col("father").is_not_null() & (pl.col("sib_father") == pl.col("father"))).sum().alias("oc")
    )
    b = b.join(orders, on="child", how="left").with_columns(
        (pl.col("om").fill_null(0) + 1).cast(pl.Int16).alias("order_mother"),
        (pl.col("oc").fill_null(0) + 1).cast(pl.Int16).alias("order_couple"),
    )
    md = pl.col("mother_birth").cast(pl.Date)
    cd = pl.col("date").cast(pl.Date)
    # month and day are Int8 in Polars: widen before * 100, or December overflows
    md_of = lambda d: d.dt.month().cast(pl.Int32) * 100 + d.dt.day().cast(pl.Int32)  # noqa: E731
    age = cd.dt.year().cast(pl.Int32) - md.dt.year().cast(pl.Int32) - (md_of(cd) < md_of(md)).cast(pl.Int32)
    # a birth whose mother is not recorded has no age: the first cell of the age axis (10, outside 15-49), weight 0
    return b.with_columns(
        age.fill_null(MOTHER_AGE_UNKNOWN).alias("mother_age"),
        ((pl.col("date") - pl.col("mother_birth")) / 365.2425).fill_null(0.0).alias("mother_age_exact"),
    ).select(
        "event", "child", "date", "male", "mother", "father", "h", "res", "order_mother", "order_couple", "mother_age", "mother_age_exact"
    )


def _unit_at(frame: pl.DataFrame, who: str, spells: pl.DataFrame) -> pl.DataFrame:
    """Add ``{who}_h`` and ``{who}_res``: that person's units on the frame's ``date`` (OUT if none)."""
    sp = spells.select(pl.col("person").alias(who), pl.col("start").alias("date"), "end", "h", "res").sort("date")
    j = frame.sort("date").join_asof(sp, on="date", by=who, strategy="backward", check_sortedness=False)
    ok = pl.col("end").is_not_null() & (pl.col("date") < pl.col("end"))
    return j.with_columns(
        pl.when(ok).then(pl.col("h")).otherwise(pl.lit(OUT)).cast(pl.Int32).alias(f"{who}_h"),
        pl.when(ok).then(pl.col("res")).otherwise(pl.lit(OUT)).cast(pl.Int32).alias(f"{who}_res"),
    ).drop("end", "h", "res")


def derive_unions(events: pl.DataFrame, persons: pl.DataFrame, spells: pl.DataFrame) -> pl.DataFrame:
    """Marriages and divorces, each once, at the woman's unit on the day (the man's if hers is outside)."""
    u = (
        events.filter(pl.col("kind").is_in(("marriage", "divorce")) & pl.col("partner").is_not_null())
        .select(pl.col("id").alias("event"), "kind", "date", "person", "partner")
        .join(persons.select(pl.col("id").alias("person"), pl.col("male").alias("pm")), on="person", how="left")
    )
    u = u.with_columns(
        pl.when(pl.col("pm") == 1).then(pl.col("partner")).otherwise(pl.col("person")).alias("woman"),
        pl.when(pl.col("pm") == 1).then(pl.col("person")).otherwise(pl.col("partner")).alias("man"),
    )
    u = _unit_at(_unit_at(u, "woman", spells), "man", spells)
    return u.select(
        "event",
        "kind",
        "date",
        "woman",
        "man",
        pl.when(pl.col("woman_h") != OUT).then(pl.col("woman_h")).otherwise(pl.col("man_h")).alias("h"),
        pl.when(pl.col("woman_res") != OUT).then(pl.col("woman_res")).otherwise(pl.col("man_res")).alias("res"),
    ).sort("date", "event")


def derive_married(events: pl.DataFrame, deaths_of: pl.DataFrame) -> pl.DataFrame:
    """Married intervals [start, end) of every person: from the marriage to the couple's divorce, the
    death of either spouse, or the next marriage of either."""
    u = events.filter(pl.col("kind").is_in(("marriage", "divorce")) & pl.col("partner").is_not_null()).select(
        "id", "kind", "date", pl.min_horizontal("person", "partner").alias("a"), pl.max_horizontal("person", "partner").alias("b")
    )
    mar = u.filter(pl.col("kind") == "marriage").select(pl.col("id").alias("m"), pl.col("date").alias("start"), "a", "b")
    div = u.filter(pl.col("kind") == "divorce").select(pl.col("date").alias("div"), "a", "b")
    ends = mar.join(div, on=["a", "b"], how="left").filter(pl.col("div").is_null() | (pl.col("div") >= pl.col("start")))
    ends = ends.group_by("m").agg(pl.col("div").min())
    mar = mar.join(ends, on="m", how="left")
    for who in ("a", "b"):
        mar = mar.join(deaths_of.rename({"person": who, "date": f"d_{who}"}), on=who, how="left")
    both = pl.concat([mar.select(pl.col("a").alias("person"), "start", "m"), mar.select(pl.col("b").alias("person"), "start", "m")])
    nxt = (
        both.sort("person", "start", "m")
        .with_columns(pl.when(pl.col("person") == pl.col("person").shift(-1)).then(pl.col("start").shift(-1)).alias("next"))
        .group_by("m")
        .agg(pl.col("next").min())
    )
    mar = mar.join(nxt, on="m", how="left").with_columns(
        pl.min_horizontal(
            pl.col("div").fill_null(FAR), pl.col("d_a").fill_null(FAR), pl.col("d_b").fill_null(FAR), pl.col("next").fill_null(FAR)
        )
        .cast(pl.Int32)
        .alias("end")
    )
    out = pl.concat(
        [
            mar.select(pl.col("a").alias("person"), pl.col("b").alias("partner"), "start", "end"),
            mar.select(pl.col("b").alias("person"), pl.col("a").alias("partner"), "start", "end"),
        ]
    )
    return out.filter(pl.col("start") < pl.col("end")).with_columns(pl.col("start").cast(pl.Int32))


@dataclass
class Derived:
    spells: pl.DataFrame
    moves: pl.DataFrame
    births: pl.DataFrame
    deaths: pl.DataFrame
    unions: pl.DataFrame
    married: pl.DataFrame
    registrations: pl.DataFrame


def derive(events: pl.DataFrame, persons: pl.DataFrame, threshold_months: int) -> Derived:
    spells = derive_spells(events, persons, threshold_months)
    deaths_of = events.filter(pl.col("kind") == "death").group_by("person").agg(pl.col("date").min())
    regs = spells.filter(pl.col("first") & (pl.col("first_kind") == "register")).select(
        "person", pl.col("start").alias("date"), "male", "birth", "h", "res"
    )
    return Derived(
        spells=spells,
        moves=derive_moves(spells),
        births=derive_births(events, persons, deaths_of, spells),
        deaths=derive_deaths(events, spells, persons),
        unions=derive_unions(events, persons, spells),
        married=derive_married(events, deaths_of),
        registrations=regs,
    )


# --- the model: load, refresh ----------------------------------------------------------------------


@dataclass
class Model:
    """Columnar copies of persons and events in force, the derived frames, and the last change seen."""

    persons: pl.DataFrame
    events: pl.DataFrame
    derived: Derived
    seq: int
    threshold_months: int
    arrays: dict = field(default_factory=dict)  # numpy views, made on first use after each refresh

    @classmethod
    def load(cls, session: Session, *, threshold_months: int = 3) -> Model:
        seq = _current_seq(session)
        persons = read_persons(session, 0, seq)
        events = in_force(read_events(session, 0, seq))
        return cls(persons, events, derive(events, persons, threshold_months), seq, threshold_months)

    def refresh(self, session: Session) -> int:
        """Bring the copies up to the registry's last change; returns the number of changed rows."""
        seq = _current_seq(session)
        if seq == self.seq:
            return 0
        new_p = read_persons(session, self.seq, seq)
        new_e = read_events(session, self.seq, seq)
        self.seq = seq
        if new_p.height == 0 and new_e.height == 0:
            return 0
        withdrawn = new_e["supersedes"].drop_nulls()
        gone = self.events.filter(pl.col("id").is_in(withdrawn.implode()))
        touched = pl.concat([new_p["id"], new_e["person"], gone["person"]]).unique()
        self.persons = pl.concat([self.persons.filter(~pl.col("id").is_in(new_p["id"].implode())), new_p])
        gone_ids = pl.concat([withdrawn, new_e["id"]]).implode()  # an id read again is replaced, never doubled
        self.events = pl.concat([self.events.filter(~pl.col("id").is_in(gone_ids)), in_force(new_e)])
        self.rederive(touched)
        return new_p.height + new_e.height

    def rederive(self, touched: pl.Series) -> None:
        """Re-derive the frames of ``touched`` persons and of everyone whose figures depend on them
        (spouses, parents: a death changes a widow's status and the birth order of later siblings)."""
        ev = self.events
        related = ev.filter(pl.col("person").is_in(touched.implode()))
        affected = pl.concat(
            [
                touched,
                related["partner"].drop_nulls(),
                related["mother"].drop_nulls(),
                related["father"].drop_nulls(),
                ev.filter(pl.col("partner").is_in(touched.implode()))["person"],
            ]
        ).unique()
        aff = affected.implode()
        # everyone whose events are needed to re-derive them: their partners, their children
        core = ev.filter(pl.col("person").is_in(aff) | pl.col("mother").is_in(aff) | pl.col("partner").is_in(aff))
        extra = pl.concat([affected, core["person"], core["partner"].drop_nulls()]).unique().implode()
        sub = ev.filter(pl.col("person").is_in(extra) | pl.col("partner").is_in(extra) | pl.col("mother").is_in(aff))
        new = derive(sub, self.persons, self.threshold_months)
        d = self.derived

        def splice(old: pl.DataFrame, fresh: pl.DataFrame, *keys: str) -> pl.DataFrame:
            cond = pl.lit(False)
            for k in keys:
                cond = cond | pl.col(k).is_in(aff)
            return pl.concat([old.filter(~cond), fresh.filter(cond)], how="vertical_relaxed")

        self.derived = Derived(
            spells=splice(d.spells, new.spells, "person"),
            moves=splice(d.moves, new.moves, "person"),
            births=splice(d.births, new.births, "mother", "child"),
            deaths=splice(d.deaths, new.deaths, "person"),
            unions=splice(d.unions, new.unions, "woman", "man"),
            married=splice(d.married, new.married, "person"),
            registrations=splice(d.registrations, new.registrations, "person"),
        )
        self.arrays.clear()

    def layout(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Spells as column arrays in two parts: open ones sorted by start (those in force on a day
        are a prefix) and closed ones sorted by end (a suffix, then filtered by start)."""
        lay = self.arrays.get("layout")
        if lay is None:
            with _LAYOUT_LOCK:
                return self._build_layout()
        return lay

    def _build_layout(self) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        lay = self.arrays.get("layout")
        if lay is None:
            sp = self.derived.spells
            by = sp["birth"].cast(pl.Date)
            sp = sp.with_columns(
                by.dt.year().cast(pl.Int32).alias("by"), (by.dt.month().cast(pl.Int32) * 100 + by.dt.day().cast(pl.Int32)).alias("bmd")
            )
            cols = ("person", "start", "end", "h", "res", "residence", "male", "by", "bmd")
            opened = sp.filter(pl.col("end") >= FAR).sort("start")
            closed = sp.filter(pl.col("end") < FAR).sort("end")
            lay = self.arrays["layout"] = ({c: opened[c].to_numpy() for c in cols}, {c: closed[c].to_numpy() for c in cols})
        return lay

    def live_spells(self, d: int) -> list[dict[str, np.ndarray]]:
        """The spells in force at the end of day ``d``, as column arrays (see ``layout``)."""
        opened, closed = self.layout()
        k = int(np.searchsorted(opened["start"], d, side="right"))
        j = int(np.searchsorted(closed["end"], d, side="right"))
        tail = {c: a[j:] for c, a in closed.items()}
        keep = tail["start"] <= d
        return [{c: a[:k] for c, a in opened.items()}, {c: a[keep] for c, a in tail.items()}]

    def array(self, frame: str, column: str) -> np.ndarray:
        key = (frame, column)
        if key not in self.arrays:
            self.arrays[key] = getattr(self.derived, frame)[column].to_numpy()
        return self.arrays[key]


_LAYOUT_LOCK = threading.Lock()


def _current_seq(session: Session) -> int:
    return int(session.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar_one())
