"""Marshmallow schemas of the eligibility API, with French messages naming the field."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from eligibility.identity import InvalidPhone, normalise_phone
from eligibility.vocabulary import ProofKind, Relationship, Situation
from core.schemas import MESSAGES, StrictSchema, one_of, text
from core.vocabulary import Category

FIELD_LABELS = {
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
    "kind": "type",
    "category": "catégorie",
}

RESOURCES = fields.Decimal(required=True, allow_nan=False, error_messages={
    **MESSAGES["dec"], "invalid": "Montant en euros attendu (par exemple 1250.50)."})
BENEFITS = fields.List(fields.String(error_messages=MESSAGES["str"]), load_default=list, error_messages=MESSAGES["list"])


class EligibilityInput(StrictSchema):
    """Base of the eligibility input schemas: strict, with their French field names."""
    field_labels = FIELD_LABELS



class MemberIn(EligibilityInput):
    age = fields.Integer(strict=True, validate=validate.Range(0, 125, error="Âge de 0 à 125 ans attendu."),
                         error_messages=MESSAGES["int"])
    birth_date = fields.Date(error_messages=MESSAGES["date"])
    relation = fields.String(validate=one_of(Relationship.values(), "Lien"), error_messages=MESSAGES["str"])

    @validates_schema
    def _age_or_birth_date(self, data, **kwargs):
        if ("age" in data) == ("birth_date" in data):
            raise ValidationError("Indiquez soit « age », soit « birth_date » (AAAA-MM-JJ).", "age")


class CheckIn(EligibilityInput):
    """The stateless simulation: ``members`` lists every person, the head included."""
    commune_insee = text(5, required=True)
    members = fields.List(fields.Nested(MemberIn, error_messages=MESSAGES["nested"]), required=True,
                          validate=validate.Length(min=1, max=30, error="De 1 à 30 personnes attendues."),
                          error_messages=MESSAGES["list"])
    monthly_resources = RESOURCES
    benefits = BENEFITS
    check_date = fields.Date(error_messages=MESSAGES["date"])


class ReferrerIn(EligibilityInput):
    organisation = fields.Integer(strict=True, error_messages=MESSAGES["int"])
    person = text(120)


class ProofIn(EligibilityInput):
    kind = fields.String(required=True, validate=one_of(ProofKind.values(), "Justificatif"), error_messages=MESSAGES["str"])
    seen_on = fields.Date(required=True, error_messages=MESSAGES["date"])


class HouseholdIn(EligibilityInput):
    last_name = text(120, required=True)
    first_name = text(120, required=True)
    birth_date = fields.Date(required=True, error_messages=MESSAGES["date"])
    phone = text(30, required=True)
    email = fields.Email(allow_none=True, error_messages={**MESSAGES["str"], "invalid": "Adresse de courriel invalide."})
    address = text(300, allow_none=True)
    commune_insee = text(5, required=True)
    members = fields.List(fields.Nested(MemberIn, error_messages=MESSAGES["nested"]), required=True,
                          validate=validate.Length(min=1, max=30, error="De 1 à 30 personnes attendues."),
                          error_messages=MESSAGES["list"])
    monthly_resources = RESOURCES
    resources_proof = fields.String(validate=one_of(ProofKind.values(), "Justificatif"), allow_none=True,
                                    error_messages=MESSAGES["str"])
    benefits = BENEFITS
    situations = fields.List(fields.String(validate=one_of(Situation.values(), "Situation")), load_default=list,
                             error_messages=MESSAGES["list"])
    referrer = fields.Nested(ReferrerIn, allow_none=True, error_messages=MESSAGES["nested"])
    consent_on = fields.Date(allow_none=True, error_messages=MESSAGES["date"])
    consent_version = text(40, allow_none=True)
    proofs = fields.List(fields.Nested(ProofIn), load_default=list, error_messages=MESSAGES["list"])
    notes = text(4000, allow_none=True)
    confirm_duplicate = fields.Boolean(load_default=True, error_messages=MESSAGES["bool"])

    @validates("phone")
    def _martinique_phone(self, value, **kwargs):
        try:
            normalise_phone(value)
        except InvalidPhone as exc:
            raise ValidationError(exc.message) from None


class RequestIn(EligibilityInput):
    household_id = fields.Integer(strict=True, required=True, error_messages=MESSAGES["int"])
    category = fields.String(required=True, validate=one_of(Category.values(), "Catégorie"), error_messages=MESSAGES["str"])


class DecisionIn(EligibilityInput):
    action = fields.String(required=True, validate=one_of(["validate", "refuse", "ask_documents"], "Action"),
                           error_messages=MESSAGES["str"])
    justification = text(4000, allow_none=True)
    tier = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 9, error="Palier de 1 à 9 attendu."),
                          error_messages=MESSAGES["int"])
