"""Marshmallow schemas of the eligibility API, with French messages naming the field."""
from __future__ import annotations

from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates, validates_schema

from eligibility.engine import MAX_RESOURCES, RESOURCES_RANGE
from eligibility.identity import InvalidPhone, normalise_phone
from eligibility.vocabulary import ProofKind, Relationship, Situation
from core.schemas import MESSAGES, BoundedDecimal, StrictSchema, day, integer, one_of, row_id, string, text
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

# Numeric(12, 2): what the column holds. A negative amount passes here, for the engine's own message.
RESOURCES = BoundedDecimal(-MAX_RESOURCES, MAX_RESOURCES, places=2, required=True, message=RESOURCES_RANGE,
                           error_messages={**MESSAGES["dec"], "invalid": "Montant en euros attendu (par exemple 1250.50)."})
BENEFITS = fields.List(text(20), load_default=list, validate=validate.Length(max=20, error="20 prestations au plus."),
                       error_messages=MESSAGES["list"])


class EligibilityInput(StrictSchema):
    """Base of the eligibility input schemas: strict, with their French field names."""
    field_labels = FIELD_LABELS



class MemberIn(EligibilityInput):
    age = fields.Integer(strict=True, validate=validate.Range(0, 125, error="Âge de 0 à 125 ans attendu."),
                         error_messages=MESSAGES["int"])
    birth_date = day()
    relation = string(validate=one_of(Relationship.values(), "Lien"), error_messages=MESSAGES["str"])

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
    check_date = day()


class ReferrerIn(EligibilityInput):
    organisation = row_id()
    person = text(120)


class ProofIn(EligibilityInput):
    kind = string(required=True, validate=one_of(ProofKind.values(), "Justificatif"), error_messages=MESSAGES["str"])
    seen_on = day(required=True)


class HouseholdIn(EligibilityInput):
    last_name = text(120, required=True)
    first_name = text(120, required=True)
    birth_date = day(required=True)
    phone = text(30, required=True)
    email = fields.Email(allow_none=True, validate=validate.Length(max=200, error="Adresse de courriel de 200 caractères au plus attendue."),
                         error_messages={**MESSAGES["str"], "invalid": "Adresse de courriel invalide."})
    address = text(300, allow_none=True)
    commune_insee = text(5, required=True)
    members = fields.List(fields.Nested(MemberIn, error_messages=MESSAGES["nested"]), required=True,
                          validate=validate.Length(min=1, max=30, error="De 1 à 30 personnes attendues."),
                          error_messages=MESSAGES["list"])
    monthly_resources = RESOURCES
    resources_proof = string(validate=one_of(ProofKind.values(), "Justificatif"), allow_none=True,
                                    error_messages=MESSAGES["str"])
    benefits = BENEFITS
    situations = fields.List(string(validate=one_of(Situation.values(), "Situation")), load_default=list,
                             error_messages=MESSAGES["list"])
    referrer = fields.Nested(ReferrerIn, allow_none=True, error_messages=MESSAGES["nested"])
    consent_on = day(allow_none=True)
    consent_version = text(40, allow_none=True)
    proofs = fields.List(fields.Nested(ProofIn, error_messages=MESSAGES["nested"]), load_default=list,
                         validate=validate.Length(max=20, error="20 justificatifs au plus."), error_messages=MESSAGES["list"])
    notes = text(4000, allow_none=True)
    confirm_duplicate = fields.Boolean(load_default=True, error_messages=MESSAGES["bool"])

    @validates("phone")
    def _martinique_phone(self, value, **kwargs):
        try:
            normalise_phone(value)
        except InvalidPhone as exc:
            raise ValidationError(exc.message) from None


class RequestIn(EligibilityInput):
    household_id = row_id(required=True)
    category = string(required=True, validate=one_of(Category.values(), "Catégorie"), error_messages=MESSAGES["str"])


class DecisionIn(EligibilityInput):
    action = string(required=True, validate=one_of(["validate", "refuse", "ask_documents"], "Action"),
                           error_messages=MESSAGES["str"])
    justification = text(4000, allow_none=True)
    tier = integer(1, 9, "Palier de 1 à 9 attendu.", allow_none=True)
