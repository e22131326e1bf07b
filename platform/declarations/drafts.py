"""Declarations a trader has saved to finish later: kept as typed, not validated."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from singlewindow.platform.auth.models import Company
from singlewindow.platform.db.types import utcnow
from singlewindow.platform.declarations.models import DeclarationDraft
from singlewindow.platform.extensions import db


def save(draft: DeclarationDraft | None, company: Company, user_email: str,
         document: dict[str, Any]) -> DeclarationDraft:
    if draft is None:
        draft = DeclarationDraft(company_id=company.id, created_by=user_email)
        db.session.add(draft)
    draft.document = document
    draft.shipment_ref = str(document.get("shipment_ref") or "")[:100]
    draft.updated_at = utcnow()
    db.session.flush()
    return draft


def of_company(company_id: int) -> list[DeclarationDraft]:
    return list(db.session.execute(
        select(DeclarationDraft).where(DeclarationDraft.company_id == company_id)
        .order_by(DeclarationDraft.updated_at.desc())).scalars())
