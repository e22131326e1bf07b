"""Redis and the rq queues, or none of them (the embedded default runs jobs inline)."""

from __future__ import annotations

from flask import current_app
from redis import Redis
from rq import Queue


def is_inline() -> bool:
    return not current_app.config.get("REDIS_URL")


def redis_connection() -> Redis:
    """One client per app, made on first use (nothing connects at import time)."""
    conn = current_app.extensions.get("redis")
    if conn is None:
        conn = Redis.from_url(current_app.config["REDIS_URL"])
        current_app.extensions["redis"] = conn
    return conn


def get_queue(name: str) -> Queue:
    return Queue(name, connection=redis_connection())
