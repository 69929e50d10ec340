"""The paging of long lists (renkou.web.paging): whatever the query says, the page asked for is one that
exists, its rows are the right slice of the total, and the links keep the list's other parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from renkou.web import paging


def request(query: str, path: str = "/orgs") -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})


@given(page=st.text(max_size=12), size=st.text(max_size=6), total=st.integers(min_value=0, max_value=10**7))
def test_any_query_gives_a_page_that_exists(page, size, total):
    pg = paging.asked(request(urlencode({"page": page, "size": size})), total)
    assert 1 <= pg.number <= pg.pages and pg.size in paging.SIZES
    assert pg.offset == (pg.number - 1) * pg.size and pg.offset <= max(total - 1, 0)
    assert pg.last - pg.first + 1 == min(pg.size, total - pg.offset) if total else (pg.first, pg.last) == (0, 0)


@given(number=st.integers(min_value=-5, max_value=10**6), total=st.integers(min_value=0, max_value=10**6))
def test_the_pages_cover_every_row_once(number, total):
    pg = paging.page_of(number, 50, total)
    assert pg.pages == max(1, -(-total // 50))
    assert pg.number == min(max(number, 1), pg.pages)
    assert pg.has_prev == (pg.number > 1) and pg.has_next == (pg.number < pg.pages)


@pytest.mark.parametrize(
    ("query", "total", "number", "first", "last"),
    [
        ("", 0, 1, 0, 0),
        ("", 250, 1, 1, 100),
        ("page=3", 250, 3, 201, 250),
        ("page=4", 250, 3, 201, 250),  # past the end: the last page
        ("page=0", 250, 1, 1, 100),
        ("page=-2", 250, 1, 1, 100),
        ("page=２", 250, 1, 1, 100),  # a full-width digit is not a page number
        ("page=2&size=20", 250, 2, 21, 40),
        ("page=2&size=33", 250, 2, 101, 200),  # a size not offered: the default
    ],
)
def test_pages_by_example(query, total, number, first, last):
    pg = paging.asked(request(query), total)
    assert (pg.number, pg.first, pg.last) == (number, first, last)


def test_the_links_keep_the_other_parameters_and_drop_the_done_message():
    pg = paging.asked(request("date=2024-01-01&page=2&size=20&done=saved&q=%E8%B5%B5"), 100)
    nxt = urlsplit(pg.url(pg.number + 1))
    assert nxt.path == "/orgs"
    assert parse_qs(nxt.query) == {"date": ["2024-01-01"], "q": ["赵"], "page": ["3"], "size": ["20"]}
    assert "size" not in parse_qs(urlsplit(paging.asked(request("page=2"), 500).url(1)).query)  # the default size is not repeated


def test_a_list_of_its_own_page_size_and_address():
    """A list may page by its own size (also one not in SIZES, as tests use) and name its own address and
    filters — a page shown again after a refused POST pages the list, not the POST's address."""
    pg = paging.asked(
        request("page=2", path="/benefits/exits/7/confirm"), 5, default_size=2, path="/benefits/exits", query=(("status", "proposed"),)
    )
    assert (pg.number, pg.size, pg.first, pg.last, pg.pages) == (2, 2, 3, 4, 3)
    assert pg.url(3) == "/benefits/exits?status=proposed&page=3"  # the list's own size is not repeated
    asked_20 = paging.asked(request("size=20&junk=1"), 45, default_size=2, query=())
    assert asked_20.size == 20 and parse_qs(urlsplit(asked_20.url(2)).query) == {"page": ["2"], "size": ["20"]}
    assert paging.asked(request("size=7"), 45, default_size=2).size == 2  # a size not offered: the list's own


def test_a_second_list_on_a_page_pages_by_its_own_parameter_and_keeps_the_first_ones():
    req = request("page=3&results=2&size=20&done=result", path="/benefits/batches/7")
    lines, answers = paging.asked(req, 100), paging.asked(req, 100, key="results")
    assert (lines.number, answers.number) == (3, 2) and lines.size == answers.size == 20
    assert parse_qs(urlsplit(answers.url(3)).query) == {"page": ["3"], "results": ["3"], "size": ["20"]}
    assert parse_qs(urlsplit(lines.url(4)).query) == {"results": ["2"], "page": ["4"], "size": ["20"]}
