"""The simulated agency's brain: remembers every message (counting repeats by message id,
so tests can prove exactly-once effect), decides its answers from the scenario, and calls
back the window with each answer, signed, at its due time."""

from __future__ import annotations

import heapq
import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from singlewindow.tenants.connectors import http, signing

log = logging.getLogger(__name__)
SCENARIO_FILE = Path(__file__).with_name("scenario.json")


@dataclass
class Received:
    agency: str
    kind: str
    message: dict[str, Any]
    reference: str
    deliveries: int = 1
    answers_sent: list[str] = field(default_factory=list)


class Engine:
    def __init__(self, secret: str, time_scale: float = 1.0, scenario: dict | None = None):
        self.secret = secret
        self.time_scale = time_scale
        self.scenario = scenario or json.loads(SCENARIO_FILE.read_text(encoding="utf-8"))
        self.messages: dict[str, Received] = {}
        self._lock = threading.Lock()
        self._heap: list[tuple[float, int, dict]] = []
        self._wake = threading.Condition(self._lock)
        self._seq = 0
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sim-callback")
        self._http = requests.Session()
        self._stopped = False
        threading.Thread(target=self._run, name="sim-scheduler", daemon=True).start()

    # -- receiving -------------------------------------------------------------------------
    def receive(self, kind: str, agency: str, message: dict[str, Any]) -> Received:
        """Record a message; a repeat of a known message id changes nothing but the count."""
        key = message["message_id"]
        with self._lock:
            known = self.messages.get(key)
            if known is not None:
                known.deliveries += 1
                return known
            reference = f"{agency.upper()}-{len(self.messages) + 1:06d}"
            record = Received(agency, kind, message, reference)
            self.messages[key] = record
        self._schedule(record)
        return record

    def answers_for(self, kind: str, message: dict[str, Any]) -> list[list]:
        spec = self.scenario["kinds"].get(kind) or self.scenario["kinds"]["_other"]
        for rule in spec.get("rules", []):
            if _matches(rule.get("when", {}), message):
                return rule["answers"]
        return spec["default"]

    def _schedule(self, record: Received) -> None:
        due = time.monotonic()
        for sequence, (status, delay, reason) in enumerate(
                self.answers_for(record.kind, record.message), start=1):
            due += float(delay) * self.time_scale
            self._push(due, {"record": record, "status": status, "reason": reason,
                             "sequence": sequence})

    def _push(self, due: float, job: dict) -> None:
        with self._wake:
            self._seq += 1
            heapq.heappush(self._heap, (due, self._seq, job))
            self._wake.notify()

    # -- calling back ----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._wake.wait(timeout)
                if self._stopped:
                    return
                _, _, job = heapq.heappop(self._heap)
            self._pool.submit(self._callback, job)

    def _callback(self, job: dict) -> None:
        try:
            self._send(job)
        except Exception:  # never lose an answer silently inside the pool
            log.exception("simulated agency failed to call back")

    def _send(self, job: dict) -> None:
        record: Received = job["record"]
        body = json.dumps({
            "message_id": record.message["message_id"],
            "event_id": job.get("event_id") or str(uuid.uuid4()),
            "sequence": job["sequence"],
            "status": job["status"],
            "reason": job["reason"],
            "reference": record.reference,
        }).encode()
        headers = {"Content-Type": "application/json", "X-SW-Agency": record.message["agency"],
                   signing.HEADER: signing.sign(self.secret, body)}
        attempt = job.get("attempt", 0)
        try:
            response = http.post(record.message["callback_url"], body, headers, timeout=10,
                                 session=self._http)
            if response.status_code >= 500:
                raise requests.HTTPError(f"HTTP {response.status_code}")
            if response.status_code >= 400:
                log.warning("window refused answer %s for %s: HTTP %s %s", job["status"],
                            record.reference, response.status_code, response.text[:200])
            with self._lock:
                record.answers_sent.append(job["status"])
        except requests.RequestException as exc:
            if attempt < 6:  # the window may be restarting: try again, a little later each time
                retry = dict(job, attempt=attempt + 1,
                             event_id=json.loads(body)["event_id"])
                self._push(time.monotonic() + 0.5 * 2**attempt, retry)
            else:
                log.error("giving up calling back %s: %s", record.reference, exc)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "messages": len(self.messages),
                "deliveries": sum(r.deliveries for r in self.messages.values()),
                "duplicates": sum(r.deliveries - 1 for r in self.messages.values()),
                "answers_sent": sum(len(r.answers_sent) for r in self.messages.values()),
                "pending_answers": len(self._heap),
            }

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._pool.shutdown(wait=False)


def _matches(when: dict[str, Any], message: dict[str, Any]) -> bool:
    items = message.get("items", [])
    data = message.get("data", {})
    if "hs_prefixes" in when and not any(
            str(i.get("hs_code", "")).startswith(tuple(when["hs_prefixes"])) for i in items):
        return False
    destinations = when.get("destination_countries")
    if destinations is not None and data.get("destination_country") not in destinations:
        return False
    if "min_total_value" in when:
        total = sum(Decimal(str(i.get("item_value") or 0)) for i in items)
        if total < Decimal(when["min_total_value"]):
            return False
    return True
