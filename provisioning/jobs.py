"""rq jobs of provisioning (queue: provisioning)."""

from __future__ import annotations

from singlewindow.platform.db.scoping import require_tenant_id
from singlewindow.provisioning import service


def provision(template_name: str) -> None:
    """Run the remaining provisioning steps of the bound tenant; safe to run again."""
    service.run(require_tenant_id(), template_name)
