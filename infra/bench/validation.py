"""How long validating a declaration takes: 1, 10 and 100 goods items against a warm
schema cache (median and p99), and building a schema from a profile version (cold).
Goal: 100 items under 10 ms median.

Baseline, in the same run: parsing and re-serialising the same document as JSON, the
least any server does with it.

    .venv/bin/python infra/bench/validation.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _setup import platform

from singlewindow.platform.catalogue import validation
from singlewindow.platform.catalogue.service import current_version
from singlewindow.platform.db.scoping import tenant_context
from singlewindow.platform.extensions import db
from singlewindow.platform.tasks import outbox
from singlewindow.provisioning import service as provisioning
from singlewindow.tenants.models import Tenant

RUNS = 300
HS = ["090240", "090230", "090111", "080440", "060311", "030489", "847130", "851713", "610910",
      "870899"]


def document(items: int) -> dict:
    return {
        "shipment_ref": "BENCH-1", "exporter_name": "Kilimanjaro Highland Teas Ltd",
        "exporter_tax_id": "P051234567X", "consignee_name": "Harbourside Tea Blenders Plc",
        "consignee_country": "GB", "destination_country": "GB", "port_of_loading": "KEMBA",
        "port_of_discharge": "GBFXT", "transport_mode": "1", "vessel_or_flight": "MSC 612W",
        "containerised": "yes", "incoterm": "FOB", "invoice_currency": "USD",
        "items": [{"item_no": n, "hs_code": HS[n % len(HS)], "goods_description": "Goods",
                   "origin_country": "KE", "quantity": "100", "unit": "KGM",
                   "net_mass_kg": "100.5", "gross_mass_kg": "110.25", "packages": 4,
                   "package_type": "CT", "container_number": "MSCU1234566",
                   "item_value": "1520.00"} for n in range(1, items + 1)],
    }


def timed(fn, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def line(label: str, samples: list[float], baseline: list[float] | None = None) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    text = (f"    {label:<26} median {statistics.median(ordered) * 1000:7.3f} ms   "
            f"p99 {p99 * 1000:7.3f} ms")
    if baseline:
        text += f"   x{statistics.median(samples) / statistics.median(baseline):6.1f} of JSON"
    return text


def main() -> None:
    with platform("embedded") as bench, bench.app.app_context():
        tenant = provisioning.start("ke", slug="bench")
        db.session.commit()
        tenant_id = tenant.id
        outbox.relay()
        assert db.session.get(Tenant, tenant_id).status == "active"
        with tenant_context(tenant_id):
            version = current_version()
            validation.validate(version, document(1))  # code lists and schema warm
            print("Validating a declaration against its catalogue profile version")
            for items in (1, 10, 100):
                doc = document(items)
                raw = json.dumps(doc)
                base = timed(lambda raw=raw: json.dumps(json.loads(raw)), RUNS)
                warm = timed(lambda doc=doc: validation.validate(version, doc), RUNS)
                print(line(f"{items} goods item(s), warm", warm, base))
                print(line("  baseline: JSON in and out", base))
            validation._cache.clear()
            cold = []
            for _ in range(50):
                validation._cache.clear()
                t0 = time.perf_counter()
                validation.schema_for(version)
                cold.append(time.perf_counter() - t0)
            print(line("building a schema (cold)", cold))
            print("    goal: 100 items under 10 ms median")


if __name__ == "__main__":
    main()
