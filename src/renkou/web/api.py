"""/api/v1: JSON over the same services, for machine clients (Bearer token) and the pages' own
scripts (session cookie + CSRF header). Every call runs with the caller's scope; a person or unit
outside it is "not found"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from renkou.auth.roles import ROLES, Permission
from renkou.core import basis as basis_mod
from renkou.core.idnumber import mask
from renkou.errors import NotFound, UserError
from renkou.registry import audit, persons
from renkou.storage.db import Actor
from renkou.web.deps import CurrentUser, User, require

router = APIRouter(prefix="/api/v1")


class PersonOut(BaseModel):
    id_number: str = Field(description="masked unless revealed")
    temp_key: str | None
    name: str
    sex: str
    birth_date: dt.date


def _out(p, shown: str | None = None) -> PersonOut:
    return PersonOut(
        id_number=shown or (mask(p.id_number) if p.id_number else ""), temp_key=p.temp_key, name=p.name, sex=p.sex, birth_date=p.birth_date
    )


@router.get("/persons", response_model=list[PersonOut])
def search_persons(request: Request, c: Annotated[User, Depends(require(Permission.PERSON_READ))], q: str) -> list[PersonOut]:
    """按姓名或证件号查找（仅限本人管辖范围）。Search by name or ID number, within the caller's area."""
    with request.app.state.db.read() as s:
        return [_out(p) for p in persons.search(s, q, scope=c.scope, locate=request.app.state.stats.locate)]


@router.get("/persons/{key}", response_model=PersonOut)
def get_person(request: Request, c: Annotated[User, Depends(require(Permission.PERSON_READ))], key: str) -> PersonOut:
    with request.app.state.db.read() as s:
        try:
            return _out(persons.get_person(s, key, scope=c.scope))
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=exc.en) from None


class RevealIn(BaseModel):
    reason: str = Field(min_length=2, max_length=400)


@router.post("/persons/{key}/reveal", response_model=PersonOut)
def reveal(request: Request, c: Annotated[User, Depends(require(Permission.PERSON_REVEAL))], key: str, body: RevealIn) -> PersonOut:
    """显示完整证件号（写入审计日志：谁、何时、为何）。The full ID number, written to the audit trail."""
    addr = request.client.host if request.client else ""
    with request.app.state.db.write(Actor(c.account.username, "web", addr)) as s:
        try:
            p = persons.get_person(s, key, scope=c.scope)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail=exc.en) from None
        try:
            shown = audit.reveal(s, p, "id_number", body.reason)
        except UserError as exc:
            raise HTTPException(status_code=422, detail=exc.en) from None
        return _out(p, shown)


class PopulationOut(BaseModel):
    code: str
    name: str
    date: dt.date
    basis: str
    male: int
    female: int
    children: list[PopulationOut] = []


@router.get("/population/{code}", response_model=PopulationOut)
def population(
    request: Request,
    c: Annotated[User, Depends(require(Permission.POPULATION_READ))],
    code: str,
    date: dt.date,
    basis: str = basis_mod.DEFAULT,
) -> PopulationOut:
    try:
        pc = request.app.state.stats.population(code, date, basis, scope=c.scope)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=exc.en) from None
    except UserError as exc:
        raise HTTPException(status_code=422, detail=exc.en) from None

    def conv(x) -> PopulationOut:
        return PopulationOut(
            code=x.code, name=x.name, date=x.date, basis=x.basis, male=x.male, female=x.female, children=[conv(k) for k in x.children]
        )

    return conv(pc)


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, c: CurrentUser) -> dict:
    """The API's OpenAPI description, for signed-in callers (an API token or the session)."""
    return request.app.openapi()


@router.get("/me")
def me(c: CurrentUser) -> dict:
    info = ROLES[c.role]
    return {"username": c.account.username, "role": c.role.value, "role_zh": info.zh, "scope_unit": c.scope.root_code}
