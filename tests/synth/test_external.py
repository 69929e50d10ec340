"""External department files: the records carry no truth, the answer file does, and the errors
come at the rates asked for."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from renkou.core import idnumber
from renkou.core.dates import day
from renkou.synth import build, noise
from renkou.synth import external as X
from renkou.synth.county import COUNTY_CODE
from renkou.synth.simulate import KINDS as EVENT_KINDS
from renkou.synth.simulate import ORIGINS

NONE = X.ErrorRates.none()


@pytest.fixture(scope="module")
def county() -> build.County:
    return build.generate(20_000, 3)


@pytest.fixture(scope="module")
def index(county) -> dict[str, int]:
    """Registry key -> person index."""
    keys = build.person_key(county)
    return {k: i for i, k in enumerate(keys.tolist()) if k and county.registered[i]}


def write(county, kind, folder, *, seed=7, rates=None, fmt="csv", since=None):
    return X.write_external(county, kind, folder, seed=seed, rates=rates, fmt=fmt, since=since)


def load(paths: dict) -> pl.DataFrame:
    """The records (English keys) joined with the truth, in file order."""
    p = paths["records"]
    rec = pl.read_csv(p, infer_schema=False) if p.suffix == ".csv" else pl.read_parquet(p)
    kind = p.name.split(".")[0]
    rec = rec.rename({zh: key for key, zh in X.COLUMNS[kind]})
    truth = pl.read_csv(paths["truth"], infer_schema=False)
    assert rec["record_id"].to_list() == truth["record_id"].to_list()
    return rec.join(truth, on="record_id", how="left", maintain_order="left")


@pytest.fixture(scope="module")
def default_files(county, tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("ext_default")
    return X.write_all(county, folder, seed=7)


@pytest.fixture(scope="module")
def clean(county, tmp_path_factory) -> dict[str, pl.DataFrame]:
    folder = tmp_path_factory.mktemp("ext_clean")
    return {k: load(write(county, k, folder, rates=NONE)) for k in X.KINDS}


def has_error(df: pl.DataFrame, what: str) -> pl.Series:
    return df["errors"].str.split(";").list.contains(what)


# ------------------------------------------------------------------------------------------ files


@pytest.mark.parametrize("kind", X.KINDS)
def test_writes_records_and_truth(default_files, kind):
    paths = default_files[kind]
    assert paths["records"].name == f"{kind}.csv" and paths["truth"].name == f"{kind}.truth.csv"
    raw = paths["records"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].decode("utf-8").splitlines()[0].split(",")
    assert header == [zh for _, zh in X.COLUMNS[kind]]
    df = load(paths)
    assert df.height > 300
    ids = df["record_id"].to_list()
    assert ids == [f"{X.PREFIX[kind]}{i:06d}" for i in range(1, len(ids) + 1)]
    truth_cols = pl.read_csv(paths["truth"], infer_schema=False).columns
    assert truth_cols[:4] == ["record_id", "person_key", "in_registry", "errors"]
    assert set(df["in_registry"].unique()) <= {"0", "1"}
    # the department's order: by the date it recorded
    order_col = df[X.ORDER_FIELD[kind]].to_list()
    assert order_col == sorted(order_col)


ID_KEYS = {
    "hospital-births": (("mother_id_number", "mother_key"), ("father_id_number", "father_key")),
    "police-hukou": (("id_number", "person_key"),),
    "police-deaths": (("id_number", "person_key"),),
    "civil-marriages": (("husband_id_number", "person_key"), ("wife_id_number", "partner_key")),
}


@pytest.mark.parametrize("kind", X.KINDS)
def test_records_carry_no_truth(default_files, kind):
    paths = default_files[kind]
    rec = pl.read_csv(paths["records"], infer_schema=False)
    assert rec.columns == [zh for _, zh in X.COLUMNS[kind]]
    keys = [k for k, _ in X.COLUMNS[kind]]
    assert not set(keys) & {"person_key", "in_registry", "errors", "person", "mother_key", "father_key", "partner_key"}
    df = load(paths)
    checked = 0
    for id_col, key_col in ID_KEYS[kind]:
        missing = df.filter(has_error(df, f"missing_id:{id_col}") & (df[key_col] != ""))
        for row in missing.iter_rows(named=True):
            assert row[id_col] == ""
            assert row[key_col] not in [row[c] for c in keys], row
            checked += 1
    assert checked > 0
    if kind == "hospital-births":  # the child's number is on no certificate
        for row in df.filter(df["person_key"] != "").iter_rows(named=True):
            assert row["person_key"] not in [row[c] for c in keys], row


def test_parquet_has_the_same_records(county, default_files, tmp_path):
    pq = load(write(county, "civil-marriages", tmp_path, fmt="parquet"))
    assert pq.columns == load(default_files["civil-marriages"]).columns
    assert pq.equals(load(default_files["civil-marriages"]))
    assert not (tmp_path / "civil-marriages.csv").exists()


def test_deterministic(county, tmp_path):
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for kind in X.KINDS:
        pa, pb = write(county, kind, a), write(county, kind, b)
        assert pa["records"].read_bytes() == pb["records"].read_bytes()
        assert pa["truth"].read_bytes() == pb["truth"].read_bytes()
        assert write(county, kind, other, seed=8)["records"].read_bytes() != pa["records"].read_bytes()


def test_bad_arguments(county, tmp_path):
    with pytest.raises(ValueError):
        X.write_external(county, "tax-office", tmp_path, seed=1)
    with pytest.raises(ValueError):
        X.write_external(county, "police-deaths", tmp_path, seed=1, fmt="xlsx")
    with pytest.raises(ValueError):
        X.ErrorRates(typo=1.5)
    with pytest.raises(ValueError):
        X.ErrorRates(missing_id=0.6, wrong_id_digit=0.6)


# ------------------------------------------------------------------------------------------ truth


def test_without_errors_every_record_matches_the_registry(county, clean, index):
    issued = 0
    for kind, df in clean.items():
        assert (df["errors"] == "").all(), kind
        reg = df.filter(df["in_registry"] == "1")
        assert reg.height > 0
        person = np.array([index[k] for k in reg["person_key"]])
        name_col = {"hospital-births": "child_name", "civil-marriages": "husband_name"}.get(kind, "name")
        assert reg[name_col].to_list() == county.name[person].tolist(), kind
        if kind in ("police-hukou", "police-deaths"):
            for got, p in zip(reg["id_number"].to_list(), person.tolist(), strict=True):
                if county.temp_key[p]:  # a newborn the registry holds by temporary key: the police's new number
                    issued += 1
                    assert idnumber.is_valid(got) and got.startswith(COUNTY_CODE)
                    assert got[6:14] == (dt.date(1970, 1, 1) + dt.timedelta(days=int(county.pop.people.birth[p]))).strftime("%Y%m%d")
                    assert got not in index
                else:
                    assert got == county.id_number[p]
        if kind == "civil-marriages":
            wife = np.array([index[k] for k in reg["partner_key"]])
            assert reg["wife_name"].to_list() == county.name[wife].tolist()
            assert reg["husband_id_number"].to_list() == county.id_number[person].tolist()
            assert reg["wife_id_number"].to_list() == county.id_number[wife].tolist()
            assert (county.pop.people.sex[person] == 0).all() and (county.pop.people.sex[wife] == 1).all()
        if kind == "hospital-births":
            mother = np.array([index[k] for k in reg["mother_key"]])
            assert reg["mother_name"].to_list() == county.name[mother].tolist()
            assert reg["mother_id_number"].to_list() == county.id_number[mother].tolist()
    assert issued > 0
    # no outside people without the rate; only births have records the registry lacks
    for kind in ("police-deaths", "civil-marriages"):
        assert (clean[kind]["in_registry"] == "1").all()
    assert (clean["police-hukou"]["in_registry"] == "0").sum() > 0


def test_hospital_births_hold_every_unregistered_hospital_birth(county, default_files):
    ev, P = county.pop.events, county.pop.people
    births = np.flatnonzero((ev["kind"] == EVENT_KINDS.index("birth")) & (ev["place"] == 1) & (ev["date"] >= day(dt.date(1996, 1, 1))))
    child = ev["person"][births]
    cert = np.char.add("R", np.char.zfill(((child.astype(np.int64) * 104_729) % 1_000_000_000).astype(str), 9))
    unregistered = set(cert[~P.registered[child]].tolist())
    registered = set(cert[P.registered[child]].tolist())
    assert len(unregistered) > 20
    df = load(default_files["hospital-births"])
    outside = df.filter(df["in_registry"] == "0")
    assert set(outside["certificate_no"]) == unregistered
    assert (outside["person_key"] == "").all()
    inside = df.filter(df["in_registry"] == "1")
    assert set(inside["certificate_no"]) <= registered
    assert (inside["person_key"] != "").all()
    assert df["birth_date"].min() >= "1996-01-01"


def test_recent_birth_certificates_often_lack_the_name(county, default_files, clean):
    df = load(default_files["hospital-births"])
    recent = df.filter(df["birth_date"] > (county.end - dt.timedelta(days=X.RECENT_DAYS)).isoformat())
    older = df.filter(df["birth_date"] < "2020-01-01")
    assert recent.height > 20
    assert 0.4 < (recent["child_name"] == "").mean() < 0.8
    assert (older["child_name"] == "").mean() < 0.1
    assert (clean["hospital-births"]["child_name"] != "").all()


# ------------------------------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("kind", "field", "key"),
    [
        ("police-hukou", "name", "person_key"),
        ("police-deaths", "name", "person_key"),
        ("hospital-births", "mother_name", "mother_key"),
        ("civil-marriages", "wife_name", "partner_key"),
    ],
)
def test_homophone_rate(county, index, tmp_path, kind, field, key):
    df = load(write(county, kind, tmp_path, rates=X.ErrorRates.none(homophone=0.2)))
    df = df.filter((df[key] != "") & (df[field] != ""))
    hit = has_error(df, f"homophone:{field}")
    assert 0.15 <= hit.mean() <= 0.25, hit.mean()
    truth = county.name[np.array([index[k] for k in df[key]])]
    got = np.array(df[field].to_list())
    assert (got[hit.to_numpy()] != truth[hit.to_numpy()]).all()
    for g, t in zip(got[hit.to_numpy()], truth[hit.to_numpy()], strict=True):
        assert len(g) == len(t)
        diff = [i for i, (a, b) in enumerate(zip(g, t, strict=True)) if a != b]
        assert len(diff) == 1 and noise.toneless_pinyin(g[diff[0]]) == noise.toneless_pinyin(t[diff[0]])
    assert (got[~hit.to_numpy()] == truth[~hit.to_numpy()]).all()
    assert not df["errors"].str.contains("typo|traditional|id").any()


def test_typo_and_traditional(county, index, tmp_path):
    df = load(write(county, "police-deaths", tmp_path, rates=X.ErrorRates.none(typo=0.3, traditional=0.3)))
    df = df.filter(df["in_registry"] == "1")
    truth = county.name[np.array([index[k] for k in df["person_key"]])]
    typo, trad = has_error(df, "typo:name").to_numpy(), has_error(df, "traditional:name").to_numpy()
    assert 0.25 <= typo.mean() <= 0.35
    assert 0.05 <= trad.mean() <= 0.35  # only names with a traditional form change
    got = np.array(df["name"].to_list())
    for g, t in zip(got[typo], truth[typo], strict=True):
        assert len(g) == len(t) and sum(a != b for a, b in zip(g, t, strict=True)) == 1 and g[0] == t[0]
    assert (got[trad] != truth[trad]).all()


def test_id_errors(county, index, tmp_path):
    rates = X.ErrorRates.none(missing_id=0.1, wrong_id_digit=0.2, id_15_digit=0.3)
    df = load(write(county, "hospital-births", tmp_path, rates=rates))
    df = df.filter(df["mother_key"] != "")
    truth = county.id_number[np.array([index[k] for k in df["mother_key"]])]
    got = np.array(df["mother_id_number"].to_list())
    miss = has_error(df, "missing_id:mother_id_number").to_numpy()
    digit = has_error(df, "wrong_id_digit:mother_id_number").to_numpy()
    old = has_error(df, "id_15_digit:mother_id_number").to_numpy()
    assert not (miss & digit).any() and not (miss & old).any() and not (digit & old).any()
    assert 0.07 <= miss.mean() <= 0.13 and 0.16 <= digit.mean() <= 0.24
    assert (got[miss] == "").all()
    assert all(len(g) == 18 and g != t for g, t in zip(got[digit], truth[digit], strict=True))
    born_19xx = np.char.startswith(np.strings.slice(truth, 6, 8), "19")
    assert 0.25 <= old[born_19xx].mean() <= 0.35 and not old[~born_19xx].any()
    assert [idnumber.to_15(t) for t in truth[old]] == got[old].tolist()
    fine = ~(miss | digit | old)
    assert (got[fine] == truth[fine]).all()


def test_police_death_dates_are_the_true_ones_unless_swapped(county, index, tmp_path):
    df = load(write(county, "police-deaths", tmp_path, rates=X.ErrorRates.none(swap_day_month=0.3)))
    death = county.pop.people.death[np.array([index[k] for k in df["person_key"]])]
    true = [(dt.date(1970, 1, 1) + dt.timedelta(days=int(d))) for d in death]
    swapped = has_error(df, "swap_day_month:death_date").to_list()
    can = [d.day <= 12 and d.day != d.month for d in true]
    assert 0.2 <= sum(swapped) / sum(can) <= 0.4
    for got, t, s, c in zip(df["death_date"].to_list(), true, swapped, can, strict=True):
        if s:
            assert c and got == t.replace(month=t.day, day=t.month).isoformat()
        else:
            assert got == t.isoformat()
    cancelled = pl.Series(df["cancelled_on"]).str.to_date()
    assert (cancelled <= county.end).all()


def test_late_registrations(county, tmp_path):
    df = load(write(county, "police-hukou", tmp_path, rates=X.ErrorRates.none(late_registration=0.3)))
    delay = (df["registered_on"].str.to_date() - df["birth_date"].str.to_date()).dt.total_days()
    late = has_error(df, "late_registration:registered_on")
    assert 0.15 <= late.mean() <= 0.35  # late ones after the county's end are not in the file yet
    assert (delay.filter(late) >= 90).all()
    assert (delay.filter(~late) < 45).all() and (delay.filter(~late) >= 3).all()
    assert (df["registered_on"].str.to_date() <= county.end).all()


def test_missing_from_source(county, clean, tmp_path):
    for kind in ("hospital-births", "civil-marriages"):
        df = load(write(county, kind, tmp_path, rates=X.ErrorRates.none(missing_from_source=0.2)))
        full = clean[kind]
        kept = (df["in_registry"] == "1").sum() / (full["in_registry"] == "1").sum()
        assert 0.76 <= kept <= 0.84, (kind, kept)
        assert set(df["person_key"]) <= set(full["person_key"])
        # the registry's unknown births are never missing
        assert (df["in_registry"] == "0").sum() == (full["in_registry"] == "0").sum()


def test_unknown_to_registry(county, index, tmp_path):
    for kind, id_cols in (("police-deaths", ("id_number",)), ("civil-marriages", ("husband_id_number", "wife_id_number"))):
        df = load(write(county, kind, tmp_path, rates=X.ErrorRates.none(unknown_to_registry=0.1)))
        out = df.filter(df["in_registry"] == "0")
        assert 0.07 <= out.height / df.height <= 0.13, kind
        assert (out["person_key"] == "").all()
        known = set(county.id_number.tolist())
        for col in id_cols:
            for v in out[col]:
                assert idnumber.is_valid(v) and v[:6] in ORIGINS and v not in known
        name_col = "name" if kind == "police-deaths" else "husband_name"
        assert out[name_col].str.len_chars().is_between(2, 4).all()


def test_since_limits_the_dates(county, tmp_path):
    df = load(write(county, "civil-marriages", tmp_path, since=dt.date(2020, 1, 1), rates=NONE))
    assert df["date"].min() >= "2020-01-01" and df["date"].max() <= county.end.isoformat()
    assert set(df["kind"]) == {"结婚", "离婚"}
    hb = load(write(county, "hospital-births", tmp_path, since=dt.date(1980, 1, 1), rates=NONE))
    assert hb["birth_date"].min() >= "1996-01-01"
