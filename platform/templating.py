"""Rendering pages in the tenant's theme and brand, and the helpers templates use."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, render_template

from singlewindow.platform.declarations import status as st
from singlewindow.platform.reference import codes
from singlewindow.themes import loader as themes

PLATFORM_BRAND = {
    "primary": "#1f2a44",
    "accent": "#3d7eff",
    "logo_text": "SW",
    "tagline": "Operator console",
}

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def render(template: str, **context: Any) -> str:
    tenant = g.get("tenant")
    return render_template(themes.themed(tenant.theme if tenant else None, template), **context)


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, gr, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(gr) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white, whichever reads better on `background`."""
    white, black = contrast_ratio(background, "#ffffff"), contrast_ratio(background, "#000000")
    return "#ffffff" if white >= black else "#000000"


def brand() -> dict[str, str]:
    tenant = g.get("tenant")
    data = dict(PLATFORM_BRAND)
    if tenant is not None:
        data.update({k: v for k, v in (tenant.branding or {}).items() if isinstance(v, str)})
        data.setdefault("name", tenant.name)
        data["name"] = tenant.name
    else:
        data["name"] = "Single Window Platform"
    for key in ("primary", "accent"):
        if not _HEX.match(data.get(key, "")):
            data[key] = PLATFORM_BRAND[key]
    data["on_primary"] = text_on(data["primary"])
    data["on_accent"] = text_on(data["accent"])
    return data


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    tenant = g.get("tenant")
    try:
        zone = ZoneInfo(tenant.timezone) if tenant is not None else ZoneInfo("UTC")
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    local = value.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname()}"


def money(value: Decimal | str | None, currency: str = "") -> str:
    if value is None or value == "":
        return ""
    number = Decimal(value)
    minor = codes.lists().currencies.get(currency) if currency else None
    places = minor if minor is not None else max(0, -number.as_tuple().exponent)
    text = f"{number:,.{places}f}"
    return f"{currency} {text}".strip()


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    seconds = (end - start).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def init_app(app) -> None:
    app.jinja_env.globals.update(
        status_label=st.label,
        transport_modes=codes.TRANSPORT_MODES,
        incoterms=codes.INCOTERMS_2020,
    )
    app.jinja_env.filters.update(local_time=local_time, money=money)
    app.jinja_env.globals["duration"] = duration

    @app.context_processor
    def _context() -> dict[str, Any]:
        return {
            "brand": brand(),
            "tenant": g.get("tenant"),
            "current_user": g.get("user"),
            "current_operator": g.get("operator"),
            "platform_domain": current_app.config["PLATFORM_DOMAIN"],
        }
