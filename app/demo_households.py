"""Demo households and requests, entered through the eligibility services as a prescripteur
and EPCI agents would (fictitious people; phones in the 0696 00 xx xx range)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from core.actor import actor_of
from eligibility.services.households import create_household
from eligibility.services.requests import create_request, decide_request

# (entered by, last, first, birth, phone, commune, other members, resources, benefits, situations, need, then)
_HOUSEHOLDS = [
    ("prescripteur", "Rosine", "Gisèle", date(1951, 6, 15), "0696000101", "97213", [{"age": 77, "relation": "spouse"}],
     "1450.00", [], ["senior"], "tablet", "validate"),
    ("prescripteur", "Jean-Baptiste", "Éloïse", date(1984, 4, 2), "0696000102", "97209",
     [{"age": 9, "relation": "child"}, {"age": 15, "relation": "child"}], "1320.50", [], ["job_seeker"], "laptop", None),
    ("prescripteur", "Lordinot", "Marcel", date(1958, 11, 3), "0696000103", "97213", [], "690.00", ["ASPA"],
     ["senior"], "smartphone", "validate"),
    ("prescripteur", "Célestine", "Nadia", date(2003, 2, 20), "0696000104", "97224", [], "620.00", [],
     ["young_isolated", "student"], "laptop", "ask_documents"),
    ("prescripteur", "Bellance", "Yves", date(1975, 9, 9), "0696000105", "97213",
     [{"age": 47, "relation": "spouse"}, {"age": 12, "relation": "child"}], "5200.00", [], [], "laptop", "refuse"),
    ("agent.capnord", "Ursulet", "Léonie", date(1946, 1, 30), "0696000106", "97230", [], "980.00", [],
     ["senior", "disability"], "tablet", None),
    ("agent.capnord", "Nelson", "Patrick", date(1979, 7, 14), "0596000107", "97222",
     [{"age": 41, "relation": "spouse"}, {"age": 6, "relation": "child"}, {"age": 3, "relation": "child"}],
     "2350.00", ["CSS"], [], "laptop", None),
    ("agent.espacesud", "Zébina", "Marie-Rose", date(1962, 5, 5), "0696000108", "97206", [], "1250.00", [], [],
     "smartphone", None),
    ("agent.espacesud", "Télèphe", "Jordan", date(2001, 12, 1), "0696000109", "97217", [], "0.00", ["RSA"],
     ["job_seeker"], "laptop", None),
]


def load_demo_households(app, users: dict) -> None:
    from app.extensions import db

    session = db.session
    cacem_agent = actor_of(users["agent.cacem"])
    for (who, last, first, born, phone, commune, others, resources, benefits, situations, need,
         then) in _HOUSEHOLDS:
        actor = actor_of(users[who])
        household, _ = create_household(session, actor, {
            "last_name": last, "first_name": first, "birth_date": born, "phone": phone, "commune_insee": commune,
            "address": "Adresse de démonstration", "members": [{"birth_date": born, "relation": "head"}] + others,
            "monthly_resources": Decimal(resources), "benefits": benefits, "situations": situations,
            "consent_on": date.today(), "consent_version": app.config["CONSENT_TEXT_VERSION"],
            "referrer": {"person": "Mme Travailleuse sociale (démo)"} if who == "prescripteur" else None,
        })
        item = create_request(session, actor, household, need)
        if then is None:
            continue
        justification = {"refuse": "Ressources au-dessus des plafonds (démo).",
                         "ask_documents": "Avis d'imposition 2025 à fournir (démo)."}.get(then)
        decide_request(session, cacem_agent, item, then, justification=justification)
