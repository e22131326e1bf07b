"""HMAC signatures over the raw body, with a timestamp against replays.

Header: `X-SW-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body>`.
The same scheme signs messages to agencies and their answers back.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-SW-Signature"
TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    pass


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, header: str | None, body: bytes,
           tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> None:
    if not header:
        raise SignatureError(f"missing {HEADER} header")
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        t = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError):
        raise SignatureError(f"malformed {HEADER} header") from None
    now = time.time() if now is None else now
    if abs(now - t) > tolerance:
        raise SignatureError("signature timestamp outside the allowed window")
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise SignatureError("signature does not match the body")
