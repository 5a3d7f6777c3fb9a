"""Closed vocabularies of the eligibility domain (English values, French labels)."""
from __future__ import annotations

from core.vocabulary import Labelled


class Situation(Labelled):
    SENIOR = ("senior", "Personne de 60 ans ou plus")
    DISABILITY = ("disability", "Situation de handicap")
    YOUNG_ISOLATED = ("young_isolated", "Jeune isolé de 16 à 25 ans")
    JOB_SEEKER = ("job_seeker", "Demandeur d'emploi")
    STUDENT = ("student", "Élève ou étudiant")


class Relationship(Labelled):
    HEAD = ("head", "Demandeur")
    SPOUSE = ("spouse", "Conjoint")
    CHILD = ("child", "Enfant")
    PARENT = ("parent", "Parent")
    OTHER = ("other", "Autre personne du foyer")


class ProofKind(Labelled):
    TAX_NOTICE = ("tax_notice", "Avis d'imposition")
    CAF = ("caf", "Attestation CAF")
    PAYSLIP = ("payslip", "Bulletins de salaire")
    PENSION = ("pension", "Relevé de pension")
    BENEFIT = ("benefit", "Attestation de prestation")
    ADDRESS = ("address", "Justificatif de domicile")
    IDENTITY = ("identity", "Pièce d'identité")
    OTHER = ("other", "Autre justificatif")


class RequestStatus(Labelled):
    SUBMITTED = ("submitted", "Déposée")
    PENDING_DOCUMENTS = ("pending_documents", "Pièces demandées")
    VALIDATED = ("validated", "Validée")
    REFUSED = ("refused", "Refusée")
    EQUIPPED = ("equipped", "Équipé")


class AuditAction(Labelled):
    CREATE = ("create", "Création")
    UPDATE = ("update", "Modification")
    READ = ("read", "Consultation")
    EXPORT = ("export", "Export")
    ANONYMISE = ("anonymise", "Anonymisation")
