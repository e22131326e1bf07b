"""Per-agency answers and the one status derived from them.

A declaration is released only when every required agency has released it, rejected as
soon as one required agency rejects it, and otherwise stands where its furthest-behind
required agency stands (a query or an inspection is shown, not hidden behind others).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

# Delivery states (set by the platform) and answers (set by agencies).
QUEUED, SENT, FAILED = "queued", "sent", "failed"
RECEIVED, QUERY, INSPECT, ACCEPTED, REJECTED, RELEASED = (
    "received", "query", "inspect", "accepted", "rejected", "released",
)
ANSWERS = (RECEIVED, QUERY, INSPECT, ACCEPTED, REJECTED, RELEASED)

# Declaration states.
SUBMITTED = "submitted"
FINAL = (RELEASED, REJECTED)

_PROGRESS = {
    QUEUED: 0, FAILED: 0, SENT: 1, RECEIVED: 2, QUERY: 3, INSPECT: 3, ACCEPTED: 4, RELEASED: 5,
}

LABELS = {
    QUEUED: "Queued", SENT: "Sent", FAILED: "Delivery failed", RECEIVED: "Received",
    QUERY: "Query", INSPECT: "Inspection", ACCEPTED: "Accepted", REJECTED: "Rejected",
    RELEASED: "Released", SUBMITTED: "Submitted",
}


class HasStatus(Protocol):
    status: str
    required: bool


def aggregate(submissions: Iterable[HasStatus]) -> str:
    subs = list(submissions)
    if not subs:
        return RELEASED  # no agency has to act on it
    deciding = [s for s in subs if s.required] or subs
    if any(s.status == REJECTED for s in deciding):
        return REJECTED
    lowest = min(_PROGRESS[s.status] for s in deciding)
    at_lowest = {s.status for s in deciding if _PROGRESS[s.status] == lowest}
    if lowest <= _PROGRESS[SENT]:
        return SUBMITTED
    if lowest == _PROGRESS[QUERY]:
        return QUERY if QUERY in at_lowest else INSPECT
    return at_lowest.pop()


def label(status: str) -> str:
    return LABELS.get(status, status.title())
