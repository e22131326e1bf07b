"""The country template format, as a marshmallow schema.

A template is refused as a whole, before anything is created, with the path of every bad
field (`agencies.2.connector.mode: ...`). See provisioning/README.md for the format.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from singlewindow.platform.catalogue.master import elements
from singlewindow.platform.catalogue.service import Content, ProfileError, check
from singlewindow.tenants.models import ConnectorMode
from singlewindow.tenants.routing import RuleError, check_conditions

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class BrandingSchema(_Strict):
    primary = fields.String(required=True, validate=validate.Regexp(HEX, error="must be #rrggbb"))
    accent = fields.String(required=True, validate=validate.Regexp(HEX, error="must be #rrggbb"))
    logo_text = fields.String(required=True, validate=validate.Length(min=1, max=4))
    tagline = fields.String(load_default="", validate=validate.Length(max=200))


class ProfileElementSchema(_Strict):
    id = fields.String(required=True)
    required = fields.Boolean(load_default=False)
    required_when = fields.Dict(keys=fields.String(), values=fields.List(fields.Raw()))


class CatalogueSchema(_Strict):
    notes = fields.String(load_default="")
    elements = fields.List(fields.Nested(ProfileElementSchema), required=True,
                           validate=validate.Length(min=1))
    national_elements = fields.List(fields.Dict(), load_default=list)
    code_lists = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=dict)
    tariff_lines = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)

    @validates_schema
    def _a_usable_profile(self, data, **kwargs):
        try:
            check(Content(data["elements"], data["national_elements"], data["code_lists"],
                          data["tariff_lines"]))
        except ProfileError as exc:
            path, _, message = str(exc).partition(": ")
            nested: Any = [message or path]
            for part in reversed(path.split(".")):  # "elements.23.id" -> {elements: {23: {id}}}
                nested = {int(part) if part.isdigit() else part: nested}
            raise ValidationError(nested) from None


class ConnectorSchema(_Strict):
    mode = fields.String(required=True, validate=validate.OneOf(ConnectorMode.ALL))
    endpoint = fields.String(load_default="", validate=validate.Length(max=500))
    auth = fields.String(load_default="hmac", validate=validate.OneOf(["hmac"]))
    secret = fields.String(load_default="", validate=validate.Length(max=200))
    timeout_seconds = fields.Integer(load_default=10, validate=validate.Range(min=1, max=120))
    message_set = fields.List(fields.String(), load_default=list)
    field_map = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)

    @validates_schema
    def _elements_known(self, data, **kwargs):
        catalogue = elements()
        unknown = [e for e in data["message_set"] + list(data["field_map"]) if e not in catalogue]
        if unknown:
            raise ValidationError(f"not in the master catalogue: {', '.join(unknown)}",
                                  "message_set")
        if data["mode"] == ConnectorMode.API and not data["endpoint"].startswith(("http://", "https://")):
            raise ValidationError("an api connector needs an http(s) endpoint", "endpoint")


class AgencySchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(CODE, error="lower-case code"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.Length(min=1, max=32))
    description = fields.String(load_default="")
    connector = fields.Nested(ConnectorSchema, required=True)


class RuleSchema(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(CODE, error="lower-case code"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    agency = fields.String(required=True)
    priority = fields.Integer(load_default=100)
    required = fields.Boolean(load_default=True)
    conditions = fields.Dict(load_default=dict)
    legal_basis = fields.String(load_default="")

    @validates_schema
    def _conditions(self, data, **kwargs):
        try:
            check_conditions(data["conditions"], "conditions")
        except RuleError as exc:
            raise ValidationError(str(exc).split(": ", 1)[-1], "conditions") from None


class TemplateSchema(_Strict):
    template = fields.String(required=True, validate=validate.Regexp(SLUG))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]{2}$"))
    region = fields.String(load_default="")
    timezone = fields.String(load_default="UTC")
    languages = fields.List(fields.String(validate=validate.Length(min=2, max=10)),
                            load_default=lambda: ["en"], validate=validate.Length(min=1))
    theme = fields.String(load_default="default")
    branding = fields.Nested(BrandingSchema, required=True)
    plan = fields.String(load_default="standard")
    catalogue = fields.Nested(CatalogueSchema, required=True)
    agencies = fields.List(fields.Nested(AgencySchema), required=True,
                           validate=validate.Length(min=1))
    routing_rules = fields.List(fields.Nested(RuleSchema), required=True)

    @validates_schema
    def _references(self, data, **kwargs):
        codes = [a["code"] for a in data.get("agencies", [])]
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise ValidationError(f"agency codes must be unique: {', '.join(sorted(dupes))}",
                                  "agencies")
        errors: dict[int, Any] = {}
        for index, rule in enumerate(data.get("routing_rules", [])):
            if rule["agency"] not in codes:
                errors[index] = {"agency": [f"{rule['agency']!r} is not an agency of this template"]}
        if errors:
            raise ValidationError({"routing_rules": errors})


def paths(messages: Any, prefix: str = "") -> list[str]:
    """marshmallow's nested error dict as `a.b.2.c: message` lines."""
    out: list[str] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            out.extend(paths(value, name))
    elif isinstance(messages, list):
        for m in messages:
            out.extend(paths(m, prefix) if isinstance(m, dict | list) else [f"{prefix}: {m}"])
    else:
        out.append(f"{prefix}: {messages}")
    return out
