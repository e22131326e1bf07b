"""rq jobs of declarations: thin, they take ids and call the services."""

from __future__ import annotations

from singlewindow.platform.declarations import dispatch


def deliver(submission_id: int) -> None:
    """Deliver one agency submission (queue: dispatch)."""
    dispatch.deliver(submission_id)
