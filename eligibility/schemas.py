"""Marshmallow schemas of the eligibility API, with French messages naming the field."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from eligibility.identity import InvalidPhone, normalise_phone
from eligibility.vocabulary import ProofKind, Relationship, Situation
from inventory.schemas import _MSG, FIELD_LABELS, StrictSchema, _one_of, _text, load  # noqa: F401
from inventory.vocabulary import Category

FIELD_LABELS.update({
    "commune_insee": "code INSEE de la commune",
    "members": "membres du foyer",
    "age": "âge",
    "birth_date": "date de naissance",
    "relation": "lien avec le demandeur",
    "monthly_resources": "ressources mensuelles (€)",
    "resources_proof": "justificatif des ressources",
    "benefits": "prestations",
    "situations": "situations prioritaires",
    "last_name": "nom",
    "first_name": "prénom",
    "phone": "téléphone",
    "email": "courriel",
    "address": "adresse",
    "referrer": "prescripteur",
    "organisation": "organisme",
    "person": "personne",
    "consent_on": "date du consentement",
    "consent_version": "version du texte de consentement",
    "proofs": "justificatifs vus",
    "seen_on": "vu le",
    "household_id": "foyer",
    "action": "action",
    "justification": "justification",
    "tier": "palier",
    "check_date": "date de l'examen",
})

RESOURCES = fields.Decimal(required=True, allow_nan=False, error_messages={
    **_MSG["dec"], "invalid": "Montant en euros attendu (par exemple 1250.50)."})
BENEFITS = fields.List(fields.String(error_messages=_MSG["str"]), load_default=list, error_messages=_MSG["list"])


class MemberIn(StrictSchema):
    age = fields.Integer(strict=True, validate=validate.Range(0, 125, error="Âge de 0 à 125 ans attendu."),
                         error_messages=_MSG["int"])
    birth_date = fields.Date(error_messages=_MSG["date"])
    relation = fields.String(validate=_one_of(Relationship.values(), "Lien"), error_messages=_MSG["str"])

    @validates_schema
    def _age_or_birth_date(self, data, **kwargs):
        if ("age" in data) == ("birth_date" in data):
            raise ValidationError("Indiquez soit « age », soit « birth_date » (AAAA-MM-JJ).", "age")


class CheckIn(StrictSchema):
    """The stateless simulation: ``members`` lists every person, the head included."""
    commune_insee = _text(5, required=True)
    members = fields.List(fields.Nested(MemberIn, error_messages=_MSG["nested"]), required=True,
                          validate=validate.Length(min=1, max=30, error="De 1 à 30 personnes attendues."),
                          error_messages=_MSG["list"])
    monthly_resources = RESOURCES
    benefits = BENEFITS
    check_date = fields.Date(error_messages=_MSG["date"])


class ReferrerIn(StrictSchema):
    organisation = fields.Integer(strict=True, error_messages=_MSG["int"])
    person = _text(120)


class ProofIn(StrictSchema):
    kind = fields.String(required=True, validate=_one_of(ProofKind.values(), "Justificatif"), error_messages=_MSG["str"])
    seen_on = fields.Date(required=True, error_messages=_MSG["date"])


class HouseholdIn(StrictSchema):
    last_name = _text(120, required=True)
    first_name = _text(120, required=True)
    birth_date = fields.Date(required=True, error_messages=_MSG["date"])
    phone = _text(30, required=True)
    email = fields.Email(allow_none=True, error_messages={**_MSG["str"], "invalid": "Adresse de courriel invalide."})
    address = _text(300, allow_none=True)
    commune_insee = _text(5, required=True)
    members = fields.List(fields.Nested(MemberIn, error_messages=_MSG["nested"]), required=True,
                          validate=validate.Length(min=1, max=30, error="De 1 à 30 personnes attendues."),
                          error_messages=_MSG["list"])
    monthly_resources = RESOURCES
    resources_proof = fields.String(validate=_one_of(ProofKind.values(), "Justificatif"), allow_none=True,
                                    error_messages=_MSG["str"])
    benefits = BENEFITS
    situations = fields.List(fields.String(validate=_one_of(Situation.values(), "Situation")), load_default=list,
                             error_messages=_MSG["list"])
    referrer = fields.Nested(ReferrerIn, allow_none=True, error_messages=_MSG["nested"])
    consent_on = fields.Date(allow_none=True, error_messages=_MSG["date"])
    consent_version = _text(40, allow_none=True)
    proofs = fields.List(fields.Nested(ProofIn), load_default=list, error_messages=_MSG["list"])
    notes = _text(4000, allow_none=True)
    confirm_duplicate = fields.Boolean(load_default=True, error_messages=_MSG["bool"])

    @validates("phone")
    def _martinique_phone(self, value, **kwargs):
        try:
            normalise_phone(value)
        except InvalidPhone as exc:
            raise ValidationError(exc.message) from None


class RequestIn(StrictSchema):
    household_id = fields.Integer(strict=True, required=True, error_messages=_MSG["int"])
    category = fields.String(required=True, validate=_one_of(Category.values(), "Catégorie"), error_messages=_MSG["str"])


class DecisionIn(StrictSchema):
    action = fields.String(required=True, validate=_one_of(["validate", "refuse", "ask_documents"], "Action"),
                           error_messages=_MSG["str"])
    justification = _text(4000, allow_none=True)
    tier = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 9, error="Palier de 1 à 9 attendu."),
                          error_messages=_MSG["int"])
