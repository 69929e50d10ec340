"""The access harness (issue 13): signed in as each role bound to one township or village, try every
route of the application — pages, HTMX fragments, downloads, the API; GET and POST — with the ids,
codes, ID numbers, household numbers, dates and form fields of a sibling unit and of the parent unit,
and count what leaks and what is written. It must count 0.

* The county (tests/web/access_kit.py): two townships of two villages each, every kind of event,
  households, the benefit cycle in both townships; every person renamed to a sentinel.
* A leak: any name, ID number (full or masked), temporary key or household number of a person outside
  the account's area today, in any answer (a workbook's cells and a PDF's text read as such); or a 2xx
  answer to a GET whose path names an out-of-area record.
* A write: any table's rows, greatest id or greatest change sequence moved by a probe whose path names
  an out-of-area record; for any other POST, a row written about a person or a unit outside the area.
  Besides the sibling's and the parent's values, "mixed" probes post forms about the account's own
  records (in the path, and the form's first person) naming the sibling's people as partner, father or
  payee: they may write, but nothing about anyone outside the area.
* Path parameters are filled by their name (``PATH_KINDS``): a route whose parameter is not in the table
  fails the test, so a new route must say what it takes. Query and form fields come from one bag of
  every field name the pages use (``bag``), filled with the target's values.

The detector is proved not blind: the same machinery, pointed at the account's own area with the
detector turned round, finds the people it must show.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from starlette.testclient import TestClient

from renkou.exchange import templates as import_templates
from renkou.stats import ledgers
from renkou.web.benefits.reports import REPORTS as BENEFIT_REPORTS
from tests.conftest import migrated_db
from tests.web.access_kit import (
    COMMUNITY2,
    COUNTY,
    TOWN,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    Leaks,
    Records,
    build,
    readable,
    records_of,
    table_counts,
    written,
)
from tests.web.route_kit import path_names, query_names, routes

# (the literal path segment before the parameter, the parameter) -> the kind of value it takes
PATH_KINDS = {
    ("persons", "pid"): "person",
    ("events", "eid"): "event",
    ("persons", "key"): "id_number",
    ("population", "code"): "unit",
    ("reports", "key"): "report_key",
    ("ledgers", "kind"): "ledger",
    ("templates", "kind"): "template",
    ("templates", "fmt"): "table_format",
    ("applications", "number"): "application",
    ("objections", "number"): "objection",
    ("postings", "number"): "posting",
    ("notice", "fmt"): "notice_format",
    ("exits", "n"): "exit",
    ("recipients", "n"): "recipient",
    ("batches", "n"): "batch",
    ("coverage", "n"): "coverage",
    ("findings", "f"): "finding",
    ("lines", "line"): "line",
    ("reports", "which"): "benefit_report",
    ("reports", "fmt"): "table_format",
    ("import", "token"): "token",
    ("pick", "field"): "picker",
    ("users", "username"): "username",
}
CONSTANTS = {
    "report_key": ["population", "births"],
    "ledger": list(ledgers.KINDS),
    "template": list(import_templates.KINDS),
    "table_format": ["xlsx", "pdf", "csv"],
    "notice_format": ["pdf", "xlsx"],
    "benefit_report": list(BENEFIT_REPORTS),
    "picker": ["mother", "father", "person", "partner"],
    "username": ["zhen", "xiang", "cun2"],
}
SKIP = {"/login", "/logout", "/lang"}  # signing in and out, the language: no area
ACCOUNTS = {  # who probes -> the targets: sibling areas and the parent units
    "cun": {"sibling village": {VILLAGE2}, "sibling township": {TOWN}, "parent": {TOWNSHIP, COUNTY}},
    "xiang": {"sibling township": {TOWN}, "sibling village": {COMMUNITY2}, "parent": {COUNTY}},
    "shenji_x": {"sibling township": {TOWN}, "parent": {COUNTY}},
}
OWN = {"cun": {VILLAGE}, "xiang": {TOWNSHIP}, "shenji_x": {TOWNSHIP}}
PAST = "2020-06-01"  # when the mover still lived in the township


@dataclass(frozen=True)
class Target:
    """Whose values a probe carries. ``own`` set: a mixed probe — the path names the account's own
    records and the form's first person and units are its own, the other persons (partner, father,
    payee) and numbers the sibling's; it may write, but nothing about a person outside the area."""

    label: str
    records: Records
    parent: bool = False
    own: Records | None = None


def bag(t: Target, variant: int) -> dict[str, str]:
    """Every query and form field name the pages read, filled from the target so that a form would go
    through were the target in the area: variant 0 names people by internal id (the registration
    forms), dates today; variant 1 by ID number and searches by name (the benefit forms: coverage of a
    special-assistance recipient), dates in the past; variant 2 applies for the reward."""
    r = t.records
    pid, idn = r.first("woman") or r.first("person") or "1", r.first("woman_id_number") or r.first("id_number") or ""
    man = r.first("man") or pid
    unit, village = r.first("unit") or "", r.first("village") or r.first("unit") or ""
    day = (dt.date.today() - dt.timedelta(days=2)).isoformat() if variant != 1 else PAST
    find = idn if variant == 0 else f"泄露{int(pid):05d}"
    who = {0: pid, 1: r.first("special_id_number") or idn, 2: r.first("applicant_id_number") or idn}[variant]
    other = {0: man, 1: r.first("payee_id_number") or idn, 2: r.first("payee_id_number") or idn}[variant]
    if t.own is not None:  # mixed: the first person and the units the account's own, the rest the sibling's
        mine = bag(Target("own", t.own), variant)
        mine.update(
            {
                k: v
                for k, v in bag(Target(t.label, t.records), variant).items()
                if k in ("father", "partner", "payee", "payee_pid", "application", "batch", "q", "find", "partner_q", "father_q", "seen")
            }
        )
        return mine
    return {
        "person": who,
        "mother": who,
        "father": man,
        "partner": other,
        "pid": pid,
        "payee": other,
        "payee_pid": man,
        "confirm_id": pid,
        "saved": pid,
        "q": find,
        "find": find,
        "person_q": find,
        "mother_q": find,
        "father_q": find,
        "partner_q": find,
        "seen": idn,
        "org": unit,
        "village": village,
        "unit": village,
        "dest_unit": village,
        "code": unit,
        "codes": unit,
        "i": "births",  # the indicators page's chosen indicators
        "dest": "unit",
        "dest_code": "440305",
        "id_number": idn,
        "household": r.first("household") or "",
        "application": r.first("application") or "",
        "batch": r.first("batch") or "",
        "date": day,
        "applied_on": day,
        "birth_date": day,
        "since": day,
        "from": PAST,
        "to": day,
        "starts_on": day,
        "until": day,
        "year": "2025" if variant != 2 else str(dt.date.today().year),
        "programme": "special" if variant == 1 else "reward",
        "period": "2025",
        "status": "",
        "shown": "100",
        "objections": "open" if variant == 1 else "",
        "lines": "2",
        "total": "1920.00",
        "confirm": "yes",
        "size": "20",
        "all": "1",
        "show": "recipients" if variant == 0 else "coverage",
        "basis": "hukou",
        "level": "village",
        "t": "ledger:births",
        "format": "xlsx",
        "kind": "doctor" if variant == 1 else "persons",
        "scope": "both",
        "decision": "approve",
        "outcome": "upheld",
        "account": "6222000011119999",
        "account_no": "6222000011119999",
        "bank": "农业银行",
        "reason": "核查需要",
        "note": "核查",
        "content": "核查",
        "resolution": "核查",
        "notice": "迁出通知",
        "detail": "核查",
        "objector": "村民",
        "place": "医院",
        "certificate_no": "C1",
        "name": "新生儿",
        "sex": "F",
        "confirm_new": "1",
        "attested": "declaration",
        "new": "",
        "current": "1",
        "done": "",
        "actor": "",
        "channel": "",
        "action": "",
        "disaggregate": "sex",
        "n": pid,
        "created": "",
    }


def values_for(kind: str, t: Target) -> list[str]:
    """The values a path parameter of ``kind`` takes: a few of the target's records (none: the route is
    probed with the other targets; a parent has its codes only, its records outside the area being the
    siblings', probed already), or the constants."""
    if kind in CONSTANTS:
        return CONSTANTS[kind]
    got = (t.own or t.records).values.get(kind) or []
    return list(dict.fromkeys(got[:1] + got[-1:]))


@dataclass
class Finding:
    account: str
    target: str
    method: str
    route: str
    url: str
    what: str


class Prober:
    def __init__(self, county, account: str, *, inside: bool = False) -> None:
        web = county.web
        self.db, self.account = web.db, account
        web.as_(account)
        self.c = TestClient(web.app, raise_server_exceptions=False, cookies=web.c.cookies)
        self.csrf = web.token("/")
        self.leaks = Leaks(self.db, account, inside=inside)
        self.findings: list[Finding] = []
        self.tries: Counter = Counter()
        self.last = table_counts(self.db)

    def probe(self, target: Target | str, method: str, route: str, url: str, params: dict, form: dict, *, record_path: bool) -> None:
        target = target.label if isinstance(target, Target) else target
        # the tables as the last POST left them (a GET writes nothing: were it to, the next POST shows it)
        before = self.last if method == "POST" else None
        if method == "POST" and url.startswith("/api/"):
            r = self.c.request(
                method, url, params=params, json={"reason": "核查需要"}, headers={"x-csrf-token": self.csrf}, follow_redirects=False
            )
        else:
            r = self.c.request(
                method, url, params=params, data={"csrf_token": self.csrf, **form} if method == "POST" else None, follow_redirects=False
            )
        self.tries[(method, route)] += 1

        def found(what: str) -> None:
            self.findings.append(Finding(self.account, target, method, route, str(r.request.url), what))

        if r.status_code >= 500:
            found(f"server error {r.status_code}")
        sent = [*url.split("/"), *map(str, params.values()), *(map(str, form.values()) if method == "POST" else ())]
        for what in self.leaks.found(readable(r.content, r.headers), sent):
            found(what)
        if record_path and method == "GET" and 200 <= r.status_code < 300:
            found(f"answered {r.status_code} for an out-of-area record")
        if before is not None:
            after = self.last = table_counts(self.db)
            moved = sorted(t for t in after if after[t] != before.get(t))
            if moved and record_path:
                found("wrote " + ", ".join(moved))  # anything at all, asked to act on an out-of-area record
            elif moved:
                people, units = written(self.db, max(c[2] or 0 for c in before.values()))
                if people & self.leaks.people or units & self.leaks.units:
                    found(f"wrote about persons {sorted(people & self.leaks.people)}, units {sorted(units & self.leaks.units)}")


def targets(county, account: str) -> tuple[list[Target], Records]:
    out, sibling = [], None
    for label, units in ACCOUNTS[account].items():
        parent = label == "parent"
        recs = (
            Records({"unit": sorted(units)})
            if parent
            else records_of(county.web.db, units, import_token=county.import_token, ids=county.web.b.ids)
        )
        if label == "sibling township":
            sibling = recs
        out.append(Target(label, recs, parent))
    own = records_of(county.web.db, OWN[account], ids=county.web.b.ids)
    out.append(Target("mixed", sibling, own=own))
    return out, sibling


def run(county, account: str, tgts: list[Target], *, inside: bool = False) -> Prober:
    p = Prober(county, account, inside=inside)
    unknown = []
    for route in routes(county.web.app):
        if route.path in SKIP:
            continue
        names = path_names(route.dependant)
        kinds = {}
        for name in names:
            kind = PATH_KINDS.get((segment(route.path, name), name))
            if kind is None:
                unknown.append((route.path, segment(route.path, name), name))
            kinds[name] = kind
        if any(k is None for k in kinds.values()):
            continue
        for t in tgts:
            for variant in (0, 1, 2):
                form = bag(t, variant)
                if (variant == 2 or t.own is not None or (variant == 1 and t.label != "sibling township")) and "POST" not in route.methods:
                    continue  # the third variant and the mixed probes are for the forms; the second, on pages, for the sibling township
                # the whole bag in the query too: pages read some of it from request.query_params (the pickers'
                # search text, the audit filters), and a declared query parameter must be in the bag
                missing = query_names(route.dependant) - set(form)
                assert not missing, (route.path, missing)
                params = form
                for url, record_path in urls(route.path, kinds, t):
                    for method in sorted(route.methods):
                        p.probe(t, method, route.path, url, params, form, record_path=record_path and t.own is None)
    assert unknown == [], f"path parameters missing from PATH_KINDS: {unknown}"
    return p


def segment(path: str, name: str) -> str:
    """The literal path segment before parameter ``name``: /benefits/postings/{number}/notice.{fmt} → notice
    for fmt, postings for number; /import/templates/{kind}.{fmt} → templates for both."""
    before = re.sub(r"\{[^}]+\}\.?", "", path.split("{" + name + "}")[0]).rstrip(".")
    return [p for p in before.split("/") if p][-1]


def urls(path: str, kinds: dict[str, str], t: Target) -> list[tuple[str, bool]]:
    """The path filled with the target's values of each parameter's kind (a person and its event go
    together); whether it names an out-of-area record."""
    if not kinds:
        return [(path, False)]
    if "pid" in kinds and "eid" in kinds:
        return [(path.replace("{pid}", e.split("/")[0]).replace("{eid}", e.split("/")[1]), True) for e in values_for("event", t)]
    out = [path]
    record = False
    for name, kind in kinds.items():
        record |= kind not in CONSTANTS
        vals = values_for(kind, t)
        out = [u.replace("{" + name + "}", v) for u in out for v in vals]
    return [(u, record) for u in out]


@pytest.fixture(scope="module")
def county(tmp_path_factory, _migrated_templates):
    tmp = tmp_path_factory.mktemp("access")
    db, cleanup = migrated_db("sqlite", tmp, _migrated_templates)
    try:
        c = build(db, tmp)
        yield c
        c.web.close()
    finally:
        cleanup()


def report(findings: list[Finding]) -> str:
    rows = sorted({(f.account, f.target, f.method, f.route, f.what, f.url) for f in findings})
    return "\n".join(f"{a:9} {t:17} {m:4} {r:48} {w:40} {u}" for a, t, m, r, w, u in rows[:200])


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_nothing_outside_the_area_leaks_or_is_written(county, account):
    start = time.monotonic()
    tgts, sibling = targets(county, account)
    assert sibling.values["person"] and sibling.values["application"] and sibling.values["batch"]  # the sibling has records to aim at
    p = run(county, account, tgts)
    routes_probed = set(p.tries)  # (method, path)
    assert len(routes_probed) >= 85, len(routes_probed)  # the whole table (but sign-in, sign-out, the language), not a part of it
    assert all(n >= 2 for n in p.tries.values())  # every route and method, more than once
    print(f"{account}: {sum(p.tries.values())} attempts over {len(routes_probed)} routes in {time.monotonic() - start:.1f}s")
    assert p.findings == [], f"{len(p.findings)} leaks or writes:\n" + report(p.findings)


def test_the_detector_sees_what_a_page_shows(county):
    """The same machinery aimed at the account's own area, the detector turned round (looking for the
    people inside the area): it finds them — on the person page, the API, the application page, the
    ledgers — so a count of 0 above is not a blind detector's."""
    own = Target("own", records_of(county.web.db, {TOWNSHIP}, import_token=""))
    assert own.records.values["person"] and own.records.values["application"]
    p = Prober(county, "xiang", inside=True)
    pid, idn, app = own.records.first("person"), own.records.first("id_number"), own.records.first("application")
    for url in (f"/persons/{pid}", f"/api/v1/persons/{idn}", f"/benefits/applications/{app}", "/benefits", "/benefits/recipients"):
        p.probe("own", "GET", url, url, {}, {}, record_path=False)
    p.probe("own", "GET", "/reports", "/reports", {"t": "ledger:wcba", "org": TOWNSHIP, "format": "xlsx"}, {}, record_path=False)
    seen = {f.route for f in p.findings if f.what.startswith(("name of", "masked ID"))}
    assert seen == {
        f"/persons/{pid}",
        f"/api/v1/persons/{idn}",
        f"/benefits/applications/{app}",
        "/benefits",
        "/benefits/recipients",
        "/reports",
    }, report(p.findings)
    # and a write is seen: an in-area reveal (an audited write) moves the tables
    p.probe("own", "POST", "/persons/{pid}/reveal", f"/persons/{pid}/reveal", {}, {"reason": "核查需要"}, record_path=True)
    assert any(f.what.startswith("wrote") for f in p.findings), report(p.findings)
