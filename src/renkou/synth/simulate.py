"""The microsimulation: a county's people lived year by year from ``start_year`` to ``end_year``.

Everything is vectorised over numpy arrays of persons; each year decides, in this order, deaths,
marriages, births, divorces, moves (young adults leaving for the cities and coming back, students'
hukou leaving, rural people settling in the county town, floating in-migrants arriving and leaving),
adoptions, disability certificates and work units. A person takes part in at most one of these per
year besides births, so that every person's events are in a consistent order. Every change is
written to an event log in the registry's own terms (kind, person, date, units, household...).

The output is columnar (`Population`): turning it into names, ID numbers, import files or database
rows is `renkou.synth.build`'s work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from renkou.core.dates import day
from renkou.synth import demography as dem
from renkou.synth.county import WORK_UNITS, OrgPlan

NEVER = np.iinfo(np.int32).max
KINDS = (
    "register",
    "birth",
    "death",
    "marriage",
    "divorce",
    "adoption",
    "move",
    "household",
    "hukou_type",
    "work_join",
    "work_leave",
    "disability",
)
K = {k: i for i, k in enumerate(KINDS)}
RELATIONS = ("head", "spouse", "child", "child_in_law", "grandchild", "parent", "parent_in_law", "grandparent", "sibling", "other")
R = {k: i for i, k in enumerate(RELATIONS)}
HUKOU_TYPES = ("agricultural", "non_agricultural", "resident")
SCOPES = ("residence", "hukou", "both")
SOURCES = ("village", "hospital", "police", "civil_affairs", "import")
S = {k: i for i, k in enumerate(SOURCES)}
# Where people go and where in-migrants come from (real GB/T 2260 county codes of cities and of
# counties that send migrants).
DESTINATIONS = ("440305", "440106", "310115", "110105", "330106", "320506", "410105", "410102", "441900", "350203")
ORIGINS = ("411421", "412828", "341221", "511621", "522422", "430523", "411723", "410329", "411624", "410927", "130425", "372930")
EXTERNAL = DESTINATIONS + ORIGINS  # origin and destination columns index this list
PLACES = ("家中", "医院", "卫生院", "途中")  # birth or death place kinds; hospital names are chosen at output


@dataclass
class Params:
    persons: int
    seed: int
    start_year: int = 1950
    end_year: int = 2025


class EventLog:
    """Columns of events, appended a year and a kind at a time."""

    COLS = {
        "kind": np.int8,
        "person": np.int32,
        "date": np.int32,
        "partner": np.int32,
        "mother": np.int32,
        "father": np.int32,
        "hukou": np.int32,
        "residence": np.int32,
        "work": np.int32,
        "household": np.int32,
        "relation": np.int8,
        "hukou_type": np.int8,
        "scope": np.int8,
        "origin": np.int16,
        "destination": np.int16,
        "place": np.int16,
        "grade": np.int8,
        "source": np.int8,
    }

    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in self.COLS}

    def add(self, kind: str, person: np.ndarray, date: np.ndarray, **cols: np.ndarray | int) -> None:
        n = len(person)
        if n == 0:
            return
        given = {"kind": K[kind], "person": person, "date": date} | cols
        for c, dtype in self.COLS.items():
            v = given.get(c, -1)
            self.parts[c].append(np.full(n, v, dtype=dtype) if np.isscalar(v) else np.asarray(v, dtype=dtype))

    def columns(self) -> dict[str, np.ndarray]:
        return {c: (np.concatenate(p) if p else np.zeros(0, dtype=self.COLS[c])) for c, p in self.parts.items()}


class People:
    """Per-person state arrays, grown as people are born or arrive."""

    FIELDS = {
        "sex": (np.int8, 0),
        "birth": (np.int32, 0),
        "death": (np.int32, NEVER),
        "hukou": (np.int32, -1),
        "res": (np.int32, -1),
        "hh": (np.int32, -1),
        "rel": (np.int8, -1),
        "marital": (np.int8, 0),
        "spouse": (np.int32, -1),
        "kids": (np.int16, 0),
        "births": (np.int16, 0),
        "last_birth": (np.int16, 0),
        "married_year": (np.int16, 0),
        "mother": (np.int32, -1),
        "father": (np.int32, -1),
        "htype": (np.int8, 0),
        "work": (np.int32, -1),
        "disabled": (np.int8, 0),
        "registered": (np.bool_, True),
        "tracked": (np.bool_, True),
        "born_alive": (np.int16, 0),
        "origin": (np.int16, -1),
        "away_to": (np.int16, -1),
        "surname_of": (np.int32, -1),
        "busy": (np.int16, 0),
    }

    def __init__(self, capacity: int) -> None:
        self.n = 0
        for f, (dtype, fill) in self.FIELDS.items():
            setattr(self, f, np.full(capacity, fill, dtype=dtype))

    def add(self, count: int, **values: np.ndarray | int) -> np.ndarray:
        """Append ``count`` persons; returns their indexes."""
        need = self.n + count
        cap = len(self.sex)
        if need > cap:
            new_cap = max(need, int(cap * 1.5))
            for f, (dtype, fill) in self.FIELDS.items():
                old = getattr(self, f)
                arr = np.full(new_cap, fill, dtype=dtype)
                arr[:cap] = old
                setattr(self, f, arr)
        idx = np.arange(self.n, need, dtype=np.int32)
        for f, v in values.items():
            getattr(self, f)[idx] = v
        self.n = need
        return idx

    def trim(self) -> None:
        for f in self.FIELDS:
            setattr(self, f, getattr(self, f)[: self.n].copy())


@dataclass
class Households:
    unit: list[np.ndarray] = field(default_factory=list)
    created: list[np.ndarray] = field(default_factory=list)
    n: int = 0

    def add(self, units: np.ndarray, created: np.ndarray) -> np.ndarray:
        k = len(units)
        self.unit.append(np.asarray(units, dtype=np.int32))
        self.created.append(np.broadcast_to(np.asarray(created, dtype=np.int32), (k,)).copy())
        idx = np.arange(self.n, self.n + k, dtype=np.int32)
        self.n += k
        return idx

    def columns(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.concatenate(self.unit) if self.unit else np.zeros(0, np.int32),
            np.concatenate(self.created) if self.created else np.zeros(0, np.int32),
        )


@dataclass
class Population:
    """What the simulation produced: persons, households and events, all as arrays."""

    params: Params
    plan: OrgPlan
    people: People
    household_unit: np.ndarray
    household_created: np.ndarray
    events: dict[str, np.ndarray]
    end_day: int


def _weighted_pick(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Positions of ``k`` items drawn without replacement with probability proportional to weight
    (Efraimidis-Spirakis keys)."""
    pos = np.flatnonzero(weights > 0)
    k = min(k, len(pos))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    keys = np.log(rng.random(len(pos))) / weights[pos]
    top = np.argpartition(-keys, k - 1)[:k]
    return np.sort(pos[top])


def _spread(total: float, weights: np.ndarray, cap: float) -> np.ndarray:
    """Probabilities proportional to ``weights`` that sum to ``total``, none above ``cap``: what
    the capped ones cannot take goes to the others (a few rounds)."""
    p = np.zeros(len(weights))
    free = weights > 0
    remaining = total
    for _ in range(8):
        if remaining <= 1e-9 or not free.any():
            break
        share = remaining * weights[free] / weights[free].sum()
        p[free] += share
        over = p > cap
        remaining = float((p[over] - cap).sum())
        p[over] = cap
        free &= ~over
    return p


class Simulation:
    def __init__(self, params: Params, plan: OrgPlan, rng: np.random.Generator) -> None:
        self.p = params
        self.plan = plan
        self.rng = rng
        self.log = EventLog()
        self.hh = Households()
        self.people = People(int(params.persons * 1.15) + 1000)
        units = plan.units
        self.villages = plan.villages
        self.urban = np.array([u.urban for u in units], dtype=bool)
        self.successor = np.arange(len(units), dtype=np.int32)  # a merged village's people pass to its successor
        self.group_lists = {v: np.array(g, dtype=np.int32) for v, g in plan.groups.items()}
        self.town_of = plan.township_of
        self.hospital_units = [i for i in plan.work_units if units[i].unit_kind == "hospital"]

    # ------------------------------------------------------------------------------------ helpers

    def _dates(self, y: int, n: int) -> np.ndarray:
        d0 = day(dt.date(y, 1, 1))
        return d0 + self.rng.integers(0, day(dt.date(y + 1, 1, 1)) - d0, size=n).astype(np.int32)

    def _new_households(self, villages: np.ndarray, created: np.ndarray) -> np.ndarray:
        """Households in the given villages (rural ones in one of the village's groups)."""
        units = villages.astype(np.int32).copy()
        for v in np.unique(villages):
            g = self.group_lists.get(int(v))
            if g is not None:
                sel = np.flatnonzero(villages == v)
                units[sel] = g[self.rng.integers(0, len(g), size=len(sel))]
        return self.hh.add(units, created)

    def _village_weights(self, urban_only: bool = False) -> np.ndarray:
        w = np.array([self.plan.units[v].weight for v in self.villages])
        alive = self.successor[self.villages] == self.villages
        w = w * alive
        if urban_only:
            w = w * self.urban[self.villages]
        return w / w.sum()

    def _pick_villages(self, n: int, urban_only: bool = False) -> np.ndarray:
        return self.villages[self.rng.choice(len(self.villages), size=n, p=self._village_weights(urban_only))]

    # ------------------------------------------------------------------------------------ start

    def initial(self, n0: int) -> None:
        """The population on 1 January of the start year, as families: married couples with their
        surviving children, widows and widowers, and men who never married."""
        rng, P = self.rng, self.people
        y0 = self.p.start_year
        d0 = day(dt.date(y0, 1, 1))
        q = dem.death_probabilities(y0)
        lx = np.cumprod(np.r_[1.0, 1 - q.mean(axis=0)[:-1]])
        ages = np.arange(dem.MAX_AGE + 1)
        stable = lx * np.exp(-0.012 * ages)  # a growing population's age structure
        adult = stable * (ages >= 17)
        # about 0.28 adult women per person of the whole population in such a structure
        n_women = int(n0 * 0.255)
        w_age = rng.choice(len(ages), size=n_women, p=adult / adult.sum())
        m_first = dem.first_marriage_hazard(y0, 1)
        ever = 1 - np.exp(-np.cumsum(-np.log1p(-np.clip(m_first, 0, 0.999))))  # share married by each age
        married = rng.random(n_women) < ever[w_age]
        widowed = married & (rng.random(n_women) < np.clip((w_age - 35) / 55, 0.02, 0.7))
        wed_age = np.minimum(w_age, np.clip(rng.normal(19.0, 2.0, n_women), 16, 30)).astype(np.int32)
        villages = self._pick_villages(n_women)
        w_birth = d0 - (w_age * 365.25 + rng.integers(1, 365, n_women)).astype(np.int32)
        women = P.add(
            n_women,
            sex=1,
            birth=w_birth,
            hukou=villages,
            res=villages,
            marital=np.where(widowed, 3, np.where(married, 1, 0)),
            married_year=np.where(married, y0 - (w_age - wed_age), 0),
        )
        # husbands for the married women who are not widowed
        wives = women[married & ~widowed]
        h_age = np.clip((d0 - P.birth[wives]) // 365.25 + np.round(rng.normal(2.5, 3.0, len(wives))), 18, 100).astype(np.int32)
        h_birth = d0 - (h_age * 365.25 + rng.integers(1, 365, len(wives))).astype(np.int32)
        husbands = P.add(
            len(wives),
            sex=0,
            birth=h_birth,
            hukou=P.hukou[wives],
            res=P.hukou[wives],
            marital=1,
            spouse=wives,
            married_year=P.married_year[wives],
        )
        P.spouse[wives] = husbands
        # single men (young men not yet married, widowers), as many as make the sexes even
        n_single = max(0, int(n_women * 1.06) - len(wives))  # men outnumbered women (about 108 to 100)
        s_age = rng.choice(len(ages), size=n_single, p=adult / adult.sum())
        s_v = self._pick_villages(n_single)
        singles = P.add(
            n_single,
            sex=0,
            birth=d0 - (s_age * 365.25 + rng.integers(1, 365, n_single)).astype(np.int32),
            hukou=s_v,
            res=s_v,
            marital=np.where(s_age > 30, 3, 0),
        )
        # households: a couple, a widow or a single man each head one
        heads = np.concatenate([husbands, women[~(married & ~widowed)], singles])
        hh = self._new_households(P.hukou[heads], np.int32(d0))
        P.hh[heads], P.rel[heads] = hh, R["head"]
        P.hh[wives], P.rel[wives] = P.hh[husbands], R["spouse"]
        # the women's surviving children under 18, born at ages from marriage on
        kids = []
        mothers_all = women[married]
        age_now = ((d0 - P.birth[mothers_all]) // 365.25).astype(np.int32)
        wed = age_now - (y0 - P.married_year[mothers_all])
        for k in range(16, 46):  # the mother's age at the child's birth
            child_age = age_now - k
            can = (child_age >= 0) & (child_age < 18) & (wed <= k)
            born = can & (k <= 44) & (rng.random(len(mothers_all)) < 0.24)
            surv = born & (rng.random(len(mothers_all)) < lx[np.clip(child_age, 0, 110)])
            m = mothers_all[surv]
            if len(m):
                kids.append((m, child_age[surv]))
        mothers = np.concatenate([m for m, _ in kids])
        c_age = np.concatenate([a for _, a in kids])
        c_sex = (rng.random(len(mothers)) >= dem.p_male(105.5)).astype(np.int8)
        c_birth = d0 - (c_age * 365.25 + rng.integers(1, 365, len(mothers))).astype(np.int32)
        fathers = np.where(P.marital[mothers] == 1, P.spouse[mothers], -1)
        children = P.add(
            len(mothers),
            sex=c_sex,
            birth=c_birth,
            hukou=P.hukou[mothers],
            res=P.hukou[mothers],
            mother=mothers,
            father=fathers,
            hh=P.hh[mothers],
            rel=R["child"],
            surname_of=np.where(fathers >= 0, fathers, -1),
        )
        np.add.at(P.kids, mothers, 1)
        np.add.at(P.born_alive, mothers, 1)
        np.add.at(P.births, mothers, 1)
        P.htype[: P.n] = np.where(self.urban[P.hukou[: P.n]], 1, 0)
        # the register: adults from the start date; children under 18 by their birth events
        adults = np.concatenate([women, husbands, singles])
        ad = np.full(len(adults), d0, dtype=np.int32)
        self.log.add(
            "register",
            adults,
            ad,
            hukou=P.hukou[adults],
            residence=P.res[adults],
            household=P.hh[adults],
            relation=P.rel[adults],
            hukou_type=P.htype[adults],
            source=S["import"],
        )
        self.log.add(
            "birth",
            children,
            P.birth[children],
            mother=mothers,
            father=fathers,
            hukou=P.hukou[children],
            residence=P.res[children],
            household=P.hh[children],
            relation=R["child"],
            hukou_type=P.htype[children],
            place=0,
            source=S["village"],
        )
        wed_day = np.maximum(
            P.birth[wives] + (wed_age[married & ~widowed] * 365.25).astype(np.int32) + rng.integers(0, 300, len(wives)),
            P.birth[husbands] + int(18 * 365.25),
        )
        wed_day = np.minimum(wed_day, d0 - 1)
        P.married_year[wives] = P.married_year[husbands] = (1970 + np.floor(wed_day / 365.2425)).astype(np.int16)
        self.log.add("marriage", husbands, wed_day, partner=wives, source=S["civil_affairs"])

    # ------------------------------------------------------------------------------------ a year

    def year(self, y: int) -> None:
        P = self.people
        d0 = day(dt.date(y, 1, 1))
        self._org_changes(y)
        live = np.flatnonzero((P.death[: P.n] == NEVER) & P.tracked[: P.n])
        P.busy[live] = 0
        age = np.clip((d0 - P.birth[live]) // 365.25, 0, dem.MAX_AGE).astype(np.int32)
        live, age = self._deaths(y, live, age)
        self._marriages(y, live, age)
        self._births(y, live, age)
        self._divorces(y, live)
        self._moves(y, live, age)
        self._in_migrants(y)
        self._adoptions(y, live, age)
        self._disability(y, live, age)
        self._work(y, live, age)

    def _org_changes(self, y: int) -> None:
        P = self.people
        for retired, into, date in self.plan.merges:
            if date.year == y and (date.month, date.day) == (1, 1):
                for r in retired:
                    self.successor[r] = into
                    for arr in (P.hukou, P.res):
                        view = arr[: P.n]
                        view[view == r] = into

    def _deaths(self, y: int, live: np.ndarray, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        P, rng = self.people, self.rng
        q = dem.death_probabilities(y)[P.sex[live], age]
        q = np.where(age == 0, q * 0.45, q)  # the first weeks' risk was taken at birth
        dies = rng.random(len(live)) < q
        who = live[dies]
        dates = self._dates(y, len(who))
        dates = np.maximum(dates, P.birth[who] + 1)
        self._record_deaths(who, dates, y)
        keep = ~dies
        return live[keep], age[keep]

    def _record_deaths(self, who: np.ndarray, dates: np.ndarray, y: int) -> None:
        P, rng = self.people, self.rng
        if len(who) == 0:
            return
        P.death[who] = dates
        in_hosp = rng.random(len(who)) < dem.schedule("hospital_birth_share", y) * 0.5
        src = np.where(in_hosp, S["hospital"], np.where(rng.random(len(who)) < 0.6, S["police"], S["village"]))
        self.log.add("death", who, dates, place=np.where(in_hosp, 1, 0), source=src)
        sp = P.spouse[who]
        has = sp >= 0
        P.marital[sp[has]] = 3
        P.spouse[sp[has]] = -1
        for parent in (P.mother[who], P.father[who]):
            ok = parent >= 0
            np.subtract.at(P.kids, parent[ok], 1)
        m = P.mother[who]
        np.subtract.at(P.born_alive, m[(m >= 0) & (P.origin[who] < 0)], 1)  # adopted children came from outside

    def _marriages(self, y: int, live: np.ndarray, age: np.ndarray) -> None:
        P, rng = self.people, self.rng
        free = (P.marital[live] != 1) & (P.busy[live] == 0)
        female = P.sex[live] == 1
        hz_f = dem.first_marriage_hazard(y, 1)[age]
        hz_m = dem.first_marriage_hazard(y, 0)[age]
        again = dem.remarriage_hazard(age)
        w_hz = np.where(P.marital[live] == 0, hz_f, again * (age < 50))
        m_hz = np.where(P.marital[live] == 0, hz_m, again)
        wsel = free & female & (rng.random(len(live)) < w_hz)
        women = live[wsel]
        # some brides marry out of the county: their hukou goes with them
        gone = rng.random(len(women)) < dem.schedule("outside_bride_share", y)
        leavers = women[gone & (P.hukou[women] >= 0)]
        self.log.add(
            "move",
            leavers,
            self._dates(y, len(leavers)),
            scope=2,
            destination=rng.integers(0, len(EXTERNAL), len(leavers)),
            source=S["police"],
        )
        P.hukou[leavers] = P.res[leavers] = -1
        P.tracked[leavers] = False
        women = women[~gone]
        men_w = np.where(free & ~female, m_hz, 0.0)
        # men are drawn in proportion to their own marriage hazard, as many as there are brides
        men = live[_weighted_pick(rng, men_w, len(women))]
        women = women[rng.permutation(len(women))][: len(men)]
        if len(men) == 0:
            return
        order_w = np.argsort(P.birth[women] + rng.normal(0, 700, len(women)), kind="stable")
        order_m = np.argsort(P.birth[men] + rng.normal(0, 700, len(men)), kind="stable")
        wives, husbands = women[order_w], men[order_m]
        dates = self._dates(y, len(wives))
        dates = np.maximum(dates, np.maximum(P.birth[wives], P.birth[husbands]) + 1)
        # brides from outside the county for some of the remaining single men in the villages
        share = dem.schedule("outside_bride_share", y)
        rural_single = live[(~female) & free & (m_hz > 0.05) & ~self.urban[np.maximum(P.hukou[live], 0)] & (P.hukou[live] >= 0)]
        rural_single = np.setdiff1d(rural_single, husbands, assume_unique=True)
        n_out = min(len(rural_single), int(round(len(wives) * share)))
        if n_out:
            grooms = np.sort(rng.choice(rural_single, size=n_out, replace=False))
            bdays = self._dates(y, n_out)
            g_age = (bdays - P.birth[grooms]) // 365
            b_age = np.clip(g_age - np.round(rng.normal(2.0, 2.0, n_out)), 20, 45).astype(np.int32)
            bbirth = bdays - (b_age * 365.25).astype(np.int32) - rng.integers(0, 300, n_out).astype(np.int32)
            origin = len(DESTINATIONS) + rng.integers(0, len(ORIGINS), n_out)
            brides = P.add(n_out, sex=1, birth=bbirth, origin=origin, htype=0, marital=0)
            self.log.add(
                "move",
                brides,
                bdays,
                scope=2,
                hukou=P.hukou[grooms],
                residence=P.hukou[grooms],
                origin=origin,
                hukou_type=0,
                source=S["police"],
            )
            P.hukou[brides] = P.res[brides] = P.hukou[grooms]
            wives = np.concatenate([wives, brides])
            husbands = np.concatenate([husbands, grooms])
            dates = np.concatenate([dates, bdays])
        self.log.add("marriage", husbands, dates, partner=wives, source=S["civil_affairs"])
        P.marital[wives] = P.marital[husbands] = 1
        P.spouse[wives], P.spouse[husbands] = husbands, wives
        P.married_year[wives] = P.married_year[husbands] = y
        P.busy[wives] = P.busy[husbands] = 1
        self._marriage_moves(y, wives, husbands, dates)

    def _marriage_moves(self, y: int, wives: np.ndarray, husbands: np.ndarray, dates: np.ndarray) -> None:
        """The bride joins the groom's village and household, or the couple sets up their own."""
        P, rng = self.people, self.rng
        home = P.hukou[husbands]
        local = home >= 0
        # the bride's hukou and residence move to the groom's village when it is another one
        mv = local & ((P.hukou[wives] != home) | (P.res[wives] != home))
        w, h = wives[mv], home[mv]
        self.log.add("move", w, dates[mv], scope=2, hukou=h, residence=h, source=S["police"])
        P.hukou[w] = P.res[w] = h
        # households
        p_new = np.where(self.urban[np.maximum(home, 0)], 1.0, np.interp(y, [1950, 1980, 2000, 2020], [0.15, 0.3, 0.5, 0.7]))
        head = P.rel[husbands] == R["head"]
        new = local & ~head & (rng.random(len(husbands)) < p_new)
        join = local & ~new
        hn = husbands[new]
        if len(hn):
            hh = self._new_households(home[new], dates[new])
            P.hh[hn], P.rel[hn] = hh, R["head"]
            self.log.add("household", hn, dates[new], household=hh, relation=R["head"], source=S["police"])
        rel = np.where(P.rel[husbands] == R["head"], R["spouse"], np.where(P.rel[husbands] == R["child"], R["child_in_law"], R["other"]))
        rel = np.where(new, R["spouse"], rel)
        wj = wives[local & (join | new)]
        hh_w = P.hh[husbands[local & (join | new)]]
        rel_w = rel[local & (join | new)]
        okh = hh_w >= 0
        self.log.add("household", wj[okh], dates[local & (join | new)][okh], household=hh_w[okh], relation=rel_w[okh], source=S["police"])
        P.hh[wj[okh]], P.rel[wj[okh]] = hh_w[okh], rel_w[okh]

    def _births(self, y: int, live: np.ndarray, age: np.ndarray) -> None:
        P, rng = self.people, self.rng
        women = (P.sex[live] == 1) & (age >= 15) & (age <= 49)
        shape = dem.fertility_shape(y)
        expected = dem.schedule("tfr", y) * shape[age[women]].sum()
        can = women & (P.marital[live] == 1) & (P.married_year[live] < y) & (P.last_birth[live] < y)
        n_all = np.bincount(age[women], minlength=dem.MAX_AGE + 1)
        n_can = np.bincount(age[can], minlength=dem.MAX_AGE + 1)
        share = np.where(n_all > 0, n_can / np.maximum(n_all, 1), 0)
        pw = dem.parity_weights(y)
        cand = live[can]
        a = age[can]
        w = np.where(share[a] > 0, shape[a] / np.maximum(share[a], 1e-3), 0.0) * pw[np.minimum(P.kids[cand], 3)]
        # urban couples had fewer second children under the one-child policy
        urban = self.urban[np.maximum(P.res[cand], 0)] & (P.res[cand] >= 0)
        if 1980 <= y < 2016:
            w = np.where(urban & (P.kids[cand] >= 1), w * 0.25, w)
        if w.sum() <= 0:
            return
        p = _spread(expected, w, cap=0.9)
        mothers = cand[rng.random(len(cand)) < p]
        n = len(mothers)
        if n == 0:
            return
        order = np.minimum(P.born_alive[mothers] + 1, 3)  # living children born to her and registered (the mother rule)
        srb = np.array([0.0] + [dem.schedule("srb", y, sub=str(o)) for o in (1, 2, 3)])[order]
        sex = (rng.random(n) >= dem.p_male(srb)).astype(np.int8)
        birth = self._dates(y, n)
        fathers = P.spouse[mothers]
        hukou = np.where(P.hukou[mothers] >= 0, P.hukou[mothers], P.res[mothers])
        res = np.where(P.res[mothers] >= 0, P.res[mothers], hukou)
        mrel = P.rel[mothers]
        hh = np.where(P.hukou[mothers] >= 0, P.hh[mothers], -1)
        rel = np.where(
            hh < 0,
            -1,
            np.where(
                np.isin(mrel, (R["head"], R["spouse"])),
                R["child"],
                np.where(np.isin(mrel, (R["child"], R["child_in_law"])), R["grandchild"], R["other"]),
            ),
        )
        htype = P.htype[mothers].copy()
        if y >= 2016:
            htype = np.where(self.urban[hukou], 2, htype)
        surname_of = np.where((fathers >= 0) & (rng.random(n) < 0.94), fathers, mothers)
        registered = rng.random(n) >= dem.schedule("unregistered_birth_share", y)
        kids = P.add(
            n,
            sex=sex,
            birth=birth,
            hukou=hukou,
            res=res,
            hh=hh,
            rel=rel,
            mother=mothers,
            father=fathers,
            htype=htype,
            surname_of=surname_of,
            registered=registered,
            tracked=registered,
            last_birth=y,
        )
        in_hosp = rng.random(n) < dem.schedule("hospital_birth_share", y)
        self.log.add(
            "birth",
            kids,
            birth,
            mother=mothers,
            father=fathers,
            hukou=hukou,
            residence=res,
            household=hh,
            relation=rel,
            hukou_type=htype,
            place=np.where(in_hosp, 1, 0),
            source=np.where(in_hosp, S["hospital"], S["village"]),
        )
        P.kids[mothers] += 1
        P.births[mothers] += 1
        P.born_alive[mothers[registered]] += 1
        P.last_birth[mothers] = y
        f = fathers[fathers >= 0]
        np.add.at(P.kids, f, 1)
        # deaths in the first weeks of life
        q0 = dem.death_probabilities(y)[sex, 0] * 0.55
        early = np.flatnonzero((rng.random(n) < q0) & registered)
        if len(early):
            self._record_deaths(kids[early], birth[early] + rng.integers(0, 28, len(early)).astype(np.int32), y)

    def _divorces(self, y: int, live: np.ndarray) -> None:
        P, rng = self.people, self.rng
        h = live[(P.sex[live] == 0) & (P.marital[live] == 1) & (P.married_year[live] < y) & (P.busy[live] == 0)]
        w = P.spouse[h]
        ok = (w >= 0) & (P.death[np.maximum(w, 0)] == NEVER) & (P.busy[np.maximum(w, 0)] == 0)
        h, w = h[ok], w[ok]
        split = rng.random(len(h)) < dem.schedule("divorce_hazard", y)
        h, w = h[split], w[split]
        if len(h) == 0:
            return
        self.log.add("divorce", h, self._dates(y, len(h)), partner=w, source=S["civil_affairs"])
        P.marital[h] = P.marital[w] = 2
        P.spouse[h] = P.spouse[w] = -1
        P.busy[h] = P.busy[w] = 1

    def _moves(self, y: int, live: np.ndarray, age: np.ndarray) -> None:
        P, rng = self.people, self.rng
        free = P.busy[live] == 0
        hk, rs = P.hukou[live], P.res[live]
        urban_home = self.urban[np.maximum(hk, 0)]
        r = rng.random(len(live))
        # students and young people whose hukou leaves with them at 18
        out = free & (age == 18) & (hk >= 0) & (r < dem.schedule("hukou_out_age18", y) * np.where(urban_home, 1.5, 1.0))
        who = live[out]
        dest = rng.integers(0, len(DESTINATIONS), len(who))
        self.log.add("move", who, self._dates(y, len(who)), scope=2, destination=dest, source=S["police"])
        P.hukou[who] = P.res[who] = -1
        P.tracked[who] = False
        free &= ~out
        # young adults leave to work in the cities; their hukou stays (人户分离)
        away = (
            free
            & (age >= 18)
            & (age <= 40)
            & (hk >= 0)
            & (rs == hk)
            & (rng.random(len(live)) < dem.schedule("away_hazard", y) * np.where(urban_home, 0.4, 1.0))
        )
        who = live[away]
        dest = rng.integers(0, len(DESTINATIONS), len(who))
        self.log.add("move", who, self._dates(y, len(who)), scope=0, destination=dest, source=S["village"])
        P.res[who] = -1
        P.away_to[who] = dest
        free &= ~away
        # and come back
        back = free & (rs < 0) & (hk >= 0) & (age >= 22) & (rng.random(len(live)) < dem.schedule("return_hazard", y))
        who = live[back]
        self.log.add("move", who, self._dates(y, len(who)), scope=0, residence=P.hukou[who], origin=P.away_to[who], source=S["village"])
        P.res[who] = P.hukou[who]
        free &= ~back
        # single rural young adults settle in the county town (hukou and residence, 农转非)
        settle = (
            free
            & (age >= 18)
            & (age <= 35)
            & (P.marital[live] != 1)
            & (hk >= 0)
            & (rs == hk)
            & ~urban_home
            & (rng.random(len(live)) < dem.schedule("urbanise_hazard", y) * 3)
        )
        who = live[settle]
        if len(who):
            to = self._pick_villages(len(who), urban_only=True)
            dates = self._dates(y, len(who))
            self.log.add("move", who, dates, scope=2, hukou=to, residence=to, source=S["police"])
            P.hukou[who] = P.res[who] = to
            conv = who[P.htype[who] == 0]
            new_type = 1 if y < 2016 else 2
            self.log.add("hukou_type", conv, dates[P.htype[who] == 0], hukou_type=new_type, source=S["police"])
            P.htype[conv] = new_type
            hh = self._new_households(to, dates)
            self.log.add("household", who, dates, household=hh, relation=R["head"], source=S["police"])
            P.hh[who], P.rel[who] = hh, R["head"]
            P.busy[who] = 1
        # floating in-migrants move on
        leave = (
            free
            & (hk < 0)
            & (rs >= 0)
            & (P.marital[live] != 1)
            & (rng.random(len(live)) < dem.targets()["inputs"]["in_migrant_stay_hazard_leave"])
        )
        who = live[leave]
        self.log.add("move", who, self._dates(y, len(who)), scope=0, destination=P.origin[who], source=S["village"])
        P.res[who] = -1
        P.tracked[who] = False
        P.busy[live[away | back | leave]] = 1

    def _in_migrants(self, y: int) -> None:
        P, rng = self.people, self.rng
        rate = dem.schedule("in_migrants_per_1000", y) / 1000
        resident = int(((P.death[: P.n] == NEVER) & (P.res[: P.n] >= 0) & P.tracked[: P.n]).sum())
        n = int(rng.poisson(rate * resident))
        if n == 0:
            return
        ages = rng.integers(18, 41, n)
        dates = self._dates(y, n)
        birth = dates - (ages * 365.25).astype(np.int32) - rng.integers(0, 365, n).astype(np.int32)
        sex = (rng.random(n) < 0.45).astype(np.int8)
        to = np.where(rng.random(n) < 0.75, self._pick_villages(n, urban_only=True), self._pick_villages(n))
        origin = len(DESTINATIONS) + rng.integers(0, len(ORIGINS), n)
        who = P.add(n, sex=sex, birth=birth, res=to, origin=origin, htype=0, busy=1)
        self.log.add("move", who, dates, scope=0, residence=to, origin=origin, source=S["village"])

    def _adoptions(self, y: int, live: np.ndarray, age: np.ndarray) -> None:
        P, rng = self.people, self.rng
        cand = live[
            (P.sex[live] == 1)
            & (age >= 28)
            & (age <= 45)
            & (P.marital[live] == 1)
            & (P.births[live] == 0)
            & (P.kids[live] == 0)
            & (P.married_year[live] <= y - 3)
            & (P.hukou[live] >= 0)
            & (P.busy[live] == 0)
        ]
        mothers = cand[rng.random(len(cand)) < dem.targets()["inputs"]["adoption_hazard_childless"]]
        n = len(mothers)
        if n == 0:
            return
        dates = self._dates(y, n)
        birth = dates - rng.integers(30, 5 * 365, n).astype(np.int32)
        fathers = P.spouse[mothers]
        origin = len(DESTINATIONS) + rng.integers(0, len(ORIGINS), n)
        home = P.hukou[mothers]
        kids = P.add(
            n,
            sex=(rng.random(n) < 0.6).astype(np.int8),
            birth=birth,
            hukou=home,
            res=home,
            hh=P.hh[mothers],
            rel=R["child"],
            mother=mothers,
            father=fathers,
            htype=P.htype[mothers],
            origin=origin,
            surname_of=np.where(fathers >= 0, fathers, mothers),
            busy=1,
        )
        self.log.add("move", kids, dates, scope=2, hukou=home, residence=home, origin=origin, source=S["police"])
        self.log.add("adoption", kids, dates, mother=mothers, father=fathers, source=S["civil_affairs"])
        ok = P.hh[mothers] >= 0
        self.log.add("household", kids[ok], dates[ok], household=P.hh[mothers][ok], relation=R["child"], source=S["police"])
        P.kids[mothers] += 1
        P.kids[fathers[fathers >= 0]] += 1
        P.busy[mothers] = 1

    def _disability(self, y: int, live: np.ndarray, age: np.ndarray) -> None:
        if y < 1990:
            return
        P, rng = self.people, self.rng
        hz = dem.targets()["inputs"]["disability_hazard"]
        p = np.where(age < 60, hz["young"], hz["old"])
        who = live[(P.disabled[live] == 0) & (rng.random(len(live)) < p) & ((P.hukou[live] >= 0) | (P.res[live] >= 0))]
        grade = rng.choice(np.array([1, 2, 3, 4], dtype=np.int8), size=len(who), p=[0.1, 0.2, 0.35, 0.35])
        dates = np.maximum(self._dates(y, len(who)), P.birth[who] + 1)
        self.log.add("disability", who, dates, grade=grade, source=S["village"])
        P.disabled[who] = grade

    def _work(self, y: int, live: np.ndarray, age: np.ndarray) -> None:
        if y < 1952:
            return
        P, rng = self.people, self.rng
        units = np.array(self.plan.work_units, dtype=np.int32)
        weights = np.array([w for *_, w in WORK_UNITS], dtype=float)
        rs = P.res[live]
        town = (rs >= 0) & self.urban[np.maximum(rs, 0)]
        join = live[town & (P.work[live] < 0) & (age >= 20) & (age <= 50) & (P.busy[live] == 0) & (rng.random(len(live)) < 0.05)]
        to = units[rng.choice(len(units), size=len(join), p=weights / weights.sum())]
        self.log.add("work_join", join, self._dates(y, len(join)), work=to, source=S["village"])
        P.work[join] = to
        working = live[P.work[live] >= 0]
        w_age = (day(dt.date(y, 1, 1)) - P.birth[working]) // 365
        retire = (w_age >= np.where(P.sex[working] == 0, 60, 50)) | (rng.random(len(working)) < 0.02) | (P.res[working] < 0)
        leave = np.setdiff1d(working[retire], join, assume_unique=True)
        self.log.add("work_leave", leave, self._dates(y, len(leave)), work=P.work[leave], source=S["village"])
        P.work[leave] = -1

    # ------------------------------------------------------------------------------------ run

    def run(self, n0: int, progress=None) -> Population:
        self.initial(n0)
        years = range(self.p.start_year, self.p.end_year + 1)
        for i, y in enumerate(years):
            self.year(y)
            if progress:
                progress(i + 1, len(years))
        P = self.people
        P.trim()
        end = day(dt.date(self.p.end_year, 12, 31))
        hu, hc = self.hh.columns()
        return Population(self.p, self.plan, P, hu, hc, self.log.columns(), end)
