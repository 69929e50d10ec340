"""The family-facts table: one row per potential beneficiary on a date, with every fact a condition
needs and the record each fact comes from, built column-wise from the statistics model.

``Sources.of(model, details)`` rearranges the model's frames once per registry change (who set the
hukou unit and type when, deaths, disability certificates, parent-child links from births and
adoptions, married intervals with their marriage event). ``parents`` and ``children`` then build the
table for a date ``d`` (int days since 1970-01-01, facts as at the end of that day, as in
renkou.registry.asof): for everyone (``ids=None``) or for the persons in ``ids`` — the same code, as
one lazy Polars query the caller collects.

Columns of a row (``s_`` = the spouse's; ``child_*`` describe the only child when ``ever`` is 1):

* person, male, birth, death, death_event — the beneficiary;
* h, hukou_event, hukou_kind, hukou_date — the hukou unit (raw id; 0 = outside the county) and the
  event that set it; htype, htype_event, htype_kind, htype_date — the hukou type and its event;
  unit_class (1 urban, 2 rural, 0 unknown: the unit's urban-rural code), area (1 urban, 2 rural,
  null: from the hukou type, a unified 'resident' hukou by the unit), rural (agricultural hukou, or
  'resident' in a rural unit);
* spouse, marriage_event, marriage_date, s_birth, s_male, s_h, s_hukou_event, s_hukou_kind,
  s_hukou_date, s_htype, s_htype_event, s_htype_kind, s_htype_date, s_rural; wife, wife_birth (the
  wife of a couple, else the person: a single parent);
* parents: ever, living, sons, daughters (living), died; when ``ever`` is 1, the only child: child,
  child_birth, child_event, child_adopted, child_death, child_death_event, child_grade,
  child_grade_event, child_grade_date (``child_links`` gives every link, for the records);
* children: birth_event, mother, father.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from renkou.stats.model import OUT, Model

URBAN, RURAL = 1, 2


@dataclass
class Sources:
    persons: pl.DataFrame  # person, male, birth
    deaths: pl.DataFrame  # person, death, death_event
    hukou: pl.DataFrame  # person, date, event, kind, h
    htype: pl.DataFrame  # person, date, event, kind, htype
    grades: pl.DataFrame  # person, date, event, grade
    links: pl.DataFrame  # parent, child, date, event, adopted, male, child_birth
    married: pl.DataFrame  # person, spouse, start, end, marriage_event
    births: pl.DataFrame  # person, birth_event, mother, father

    @classmethod
    def of(cls, model: Model, details: pl.DataFrame) -> Sources:
        """``details``: the in-force rows of renkou.benefits.eligibility.details (hukou types, grades)."""
        ev = model.events
        persons = model.persons.select(pl.col("id").alias("person"), "male", "birth")
        deaths = model.derived.deaths.select("person", pl.col("date").alias("death"), pl.col("event").alias("death_event"))
        sets_h = pl.col("kind").is_in(("register", "birth")) | ((pl.col("kind") == "move") & pl.col("scope").is_in(("hukou", "both")))
        hukou = ev.filter(sets_h).select(
            "person", "date", pl.col("id").alias("event"), "kind", pl.col("hukou").fill_null(OUT).cast(pl.Int64).alias("h")
        )
        htype = details.filter(pl.col("htype").is_not_null()).select("person", "date", pl.col("id").alias("event"), "kind", "htype")
        grades = details.filter((pl.col("kind") == "disability") & pl.col("grade").is_not_null()).select(
            "person", "date", pl.col("id").alias("event"), "grade"
        )
        b = ev.filter(pl.col("kind").is_in(("birth", "adoption"))).select(
            pl.col("person").alias("child"),
            "date",
            pl.col("id").alias("event"),
            (pl.col("kind") == "adoption").alias("adopted"),
            "mother",
            "father",
        )
        links = (
            pl.concat(
                [
                    b.select(pl.col("mother").alias("parent"), "child", "date", "event", "adopted"),
                    b.select(pl.col("father").alias("parent"), "child", "date", "event", "adopted"),
                ]
            )
            .filter(pl.col("parent").is_not_null())
            .sort("parent", "child", "adopted", "event")
            .unique(subset=["parent", "child"], keep="first", maintain_order=True)
            .join(persons.select(pl.col("person").alias("child"), "male", pl.col("birth").alias("child_birth")), on="child", how="left")
            .sort("parent", "date", "event")
        )
        pair = [pl.min_horizontal("person", "partner").alias("a"), pl.max_horizontal("person", "partner").alias("b")]
        mev = (
            ev.filter((pl.col("kind") == "marriage") & pl.col("partner").is_not_null())
            .select(*pair, pl.col("date").alias("start"), "id")
            .group_by("a", "b", "start")
            .agg(pl.col("id").min().alias("marriage_event"))
        )
        married = (
            model.derived.married.select("person", pl.col("partner").alias("spouse"), "start", "end", *pair)
            .join(mev, on=["a", "b", "start"], how="left")
            .drop("a", "b")
        )
        births = (
            ev.filter(pl.col("kind") == "birth")
            .sort("id")
            .unique(subset=["person"], keep="first")
            .select("person", pl.col("id").alias("birth_event"), "mother", "father")
        )
        return cls(
            persons,
            deaths,
            hukou.sort("person", "date", "event"),
            htype.sort("person", "date", "event"),
            grades.sort("person", "date", "event"),
            links,
            married,
            births,
        )


def _last(frame: pl.DataFrame, ids: pl.Series | None, d: int, cols: list[str]) -> pl.LazyFrame:
    """Per person, the columns of the latest row on or before day ``d`` (the frames are sorted by
    person, date and event id, and both the filters and ``unique`` keep that order)."""
    f = frame.lazy().filter(pl.col("date") <= d)
    if ids is not None:
        f = f.filter(pl.col("person").is_in(ids.implode()))
    return f.unique(subset=["person"], keep="last", maintain_order=True).select("person", *cols)


def class_frame(unit_class: np.ndarray) -> pl.LazyFrame:
    """raw unit id -> unit_class (1 urban, 2 rural), for the units with a known class."""
    ids = np.flatnonzero(unit_class > 0)
    return pl.LazyFrame({"h": ids.astype(np.int64), "unit_class": unit_class[ids].astype(np.int8)})


def state(src: Sources, rows: pl.LazyFrame, ids: pl.Series | None, d: int, classes: pl.LazyFrame) -> pl.LazyFrame:
    """``rows`` (a frame with a ``person`` column) with the person facts on day ``d``. ``ids``: the
    persons ``rows`` may hold (None: anyone); ``classes``: the urban-rural class of each raw unit id."""
    h = _last(src.hukou, ids, d, ["h", "event", "kind", "date"]).rename(
        {"event": "hukou_event", "kind": "hukou_kind", "date": "hukou_date"}
    )
    t = _last(src.htype, ids, d, ["htype", "event", "kind", "date"]).rename(
        {"event": "htype_event", "kind": "htype_kind", "date": "htype_date"}
    )
    s = (
        rows.join(src.persons.lazy(), on="person", how="left")
        .join(src.deaths.lazy(), on="person", how="left")
        .join(h, on="person", how="left")
        .join(t, on="person", how="left")
        .join(classes, on="h", how="left")
    )
    ht, uc = pl.col("htype"), pl.col("unit_class").fill_null(0)
    return s.with_columns(
        uc.alias("unit_class"),
        pl.when(ht == "non_agricultural")
        .then(URBAN)
        .when(ht == "agricultural")
        .then(RURAL)
        .when(uc > 0)
        .then(uc)
        .otherwise(None)
        .cast(pl.Int8)
        .alias("area"),
        ((ht == "agricultural") | ((ht == "resident") & (uc == RURAL))).fill_null(False).alias("rural"),
    )


def spouses(src: Sources, ids: pl.Series | None, d: int) -> pl.LazyFrame:
    """person -> spouse, marriage_event, marriage_date on day ``d`` (the latest marriage if records overlap)."""
    m = src.married.lazy().filter((pl.col("start") <= d) & (pl.col("end") > d))
    if ids is not None:
        m = m.filter(pl.col("person").is_in(ids.implode()))
    return (
        m.sort("person", "start")
        .unique(subset=["person"], keep="last", maintain_order=True)
        .select("person", "spouse", "marriage_event", pl.col("start").alias("marriage_date"))
    )


S_COLS = ["birth", "male", "h", "hukou_event", "hukou_kind", "hukou_date", "htype", "htype_event", "htype_kind", "htype_date", "rural"]
ONLY = (
    ("child", "child"),
    ("child_birth", "child_birth"),
    ("event", "child_event"),
    ("adopted", "child_adopted"),
    ("child_death", "child_death"),
    ("child_death_event", "child_death_event"),
    ("child_grade", "child_grade"),
    ("child_grade_event", "child_grade_event"),
    ("child_grade_date", "child_grade_date"),
)


def parents(src: Sources, ids: pl.Series | None, d: int, classes: pl.LazyFrame, *, adopted: str = "count") -> pl.LazyFrame:
    """The facts of each parent on day ``d``: everyone linked to a child by then (``ids`` None), or ``ids``."""
    links = child_links(src, ids, d, adopted)
    rows = links.select(pl.col("parent").alias("person")).unique() if ids is None else pl.LazyFrame({"person": ids})
    sp = spouses(src, ids, d)
    everyone = None
    if ids is not None:  # the persons and their spouses: the only ones whose records are read
        found = sp.collect()
        sp, everyone = found.lazy(), pl.concat([ids, found["spouse"]]).unique()
    rows = rows.join(sp, on="person", how="left")
    st = state(
        src, pl.LazyFrame({"person": everyone}) if everyone is not None else src.persons.lazy().select("person"), everyone, d, classes
    )
    rows = rows.join(st, on="person", how="left")
    rows = rows.join(st.select(pl.col("person").alias("spouse"), *(pl.col(c).alias(f"s_{c}") for c in S_COLS)), on="spouse", how="left")
    couple = (pl.col("male") == 1) & pl.col("spouse").is_not_null()
    rows = rows.with_columns(
        pl.when(couple).then(pl.col("spouse")).otherwise(pl.col("person")).alias("wife"),
        pl.when(couple).then(pl.col("s_birth")).otherwise(pl.col("birth")).alias("wife_birth"),
    )
    g = _last(src.grades, None, d, ["grade", "event", "date"]).rename(
        {"person": "child", "grade": "child_grade", "event": "child_grade_event", "date": "child_grade_date"}
    )
    kids = (
        links.join(
            src.deaths.lazy().rename({"person": "child", "death": "child_death", "death_event": "child_death_event"}),
            on="child",
            how="left",
        )
        .join(g, on="child", how="left")
        .with_columns((pl.col("child_death").is_not_null() & (pl.col("child_death") <= d)).alias("dead"))
    )
    one = pl.len() == 1
    agg = kids.group_by("parent").agg(
        pl.len().cast(pl.Int32).alias("ever"),
        (~pl.col("dead")).sum().cast(pl.Int32).alias("living"),
        (~pl.col("dead") & (pl.col("male") == 1)).sum().cast(pl.Int32).alias("sons"),
        (~pl.col("dead") & (pl.col("male") == 0)).sum().cast(pl.Int32).alias("daughters"),
        *(pl.when(one).then(pl.col(c).first()).alias(a) for c, a in ONLY),
    )  # the only child (none when several)
    rows = rows.join(agg.rename({"parent": "person"}), on="person", how="left")
    counts = [pl.col(c).fill_null(0) for c in ("ever", "living", "sons", "daughters")]
    return rows.with_columns(*counts).with_columns((pl.col("ever") - pl.col("living")).alias("died"))


def child_links(src: Sources, ids: pl.Series | None, d: int, adopted: str = "count") -> pl.LazyFrame:
    """The parent-child links counted on day ``d`` (of the parents ``ids``, or all)."""
    links = src.links.lazy().filter(pl.col("date") <= d)
    if adopted == "ignore":
        links = links.filter(~pl.col("adopted"))
    if ids is not None:
        links = links.filter(pl.col("parent").is_in(ids.implode()))
    return links


def links_by_parent(src: Sources, ids: pl.Series, d: int, adopted: str = "count") -> dict[int, list[dict]]:
    """Each parent's counted links on day ``d`` as records: event, child, date, adopted, male, dead."""
    out: dict[int, list[dict]] = {}
    if ids.len() == 0:
        return out
    lk = (
        child_links(src, ids, d, adopted)
        .join(src.deaths.lazy().select(pl.col("person").alias("child"), "death"), on="child", how="left")
        .with_columns((pl.col("death").is_not_null() & (pl.col("death") <= d)).alias("dead"))
        .select("parent", "event", "child", "date", "adopted", "male", "dead")
        .sort("parent", "date", "event")
        .collect()
    )
    for r in lk.iter_rows(named=True):
        out.setdefault(r["parent"], []).append(r)
    return out


def children(src: Sources, ids: pl.Series | None, d: int, classes: pl.LazyFrame, universe: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """The facts of each child on day ``d``: of ``ids``, or of everyone in ``universe``."""
    rows = pl.LazyFrame({"person": ids}) if ids is not None else universe.select("person")
    return state(src, rows, ids, d, classes).join(src.births.lazy(), on="person", how="left")
