"""The WSGI entry point: `gunicorn -c infra/gunicorn.conf.py wsgi:app`."""

from singlewindow.platform.app import create_app

app = create_app()
