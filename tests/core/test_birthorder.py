"""Birth order (孩次), DOMAIN.md §4: living children at the time of the birth, plus this one."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkou.core.birthorder import RULES, Child, birth_order

D = dt.date

A = Child(1, D(2010, 3, 1), father=100)
B = Child(2, D(2013, 6, 1), father=100)
C = Child(3, D(2016, 9, 1), father=100)
FAMILY = [A, B, C]


@pytest.mark.parametrize("rule", ["mother", "couple"])
@pytest.mark.parametrize(("this", "expected"), [(A, 1), (B, 2), (C, 3)])
def test_first_second_third(this, expected, rule):
    assert birth_order(this, FAMILY, rule) == expected


def test_default_rule_is_mother():
    other_father = Child(9, D(2005, 1, 1), father=200)
    assert birth_order(B, [other_father, A, B]) == birth_order(B, [other_father, A, B], "mother") == 3


@pytest.mark.parametrize("rule", ["mother", "couple"])
def test_order_of_siblings_in_list_does_not_matter(rule):
    assert [birth_order(c, [C, A, B], rule) for c in FAMILY] == [1, 2, 3]


def test_this_need_not_be_in_the_list():
    assert birth_order(C, [A, B]) == 3
    assert birth_order(A, []) == 1


def test_later_children_do_not_count():
    assert birth_order(A, [A, B, C]) == 1
    assert birth_order(B, [C]) == 1


@pytest.mark.parametrize(
    ("death", "expected"),
    [
        (D(2012, 1, 1), 1),  # died before B was born: does not count
        (D(2013, 5, 31), 1),  # died the day before
        (D(2013, 6, 1), 1),  # died on B's birth date: not living at the birth (died "on or before")
        (D(2013, 6, 2), 2),  # died the day after: counts
        (D(2020, 1, 1), 2),  # died years later: counts
        (None, 2),  # still alive
    ],
)
@pytest.mark.parametrize("rule", ["mother", "couple"])
def test_deceased_sibling(death, expected, rule):
    a = Child(1, D(2010, 3, 1), death_date=death, father=100)
    assert birth_order(B, [a, B], rule) == expected


def test_dead_children_are_skipped_but_living_ones_still_count():
    dead = Child(1, D(2008, 1, 1), death_date=D(2009, 1, 1))
    living = Child(2, D(2010, 1, 1))
    third = Child(3, D(2012, 1, 1))
    fourth = Child(4, D(2014, 1, 1))
    assert [birth_order(c, [dead, living, third, fourth]) for c in (dead, living, third, fourth)] == [1, 1, 2, 3]


def test_this_childs_own_death_does_not_matter():
    a = Child(1, D(2010, 3, 1))
    b = Child(2, D(2013, 6, 1), death_date=D(2013, 6, 1))  # died the day it was born
    assert birth_order(b, [a, b]) == 2


@pytest.mark.parametrize("rule", ["mother", "couple"])
def test_twins_are_ordered_by_key(rule):
    t1 = Child(10, D(2018, 4, 4), father=100)
    t2 = Child(11, D(2018, 4, 4), father=100)
    assert birth_order(t1, [A, t1, t2], rule) == 2
    assert birth_order(t2, [A, t1, t2], rule) == 3
    assert birth_order(t2, [t2, t1, A], rule) == 3


def test_triplets():
    kids = [Child(k, D(2020, 1, 1)) for k in (7, 5, 6)]
    assert {k.key: birth_order(k, kids) for k in kids} == {5: 1, 6: 2, 7: 3}


def test_twin_who_died_at_birth_does_not_count_for_the_other():
    # the first twin died on the shared birth date: not living "at the time" of the second birth
    t1 = Child(1, D(2018, 4, 4), death_date=D(2018, 4, 4))
    t2 = Child(2, D(2018, 4, 4))
    assert birth_order(t2, [t1, t2]) == 1


def test_couple_rule_excludes_children_of_another_father():
    earlier_marriage = Child(1, D(2005, 1, 1), father=200)
    first_joint = Child(2, D(2012, 1, 1), father=300)
    second_joint = Child(3, D(2015, 1, 1), father=300)
    kids = [earlier_marriage, first_joint, second_joint]
    assert birth_order(second_joint, kids, "mother") == 3
    assert birth_order(second_joint, kids, "couple") == 2
    assert birth_order(first_joint, kids, "mother") == 2
    assert birth_order(first_joint, kids, "couple") == 1
    # the earlier child's own order does not change
    assert birth_order(earlier_marriage, kids, "couple") == 1


def test_couple_rule_excludes_siblings_with_unknown_father():
    unknown = Child(1, D(2005, 1, 1), father=None)
    this = Child(2, D(2012, 1, 1), father=300)
    assert birth_order(this, [unknown, this], "mother") == 2
    assert birth_order(this, [unknown, this], "couple") == 1


def test_couple_rule_with_unknown_father_of_this_child_is_first():
    earlier = Child(1, D(2005, 1, 1), father=None)
    this = Child(2, D(2012, 1, 1), father=None)
    assert birth_order(this, [earlier, this], "couple") == 1
    assert birth_order(this, [earlier, this], "mother") == 2


def test_couple_rule_still_drops_dead_joint_children():
    dead = Child(1, D(2010, 1, 1), death_date=D(2011, 1, 1), father=300)
    alive = Child(2, D(2012, 1, 1), father=300)
    this = Child(3, D(2015, 1, 1), father=300)
    assert birth_order(this, [dead, alive, this], "couple") == 2


@pytest.mark.parametrize("rule", ["", "Mother", "father", "joint", None])
def test_unknown_rule_raises(rule):
    with pytest.raises(ValueError, match="rule"):
        birth_order(A, FAMILY, rule)


def test_rules_catalogue():
    assert RULES == ("mother", "couple")


# --- properties -----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.dates(min_value=D(1950, 1, 1), max_value=D(2030, 12, 31)), min_size=1, max_size=12, unique=True),
    st.randoms(use_true_random=False),
)
def test_mother_rule_no_deaths_orders_are_1_to_n(dates, rnd):
    kids = [Child(key, d) for key, d in enumerate(dates)]
    shuffled = kids[:]
    rnd.shuffle(shuffled)
    orders = {k.key: birth_order(k, shuffled, "mother") for k in kids}
    assert sorted(orders.values()) == list(range(1, len(kids) + 1))
    by_date = sorted(kids, key=lambda k: k.birth_date)
    assert [orders[k.key] for k in by_date] == list(range(1, len(kids) + 1))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.dates(min_value=D(2000, 1, 1), max_value=D(2010, 12, 31)),
            st.one_of(st.none(), st.integers(min_value=0, max_value=4000)),
            st.sampled_from([None, 1, 2]),
        ),
        min_size=1,
        max_size=8,
    ),
)
def test_order_is_one_plus_living_earlier_siblings(rows):
    """Cross-check against a direct reading of the definition, with deaths, twins and two fathers."""
    kids = [
        Child(key, born, None if died_after is None else born + dt.timedelta(days=died_after), father)
        for key, (born, died_after, father) in enumerate(rows)
    ]
    for this in kids:
        earlier_living = [
            s
            for s in kids
            if (s.birth_date < this.birth_date or (s.birth_date == this.birth_date and s.key < this.key))
            and (s.death_date is None or s.death_date > this.birth_date)
        ]
        mother = birth_order(this, kids, "mother")
        couple = birth_order(this, kids, "couple")
        assert mother == 1 + len(earlier_living)
        joint = [s for s in earlier_living if this.father is not None and s.father == this.father]
        assert couple == 1 + len(joint)
        assert 1 <= couple <= mother <= len(kids)
