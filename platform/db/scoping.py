"""Tenant scoping at the ORM layer.

Every tenant-owned model inherits `TenantScoped`. While a tenant is bound (per request,
per job, per CLI command), every ORM SELECT/UPDATE/DELETE gets that tenant's criteria
added and every insert is stamped with its id, so a view cannot forget the filter. With
no tenant bound, touching a tenant-owned model is an error, not "all rows": operator code
that must see every tenant says so with `platform_wide()`, in one visible place.

Known holes, closed on purpose elsewhere: `Session.get()` can answer from the identity
map without SQL, so look-ups by id go through `get_in_tenant()`; `text()` SQL is not seen
by the hook, so raw SQL lives only in migrations and the reference-data loader.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy import ForeignKey, ForeignKeyConstraint, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, declared_attr, mapped_column, with_loader_criteria

from singlewindow.platform.extensions import db

_current_tenant: ContextVar[int | None] = ContextVar("current_tenant", default=None)
_platform_wide: ContextVar[bool] = ContextVar("platform_wide", default=False)


class TenantNotBound(RuntimeError):
    """A tenant-owned table was touched with no tenant bound and no platform-wide opt-out."""


class TenantScoped:
    """Mixin for rows owned by one tenant."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


def current_tenant_id() -> int | None:
    return _current_tenant.get()


def require_tenant_id() -> int:
    tenant_id = _current_tenant.get()
    if tenant_id is None:
        raise TenantNotBound("no tenant is bound to this request, job or command")
    return tenant_id


@contextlib.contextmanager
def tenant_context(tenant_id: int) -> Iterator[None]:
    """Bind a tenant for the duration of the block (jobs, CLI commands, tests)."""
    token = _current_tenant.set(tenant_id)
    try:
        yield
    finally:
        _current_tenant.reset(token)


def bind_tenant(tenant_id: int | None):
    """Bind for the rest of the current context (a request); returns a reset token."""
    return _current_tenant.set(tenant_id)


def unbind_tenant(token) -> None:
    _current_tenant.reset(token)


@contextlib.contextmanager
def platform_wide() -> Iterator[None]:
    """The one explicit way for operator code to read and write across tenants."""
    token = _platform_wide.set(True)
    tenant_token = _current_tenant.set(None)
    try:
        yield
    finally:
        _current_tenant.reset(tenant_token)
        _platform_wide.reset(token)


def is_platform_wide() -> bool:
    return _platform_wide.get()


M = TypeVar("M")


def get_in_tenant(model: type[M], object_id: object, *options) -> M | None:
    """Load one tenant-owned row by id through SQL, so the tenant criteria always apply
    (Session.get() could return another tenant's object from the identity map)."""
    try:
        object_id = int(object_id)  # ids in URLs are text; a non-number is simply absent
    except (TypeError, ValueError):
        return None
    if not -(2**63) <= object_id < 2**63:
        return None
    return db.session.execute(
        select(model).where(model.id == object_id).options(*options)).scalar_one_or_none()


def _touches_tenant_table(state) -> bool:
    return any(
        isinstance(m.class_, type) and issubclass(m.class_, TenantScoped) for m in state.all_mappers
    )


def _known_tenant(state) -> int | None:
    """The tenant of a loaded row, read without loading anything (its attributes may have
    expired at a commit): the mapped value if present, else the one noted at load."""
    value = state.dict.get("tenant_id")
    if value is None and state.obj() is not None:
        value = getattr(state.obj(), "_loaded_tenant_id", None)
    return value


@event.listens_for(TenantScoped, "load", propagate=True)
@event.listens_for(TenantScoped, "refresh", propagate=True)
def _note_tenant(target, *args) -> None:
    # A plain attribute, outside the ORM's state, so a commit does not expire it.
    target._loaded_tenant_id = target.__dict__.get("tenant_id")


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state):
    if _platform_wide.get():
        return None
    tenant_id = _current_tenant.get()
    if tenant_id is None and state.is_select:
        # Loading more of a row already loaded (a lazy relationship, an expired attribute)
        # runs with that row's tenant bound: every tenant-owned relationship joins on
        # tenant_id too, and PostgreSQL's row-level security needs the setting to match.
        owner = state.lazy_loaded_from or getattr(state.load_options, "_refresh_state", None)
        owner_tenant = _known_tenant(owner) if owner is not None else None
        if owner_tenant is not None:
            with tenant_context(owner_tenant):
                return state.invoke_statement()
    if state.is_column_load:
        return None
    if not (state.is_select or state.is_update or state.is_delete):
        return None
    if tenant_id is None:
        if state.is_relationship_load:
            return None
        if _touches_tenant_table(state):
            raise TenantNotBound(
                "query on a tenant-owned table with no tenant bound; bind one with "
                "tenant_context() or opt out visibly with platform_wide()"
            )
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )
    return None


@event.listens_for(Session, "transient_to_pending")
def _stamp_on_add(session: Session, obj) -> None:
    """Stamp the tenant when a row is added, so it belongs to the tenant bound *then*,
    even if the flush happens later (after the block that bound it)."""
    if isinstance(obj, TenantScoped) and obj.tenant_id is None:
        tenant_id = _current_tenant.get()
        if tenant_id is not None:
            obj.tenant_id = tenant_id
    if isinstance(obj, TenantScoped):
        obj._loaded_tenant_id = obj.tenant_id


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, flush_context, instances) -> None:
    tenant_id = _current_tenant.get()
    wide = _platform_wide.get()
    for obj in list(session.new) + list(session.dirty):
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantNotBound(f"cannot insert {type(obj).__name__} with no tenant bound")
            obj.tenant_id = tenant_id
            obj._loaded_tenant_id = tenant_id
        elif not wide and tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantNotBound(
                f"{type(obj).__name__} of tenant {obj.tenant_id} written while tenant "
                f"{tenant_id} is bound"
            )


def tenant_fk(column: str, table: str, ondelete: str | None = "CASCADE") -> ForeignKeyConstraint:
    """A composite foreign key (tenant_id, <column>) -> <table>(tenant_id, id): a child row
    can only ever point at a parent of its own tenant, whatever the code above does."""
    return ForeignKeyConstraint(
        ["tenant_id", column], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )


def tenant_unique_id() -> UniqueConstraint:
    """The (tenant_id, id) key that tenant_fk() references."""
    return UniqueConstraint("tenant_id", "id")
