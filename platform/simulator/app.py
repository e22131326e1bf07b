"""The simulated agency service: a small HTTP service that behaves like a government
agency's system, so every tenant, demo and test has real agencies to talk to over HTTP.

POST /agencies/<kind>/<agency>/messages   a signed message from a window; answers 202
                                           "received" and later calls back the window
GET  /agencies/<kind>/<agency>/messages   connection test
GET  /health, GET /stats                   liveness, and counts (duplicates included)
"""

from __future__ import annotations

import json
import threading
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

from singlewindow.platform.simulator.engine import Engine
from singlewindow.tenants.connectors import signing


def create_simulator(secret: str, time_scale: float = 1.0,
                     scenario: dict[str, Any] | None = None) -> Flask:
    app = Flask("singlewindow.simulator")
    engine = Engine(secret, time_scale, scenario)
    app.extensions["engine"] = engine

    @app.get("/health")
    def health():
        return jsonify({"status": "up", "service": "simulated-agency"})

    @app.get("/stats")
    def stats():
        return jsonify(engine.stats())

    @app.get("/agencies/<kind>/<agency>/messages")
    def probe(kind: str, agency: str):
        return jsonify({"agency": agency, "kind": kind, "status": "up"})

    @app.post("/agencies/<kind>/<agency>/messages")
    def receive(kind: str, agency: str):
        raw = request.get_data()
        try:
            signing.verify(secret, request.headers.get(signing.HEADER), raw)
        except signing.SignatureError as exc:
            return jsonify({"error": "invalid_signature", "detail": str(exc)}), 401
        try:
            message = json.loads(raw)
            message["message_id"], message["callback_url"], message["agency"]
        except (ValueError, KeyError, TypeError):
            return jsonify({"error": "invalid_message"}), 400
        record = engine.receive(kind, agency, message)
        return jsonify({"status": "received", "reference": record.reference,
                        "deliveries": record.deliveries}), 202

    return app


class SimulatorServer:
    """Runs the simulator on a loopback port in a background thread."""

    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0,
                 time_scale: float = 1.0):
        self.app = create_simulator(secret, time_scale)
        self.server: BaseWSGIServer = make_server(host, port, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="simulator",
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def engine(self) -> Engine:
        return self.app.extensions["engine"]

    def start(self) -> SimulatorServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.engine.stop()
