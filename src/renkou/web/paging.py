"""Long lists in pages: the page number and page size asked for in the query (``?page=``, ``?size=``),
clamped to what exists, and the links to the page before and after that keep every other parameter.

    pg = paging.asked(request, total)                 # after counting the rows
    rows = query.offset(pg.offset).limit(pg.size)     # only this page's rows are read
    render(..., pg=pg)                                # {% from "paging.html" import pager %}{{ pager(pg, "orgs") }}

The macro (templates/paging.html) shows "第 x–y 条，共 N 条" and the previous / next links. A number that
is not one (``?page=abc``) is page 1, a page after the last is the last: a bookmark never fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

__all__ = ["DEFAULT_SIZE", "SIZES", "Page", "asked", "page_of"]

DEFAULT_SIZE = 100
SIZES = (20, 50, 100, 200, 500)


@dataclass(frozen=True)
class Page:
    number: int  # 1-based, within 1..pages
    size: int
    total: int
    path: str = ""  # the list's URL path
    query: tuple[tuple[str, str], ...] = ()  # the other query parameters, kept by the links
    default: int = DEFAULT_SIZE  # the list's own page size, which the links do not repeat
    key: str = "page"  # the query parameter of the page number (another for a second list on the same page)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:
        """The 1-based position of the first row shown (0 when there is none)."""
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def url(self, number: int) -> str:
        """The list's URL at page ``number``, with the same size and other parameters."""
        params = [*self.query, (self.key, str(number))]
        if self.size != self.default:
            params.append(("size", str(self.size)))
        return f"{self.path}?{urlencode(params)}"


def _whole(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def page_of(
    number: int | None,
    size: int | None,
    total: int,
    *,
    path: str = "",
    query: tuple[tuple[str, str], ...] = (),
    default_size: int = DEFAULT_SIZE,
    key: str = "page",
) -> Page:
    """Page ``number`` of ``total`` rows by ``size`` (one of SIZES, else the list's ``default_size``), clamped
    to the pages there are."""
    size = size if size in SIZES else max(default_size, 1)
    total = max(total, 0)
    pages = max(1, -(-total // size))
    return Page(min(max(number or 1, 1), pages), size, total, path, query, max(default_size, 1), key)


def asked(
    request: Request,
    total: int,
    *,
    default_size: int = DEFAULT_SIZE,
    path: str | None = None,
    query: tuple[tuple[str, str], ...] | None = None,
    key: str = "page",
) -> Page:
    """The page the request asks for (``page``, ``size``) of ``total`` rows; the links keep the other parameters.

    ``path`` and ``query``: the list's address and filters when they are not the request's own — a page shown
    again after a refused POST (``/benefits/exits/7/confirm``) pages ``/benefits/exits`` with its filters.
    ``key``: the page number's parameter, for a second list on a page (``?results=2``); each list's links keep
    the other's page."""
    qp = request.query_params
    size = _whole(qp.get("size"))
    if query is None:
        query = tuple((k, v) for k, v in qp.multi_items() if k not in (key, "size", "done"))
    return page_of(
        _whole(qp.get(key)), size, total, path=request.url.path if path is None else path, query=query, default_size=default_size, key=key
    )
