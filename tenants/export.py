"""Exporting a tenant to one archive, and restoring it into a platform that does not
have it.

The archive is a zip: `manifest.json` (format, schema revision, the tenant row, and per
table its row count and the SHA-256 of its data file) and `tables/<table>.jsonl`, one
JSON object per row, for every tenant-owned table. Jobs in flight, access tokens and
sign-in sessions are not exported: they belong to a running system, not to its data.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from flask import current_app
from sqlalchemy import Table, func, insert, select, text

from singlewindow.platform import audit
from singlewindow.platform.db.scoping import TenantScoped, platform_wide
from singlewindow.platform.db.types import DecimalType, UTCDateTime, utcnow
from singlewindow.platform.extensions import db
from singlewindow.tenants import resolution
from singlewindow.tenants.models import Tenant

FORMAT = "singlewindow-tenant-export"
VERSION = 1
SKIPPED_TABLES = {"oauth_tokens"}  # credentials of a running system, reissued on demand


class RestoreError(ValueError):
    pass


def tenant_tables() -> list[Table]:
    """Tenant-owned tables, parents before children."""
    owned = {m.class_.__table__.name for m in db.Model.registry.mappers
             if issubclass(m.class_, TenantScoped)}
    return [t for t in db.metadata.sorted_tables if t.name in owned and t.name not in SKIPPED_TABLES]


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(table: Table, mapping: dict[str, Any]) -> dict[str, Any]:
    return {c.name: _plain(mapping[c.name]) for c in table.columns}


def schema_revision() -> str:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or ""


def export(tenant: Tenant, actor: str) -> bytes:
    """The tenant's data as a zip archive (bytes); records that it was exported."""
    buffer = io.BytesIO()
    manifest: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "exported_at": utcnow().isoformat(),
        "schema_revision": schema_revision(),
        "tenant": _row(Tenant.__table__, db.session.execute(
            select(Tenant.__table__).where(Tenant.id == tenant.id)).mappings().one()),
        "tables": {},
    }
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, platform_wide():
        for table in tenant_tables():
            rows = db.session.execute(
                select(table).where(table.c.tenant_id == tenant.id).order_by(*table.primary_key)
            ).mappings()
            lines = [json.dumps(_row(table, r), ensure_ascii=False, sort_keys=True) for r in rows]
            data = ("\n".join(lines) + ("\n" if lines else "")).encode()
            archive.writestr(f"tables/{table.name}.jsonl", data)
            manifest["tables"][table.name] = {"rows": len(lines),
                                              "sha256": hashlib.sha256(data).hexdigest()}
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    tenant.exported_at = utcnow()
    audit.record(actor, "tenant.export", f"tenant:{tenant.slug}",
                 f"{sum(t['rows'] for t in manifest['tables'].values())} rows exported",
                 tables={k: v["rows"] for k, v in manifest["tables"].items()})
    db.session.commit()
    return buffer.getvalue()


def save(tenant: Tenant, data: bytes) -> Path:
    """Keep an export in the instance folder for download (removed when retired)."""
    folder = Path(current_app.instance_path) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{tenant.slug}--{utcnow():%Y%m%dT%H%M%SZ}.zip"
    path.write_bytes(data)
    return path


def _value(column, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, UTCDateTime):
        return datetime.fromisoformat(value)
    if isinstance(column.type, DecimalType):
        return Decimal(value)
    return value


def read_manifest(data: bytes) -> dict[str, Any]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise RestoreError(f"not a tenant export archive: {exc}") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise RestoreError("not a tenant export archive of this format version")
    return manifest


def restore(data: bytes, actor: str) -> Tenant:
    """Load an export into this platform, keeping every id (so links inside the data
    hold). Refused if the tenant, or any of its ids, already exists here."""
    manifest = read_manifest(data)
    if manifest["schema_revision"] != schema_revision():
        raise RestoreError(f"the archive is of schema {manifest['schema_revision']}; this "
                           f"platform is at {schema_revision()}: restore it on a platform of "
                           "the same version")
    archive = zipfile.ZipFile(io.BytesIO(data))
    tenant_row = manifest["tenant"]
    with platform_wide():
        clash = db.session.execute(select(Tenant.id).where(
            (Tenant.slug == tenant_row["slug"]) | (Tenant.id == tenant_row["id"]))).first()
        if clash is not None:
            raise RestoreError(f"tenant {tenant_row['slug']!r} (or its id) already exists here")
        tables = {t.name: t for t in tenant_tables()}
        unknown = set(manifest["tables"]) - set(tables)
        if unknown:
            raise RestoreError(f"unknown tables in the archive: {', '.join(sorted(unknown))}")
        t = Tenant.__table__
        db.session.execute(insert(t).values(
            **{c.name: _value(c, tenant_row.get(c.name)) for c in t.columns}))
        for name, table in tables.items():
            if name not in manifest["tables"]:
                continue
            raw = archive.read(f"tables/{name}.jsonl")
            if hashlib.sha256(raw).hexdigest() != manifest["tables"][name]["sha256"]:
                raise RestoreError(f"tables/{name}.jsonl does not match its checksum")
            rows = [{c.name: _value(c, r.get(c.name)) for c in table.columns}
                    for r in map(json.loads, raw.decode().splitlines())]
            if rows:
                db.session.execute(insert(table), rows)
        _advance_sequences([t, *tables.values()])
        audit.record(actor, "tenant.restore", f"tenant:{tenant_row['slug']}",
                     "restored from an export archive")
        db.session.commit()
    resolution.invalidate()
    return db.session.get(Tenant, tenant_row["id"])


def _advance_sequences(tables: list[Table]) -> None:
    """PostgreSQL: restored rows kept their ids, so move each id sequence past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        top = db.session.execute(select(func.max(table.c.id))).scalar()  # all tenants' rows
        if top:
            # Sequence arithmetic, not tenant data: the one raw statement outside migrations.
            db.session.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                               {"t": table.name, "v": top})
