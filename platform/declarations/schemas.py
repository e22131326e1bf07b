"""Response shapes of declarations (API and the JSON the portal could use), in one place.

The request shape is not here: it is the catalogue schema of the tenant's profile version
(platform/catalogue/validation.py), shared by the API, the CSV import and the form.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from singlewindow.platform.declarations import status as st


class ReasonSchema(Schema):
    rule = fields.String()
    rule_name = fields.String()
    detail = fields.String()
    items = fields.List(fields.Integer(), allow_none=True)


class AgencyStatusSchema(Schema):
    agency = fields.Function(lambda s: s.agency.code)
    agency_name = fields.Function(lambda s: s.agency.name)
    required = fields.Boolean()
    status = fields.String()
    reason = fields.String(attribute="answer_reason")
    agency_reference = fields.String()
    items = fields.List(fields.Integer())
    why = fields.List(fields.Nested(ReasonSchema), attribute="reasons")
    attempts = fields.Integer()
    last_error = fields.String()
    sent_at = fields.DateTime()
    answered_at = fields.DateTime()


class EventSchema(Schema):
    at = fields.DateTime(attribute="created_at")
    kind = fields.String()
    status = fields.String()
    message = fields.String()
    actor = fields.String()
    agency = fields.Function(lambda e: e.submission.agency.code if e.submission else None)


class DeclarationSummarySchema(Schema):
    id = fields.Integer()
    shipment_ref = fields.String()
    status = fields.String()
    status_label = fields.Function(lambda d: st.label(d.status))
    exporter_name = fields.String()
    destination_country = fields.String()
    transport_mode = fields.String()
    invoice_currency = fields.String()
    total_value = fields.Decimal(as_string=True)
    item_count = fields.Integer()
    source = fields.String()
    created_at = fields.DateTime()
    final_at = fields.DateTime()


class DeclarationDetailSchema(DeclarationSummarySchema):
    catalogue_profile_version = fields.Function(lambda d: d.profile_version.version)
    document = fields.Dict()
    agencies = fields.List(fields.Nested(AgencyStatusSchema), attribute="submissions")
    timeline = fields.List(fields.Nested(EventSchema), attribute="events")


class ListQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([st.SUBMITTED, *st.ANSWERS]))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))


class AgencyAnswerSchema(Schema):
    """An agency's answer to one message, as its system posts it back."""

    message_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    event_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    sequence = fields.Integer(required=True, validate=validate.Range(min=0))
    status = fields.String(required=True, validate=validate.OneOf(st.ANSWERS))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    reference = fields.String(load_default="", validate=validate.Length(max=100))
