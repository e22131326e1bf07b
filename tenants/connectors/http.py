"""Outgoing HTTP for connectors and the simulated agency.

`*.localhost` names resolve to loopback in browsers but not in every C library, so a
request to one is sent to 127.0.0.1 with the original Host header kept: the tenant is
chosen by the Host header either way.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import requests


def _loopback(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    headers = dict(headers)
    if (parts.hostname or "").endswith(".localhost"):
        headers["Host"] = parts.netloc
        netloc = "127.0.0.1" + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url, headers


def post(url: str, body: bytes, headers: dict[str, str], timeout: float,
         session: requests.Session | None = None) -> requests.Response:
    url, headers = _loopback(url, headers)
    sender = session or requests
    return sender.post(url, data=body, headers=headers, timeout=timeout, allow_redirects=False)


def get(url: str, timeout: float, headers: dict[str, str] | None = None) -> requests.Response:
    url, headers = _loopback(url, headers or {})
    return requests.get(url, headers=headers, timeout=timeout, allow_redirects=False)
