"""The `api` connector: the message set as signed JSON over HTTP(S); the agency answers
`received` at once and calls back later with its decisions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from singlewindow.tenants.connectors import http, signing


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Delivered:
    status: str  # the agency's immediate answer, normally "received"
    reference: str
    http_status: int


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def send(endpoint: str, secret: str, agency_code: str, message: dict[str, Any],
         timeout: float) -> Delivered:
    if not endpoint:
        raise DeliveryError("the connector has no endpoint configured", retryable=False)
    body = encode(message)
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": message["message_id"],
        "X-SW-Agency": agency_code,
        signing.HEADER: signing.sign(secret, body),
    }
    try:
        response = http.post(endpoint, body, headers, timeout=timeout)
    except requests.Timeout:
        raise DeliveryError(f"no answer from {endpoint} within {timeout:g} s", True) from None
    except requests.ConnectionError as exc:
        raise DeliveryError(f"cannot reach {endpoint}: {type(exc).__name__}", True) from None
    if response.status_code in (408, 425, 429) or response.status_code >= 500:
        raise DeliveryError(f"agency answered HTTP {response.status_code}", True)
    if response.status_code >= 400:
        raise DeliveryError(
            f"agency refused the message: HTTP {response.status_code} {response.text[:300]}",
            retryable=False,
        )
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    return Delivered(str(answer.get("status") or "received"), str(answer.get("reference") or ""),
                     response.status_code)
