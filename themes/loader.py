"""Theme packs: `themes/<name>/templates/` overrides the base templates of the same name,
and `themes/<name>/static/` holds its files.

A page is rendered as `@<theme>/<template>`; the loader looks in the theme first and falls
back to the base templates. The theme is part of the template's name, so Jinja's cache
keeps one compiled copy per theme and two tenants with different themes never share one.
Inside a themed template, `{% extends "layout.html" %}` stays in the same theme, and
`{% extends "~layout.html" %}` reaches the base template (to extend rather than replace it).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from flask import abort, send_from_directory
from flask.templating import Environment
from jinja2 import BaseLoader, TemplateNotFound

THEMES_DIR = Path(__file__).parent
DEFAULT_THEME = "default"
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


def available() -> dict[str, dict]:
    """Installed theme packs and their descriptions (from each pack's theme.json)."""
    packs: dict[str, dict] = {}
    for path in sorted(THEMES_DIR.iterdir()):
        meta = path / "theme.json"
        if path.is_dir() and _NAME.match(path.name) and meta.is_file():
            packs[path.name] = json.loads(meta.read_text(encoding="utf-8"))
    return packs


def themed(theme: str | None, template: str) -> str:
    return f"@{theme if theme and _NAME.match(theme) else DEFAULT_THEME}/{template}"


class ThemeLoader(BaseLoader):
    def __init__(self, base: BaseLoader, themes_dir: Path = THEMES_DIR):
        self.base = base
        self.themes_dir = themes_dir

    def get_source(self, environment, template):
        if template.startswith("~"):
            return self.base.get_source(environment, template[1:])
        if template.startswith("@"):
            theme, _, name = template[1:].partition("/")
            if _NAME.match(theme) and ".." not in name.split("/"):
                path = self.themes_dir / theme / "templates" / name
                if path.is_file():
                    source = path.read_text(encoding="utf-8")
                    mtime = path.stat().st_mtime
                    return source, str(path), lambda: path.stat().st_mtime == mtime
            return self.base.get_source(environment, name)
        return self.base.get_source(environment, template)

    def list_templates(self):
        return self.base.list_templates()


class ThemedEnvironment(Environment):
    def join_path(self, template: str, parent: str) -> str:
        """Keep includes and extends inside the parent's theme."""
        if template.startswith(("@", "~")) or not parent.startswith("@"):
            return template
        theme = parent[1:].partition("/")[0]
        return f"@{theme}/{template}"


def check_theme(name: str) -> None:
    if name not in available():
        raise TemplateNotFound(f"theme pack {name!r} is not installed")


def init_app(app) -> None:
    """Serve each pack's static files at /_themes/<pack>/<file>, confined to the pack."""
    @app.get("/_themes/<theme>/<path:filename>", endpoint="theme_static")
    def theme_static(theme: str, filename: str):
        if not _NAME.match(theme):
            abort(404)
        return send_from_directory(THEMES_DIR / theme / "static", filename, max_age=3600)
