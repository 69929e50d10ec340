"""Reading the application's route table (renkou.web.app) in tests: every route with its methods, the
permissions its ``require`` dependencies demand, its path and query parameter names. Shared by the
route-table tests (test_routes.py) and the access harness (test_access_harness.py); it builds no
requests and signs nobody in."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

EXTRA_QUERY = ("person", "mother", "father", "partner", "pid", "page", "year")  # read by pages from the query string itself


def requirements(dependant) -> list:
    """Every ``require`` dependency of a route, however deep."""
    found = []
    for d in dependant.dependencies:
        if hasattr(d.call, "permissions"):
            found.append(d.call)
        found += requirements(d)
    return found


def routes(app) -> Iterator:
    """Every API route of ``app`` (the routes of the included routers too, with their full paths), mounts left out."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, Mount):
            continue
        assert isinstance(route.original_route, APIRoute), route
        yield route


def table(app) -> list[tuple[str, str, str]]:
    """(method, path, what it demands) of every route, sorted by path."""
    rows = []
    for route in routes(app):
        reqs = requirements(route.dependant)
        what = " ".join(
            sorted(
                {
                    (" | " if r.mode == "any" else " & ").join(map(str, r.permissions))
                    or (
                        "signed-in (before the password change)"
                        if not getattr(r, "password_change", True)
                        else "signed-in"
                        if r.second_factor
                        else "signed-in (before the second factor)"
                    )
                    for r in reqs
                }
            )
        )
        for method in sorted(route.methods):
            rows.append((method, route.path, what or "public"))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def query_names(dependant) -> set[str]:
    """The query parameters a route declares, its dependencies' too."""
    return {p.alias for p in dependant.query_params} | {n for d in dependant.dependencies for n in query_names(d)}


def path_names(dependant) -> set[str]:
    """The path parameters a route declares, its dependencies' too."""
    return {p.alias for p in dependant.path_params} | {n for d in dependant.dependencies for n in path_names(d)}
