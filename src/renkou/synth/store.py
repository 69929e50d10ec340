"""Put a generated county where it is used: import files (CSV or Parquet, the import templates'
columns) or straight into a registry database.

The database path writes the same rows an import of the files would (same fingerprints, so a later
import of those files finds them unchanged), but in bulk: the organisation through the registry's
own services (so renames and merges are real dated versions and successions), then households,
persons and events with COPY or executemany in one transaction. A database that already holds
people is refused; nothing is written then.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import func, select

from renkou.core import pinyin
from renkou.errors import UserError
from renkou.exchange import templates
from renkou.exchange.importer import PERSON_COLS
from renkou.registry import orgs
from renkou.registry.events import CONTENT
from renkou.storage.db import Actor, Database, allocate_seq, bulk_insert, changeset_of, deferred_indexes, reserve_ids
from renkou.storage.schema import Event, Household, OrgUnit, Person
from renkou.synth import build
from renkou.synth.build import County

SYNTH_ACTOR = Actor("synth", "system", "renkou synth")
Progress = Callable[[str, int, int], None]


# ------------------------------------------------------------------------------------------- files


def to_files(c: County, folder: Path, *, fmt: str = "csv") -> dict[str, Path]:
    """orgs, households, persons and events in the import templates' columns (CSV with the Chinese
    headers, UTF-8 with BOM; Parquet with the column keys), plus org_history (renames and merges,
    which `renkou synth --db` applies; the import templates have no such kind)."""
    if fmt not in ("csv", "parquet"):
        raise UserError(f"格式应为 csv 或 parquet，而不是 {fmt}", f"format must be csv or parquet, not {fmt}")
    folder.mkdir(parents=True, exist_ok=True)
    frames = {
        "orgs": build.org_rows(c),
        "households": build.household_rows(c),
        "persons": build.person_rows(c),
        "events": build.event_rows(c),
        "org_history": build.org_history_rows(c),
    }
    out = {}
    for kind, df in frames.items():
        path = folder / f"{kind}.{fmt}"
        if fmt == "parquet":
            df.write_parquet(path, compression="zstd", statistics=False)
        else:
            if kind in templates.KINDS:
                df = df.rename({col.key: col.zh for col in templates.columns(kind)})
            with path.open("wb") as f:
                f.write("\ufeff".encode())
                df.write_csv(f)
        out[kind] = path
    return out


# ---------------------------------------------------------------------------------------- database


def to_database(c: County, db: Database, *, progress: Progress | None = None, actor: Actor = SYNTH_ACTOR) -> dict[str, int]:
    """Write the county into an empty registry (migrated). One transaction: all or nothing."""
    with db.write(actor, note=f"synthetic county: {build.summary(c)['persons']} persons") as s:
        if s.scalar(select(func.count()).select_from(Person)) or s.scalar(select(func.count()).select_from(OrgUnit)):
            raise UserError(
                "数据库中已有数据；合成县只能写入空库（请使用新的数据库文件或地址）",
                "the database already holds data; a synthetic county is written only into an empty one (use a new database)",
            )
        unit_ids = _orgs(s, c)
        if progress:
            progress("database", 1, 4)
        cs = changeset_of(s).id
        with deferred_indexes(s, [Household.__table__, Person.__table__, Event.__table__]):
            hh_ids = _households(s, c, unit_ids, cs)
            if progress:
                progress("database", 2, 4)
            person_ids = _persons(s, c, cs)
            if progress:
                progress("database", 3, 4)
            n_events = _events(s, c, unit_ids, hh_ids, person_ids, cs)
        if progress:
            progress("database", 4, 4)
    summary = build.summary(c)
    summary["events"] = n_events
    return summary


def _orgs(s, c: County) -> np.ndarray:
    plan = c.pop.plan
    ids = np.zeros(len(plan.units), dtype=np.int64)
    for i, u in enumerate(plan.units):
        unit = orgs.create_unit(
            s,
            code=u.code,
            name=u.name,
            level=u.level,
            parent_code=plan.units[u.parent].code if u.parent >= 0 else None,
            valid_from=u.valid_from,
            urban_rural=u.urban_rural,
            unit_kind=u.unit_kind,
        )
        ids[i] = unit.id
    for u, name, date in plan.renames:
        orgs.rename(s, plan.units[u].code, name, date)
    for retired, into, date in plan.merges:
        orgs.merge(s, [plan.units[r].code for r in retired], plan.units[into].code, date)
        for r in retired:  # the retired village's groups now belong to the village it joined
            for g in plan.groups.get(r, []):
                orgs.reparent(s, plan.units[g].code, plan.units[into].code, date)
    return ids


def _households(s, c: County, unit_ids: np.ndarray, cs: int) -> np.ndarray:
    df = build.household_rows(c)
    n = df.height
    first = reserve_ids(s, "household", n)
    seq = allocate_seq(s.connection(), n)
    ids = np.arange(first, first + n, dtype=np.int64)
    rows = zip(
        ids.tolist(),
        df["number"].to_list(),
        unit_ids[c.pop.household_unit].tolist(),
        df["address"].to_list(),
        df["created_on"].to_list(),
        range(seq, seq + n),
        [cs] * n,
        [1] * n,
        strict=True,
    )
    bulk_insert(
        s, Household.__table__, ["id", "number", "unit_id", "address", "created_on", "seq", "created_cs", "version"], rows, iso_dates=True
    )
    return ids


def _persons(s, c: County, cs: int) -> np.ndarray:
    """Database id per person index (0 for people the registry does not hold)."""
    P = c.pop.people
    reg = np.flatnonzero(P.registered)
    n = len(reg)
    first = reserve_ids(s, "person", n)
    seq = allocate_seq(s.connection(), n)
    ids = np.zeros(P.n, dtype=np.int64)
    ids[reg] = np.arange(first, first + n)
    idn = c.id_number[reg]
    tk = c.temp_key[reg]
    birth = build.iso_dates(P.birth[reg])
    names = c.name[reg].tolist()
    keys = pinyin.keys_many(names)
    rows = zip(
        ids[reg].tolist(),
        [v or None for v in idn.tolist()],
        [v or None for v in tk.tolist()],
        names,
        [k[0] for k in keys],
        [k[1] for k in keys],
        np.where(P.sex[reg] == 0, "M", "F").tolist(),
        birth.to_list(),
        ["01"] * n,
        range(seq, seq + n),
        [cs] * n,
        [1] * n,
        strict=True,
    )
    bulk_insert(
        s,
        Person.__table__,
        PERSON_COLS,
        rows,
        iso_dates=True,
    )
    return ids


CHUNK = 200_000  # events turned into Python rows at a time: memory stays flat however big the county


def _events(s, c: County, unit_ids: np.ndarray, hh_ids: np.ndarray, person_ids: np.ndarray, cs: int) -> int:
    order = build.event_order(c, with_register=True)
    text = build.event_rows(c, with_register=True)
    n = len(order)
    first = reserve_ids(s, "event", n)
    seq = allocate_seq(s.connection(), n)
    for lo in range(0, n, CHUNK):
        hi = min(n, lo + CHUNK)
        rows = _event_chunk(c, order[lo:hi], text.slice(lo, hi - lo), unit_ids, hh_ids, person_ids)
        rows = [(first + lo + i, *r[:-1], seq + lo + i, cs, r[-1]) for i, r in enumerate(rows)]
        bulk_insert(s, Event.__table__, ["id", *CONTENT, "source", "seq", "created_cs", "fingerprint"], rows, iso_dates=True)
    return n


def _event_chunk(
    c: County, order: np.ndarray, text: pl.DataFrame, unit_ids: np.ndarray, hh_ids: np.ndarray, person_ids: np.ndarray
) -> list[tuple]:
    """(content columns..., source, fingerprint) per event, the fingerprint being the registry's own
    (renkou.registry.events.fingerprint) of the content."""
    ev = {k: v[order] for k, v in c.pop.events.items()}

    def ref(ids: np.ndarray, idx: np.ndarray) -> list:
        return [None if i < 0 else int(ids[i]) for i in idx.tolist()]

    def opt(col: str) -> list:
        return [v or None for v in text[col].to_list()]

    cols = {
        "kind": text["kind"].to_list(),
        "person_id": person_ids[ev["person"]].tolist(),
        "date": text["date"].to_list(),
        "partner_id": ref(person_ids, ev["partner"]),
        "mother_id": ref(person_ids, ev["mother"]),
        "father_id": ref(person_ids, ev["father"]),
        "hukou_unit_id": ref(unit_ids, ev["hukou"]),
        "residence_unit_id": ref(unit_ids, ev["residence"]),
        "work_unit_id": ref(unit_ids, ev["work"]),
        "household_id": ref(hh_ids, ev["household"]),
        "relation": opt("relation"),
        "hukou_type": opt("hukou_type"),
        "scope": opt("scope"),
        "origin_code": opt("origin_code"),
        "destination_code": opt("destination_code"),
        "place": opt("place"),
        "certificate_no": opt("certificate_no"),
        "grade": [int(g) if g else None for g in text["grade"].to_list()],
    }
    content = [cols[k] for k in CONTENT]
    blake = hashlib.blake2b
    out = []
    for vals, source in zip(zip(*content, strict=True), text["source"].to_list(), strict=True):
        fp = blake("\x1f".join("" if v is None else str(v) for v in vals).encode(), digest_size=16).hexdigest()
        out.append((*vals, source, fp))
    return out
