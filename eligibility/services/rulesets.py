"""Rule sets in the database: loaded from files (bundled or given by Admin), never edited once a
decision references them, and chosen by date."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound, ValidationFailed
from core.jsonfile import read_json_object
from core.versions import store_version, version_in_effect
from eligibility.models import Decision, RuleSet
from eligibility.rules import Rules, RuleSetInvalid, bundled_rule_sets, parse_rule_set


def read_rule_file(content: bytes | str) -> dict:
    """A JSON file given by Admin, as a dict, or ValidationFailed in French."""
    return read_json_object(content)


def load_rule_set(session: Session, data: dict, *, user_id: int | None = None) -> tuple[RuleSet, str]:
    """Add a rule set, or replace one no decision uses yet. Returns (row, "added" | "unchanged" |
    "replaced"). A rule set already used by a decision is never changed: Conflict."""
    try:
        rules = parse_rule_set(data)
    except RuleSetInvalid as exc:
        raise ValidationFailed({"file": [exc.message]}) from None

    def uses() -> int:
        return session.execute(select(func.count()).select_from(Decision)
                               .where(Decision.rule_set_id == rules.id)).scalar_one()

    return store_version(
        session, RuleSet, key=rules.id, title=rules.title, effective_from=rules.effective_from,
        effective_to=rules.effective_to, data=data, user_id=user_id, uses=uses,
        locked=lambda used: (f"Le jeu de règles {rules.id} est déjà utilisé par {used} décision(s) : il ne peut "
                             "plus être modifié. Publiez une nouvelle version sous un nouvel identifiant."))


def load_bundled(session: Session) -> list[tuple[str, str]]:
    """Load the rule sets shipped in eligibility/rules/ (idempotent). A bundled file that
    differs from a used rule set is reported, not forced."""
    outcomes = []
    for data in bundled_rule_sets():
        try:
            row, outcome = load_rule_set(session, data)
            outcomes.append((row.id, outcome))
        except Conflict:
            outcomes.append((str(data.get("id")), "locked"))
    return outcomes


def rules_of(row: RuleSet) -> Rules:
    return parse_rule_set(row.data)


def rules_by_id(session: Session, rule_set_id: str) -> Rules:
    row = session.get(RuleSet, rule_set_id)
    if row is None:
        raise NotFound(f"Jeu de règles « {rule_set_id} » inconnu.")
    return rules_of(row)


def rules_in_effect(session: Session, day: date) -> Rules:
    """The rule set in effect on ``day`` (the latest that started on or before it)."""
    row = version_in_effect(session, RuleSet, day)
    if row is None:
        raise Conflict(f"Aucun jeu de règles d'éligibilité n'est en vigueur le {day:%d/%m/%Y} : "
                       "l'administrateur doit en charger un.")
    return rules_of(row)


def is_referenced(session: Session, rule_set_id: str) -> bool:
    return session.execute(select(Decision.id).where(Decision.rule_set_id == rule_set_id).limit(1)).first() is not None
