"""The generated county shows the published national patterns (targets and tolerances in
renkou/synth/data/targets.json), measured on a 100,000-person county from what the registry holds."""

from __future__ import annotations

import numpy as np
import pytest

from renkou.synth import build, calibration
from renkou.synth.demography import targets
from renkou.synth.simulate import K

SEED = 1


@pytest.fixture(scope="module")
def county() -> build.County:
    return build.generate(100_000, SEED)


@pytest.fixture(scope="module")
def results(county) -> dict[str, calibration.Result]:
    return {r.name: r for r in calibration.check(county.pop)}


def test_the_county_has_about_the_asked_number_of_person_records(county):
    assert 90_000 <= build.summary(county)["persons"] <= 110_000


@pytest.mark.parametrize("name", [c["name"] for c in targets()["checks"]])
def test_calibration_target(results, name):
    r = results[name]
    assert r.ok, f"{name}: measured {r.value}, target {r.target} ± {r.tolerance}" + (f", at least {r.at_least}" if r.at_least else "")


def test_second_births_were_more_skewed_at_the_peak_than_after_2020(results):
    assert results["srb_second_births_peak"].value > results["srb_second_births_after_2020"].value + 15


def test_fertility_fell_and_marriage_came_later(county):
    m = calibration.Measure(county.pop)
    assert m.tfr(1965) > 5 > 2.8 > m.tfr(1995) > 1.2
    assert m.mean_age_first_marriage((2018, 2022)) - m.mean_age_first_marriage((1978, 1982)) > 3.5


def test_a_check_fails_when_the_data_do_not_show_the_pattern(county):
    """The measurement reads the data: make every baby a boy and the sex-ratio checks fail."""
    pop = county.pop
    saved = pop.people.sex.copy()
    try:
        births = pop.events["person"][pop.events["kind"] == K["birth"]]
        pop.people.sex[births] = 0
        bad = {r.name: r for r in calibration.check(pop)}
    finally:
        pop.people.sex[:] = saved
    assert not bad["srb_first_births_peak"].ok and not bad["srb_overall_after_2020"].ok
    assert bad["e0_2020"].ok and bad["first_marriage_age_1980"].ok  # figures that do not depend on sex still pass


def test_age_structure_is_close_to_the_census_in_every_group(county, results):
    m = calibration.Measure(county.pop)
    import datetime as dt

    from renkou.core.dates import day

    shares = m.age_sex_shares(day(dt.date(2020, 11, 1))).sum(axis=1)
    census = calibration.census_shares().sum(axis=1)
    assert np.abs(shares - census).max() < 2.5  # no 5-year group off by more than 2.5 points
