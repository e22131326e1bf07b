"""gunicorn settings for the web process. Web processes are stateless: run as many as the
load needs behind the load balancer (set TRUSTED_PROXIES so the app sees https)."""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 5000  # recycle workers now and then
max_requests_jitter = 500
accesslog = "-"
errorlog = "-"
preload_app = False  # each worker opens its own database pool after the fork
