"""Demo households and their requests: who they are, who entered them and when, and what was
decided. Entered through the eligibility services (app/demo_story.py plays them in date order),
as the people below would have. Fictitious people; phones in the 0696 00 01 xx range.

The story the table tells, per EPCI (each EPCI's demo agent finds work waiting):
- requests « Déposée » in each agent's queue: clearly eligible ones, one near a ceiling (just
  under, or just over), one whose proof of income is missing (to ask for documents);
- one request « En attente de pièces » per EPCI;
- validated households waiting for a device, with varied priority situations;
- households equipped in the last weeks, who attended an onboarding workshop.

The four-eyes rule holds throughout: a household entered by an EPCI agent at the counter is
validated by someone else (Admin); the queue holds only requests entered by someone else than
the EPCI's agent (the prescripteur, or Admin on behalf of a France Services point), so the demo
agent can decide every one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Referrer organisations without an account: Admin enters the files they send on paper.
REFERRERS = [
    ("France Services du Centre (démo)", "97209"),
    ("France Services du Nord (démo)", "97230"),
    ("France Services du Sud (démo)", "97217"),
]
_PERSON = {
    "France Services du Centre (démo)": "M. Conseiller France Services (démo)",
    "France Services du Nord (démo)": "Mme Conseillère France Services (démo)",
    "France Services du Sud (démo)": "M. Médiateur numérique (démo)",
    "CCAS du Lamentin (démo)": "Mme Travailleuse sociale (démo)",
}


@dataclass(frozen=True)
class DemoHousehold:
    last: str                       # also the key the rest of the story uses
    first: str
    age: int                        # of the applicant, on the day the demo is loaded
    commune: str                    # INSEE code
    need: str                       # category asked for
    resources: str                  # monthly, in euros
    entered_by: str                 # demo account
    entered: tuple[int, int]        # (days ago, hour in Martinique)
    others: tuple = ()              # other members: (age, relation)
    benefits: tuple = ()
    situations: tuple = ()
    referrer: str | None = None     # organisation, when Admin enters a referred file
    proof: str | None = None        # the proof of income seen (ProofKind); None: missing
    notes: str | None = None
    decision: tuple | None = None   # (action, account, days ago, hour[, justification])


def _h(last, first, age, commune, need, resources, entered_by, entered, **more) -> DemoHousehold:
    return DemoHousehold(last, first, age, commune, need, resources, entered_by, entered, **more)


_PRESC, _ADMIN = "prescripteur", "admin"
_CENTRE, _NORD, _SUD = (name for name, _ in REFERRERS)
SPOUSE, CHILD = "spouse", "child"
_ASK = "Avis d'imposition 2025 à fournir (démo)."

HOUSEHOLDS = [
    # --- CACEM -------------------------------------------------------------------------------
    _h("Rosine", "Gisèle", 75, "97213", "tablet", "1450.00", _PRESC, (40, 9), others=((77, SPOUSE),),
       situations=("senior",), proof="pension", decision=("validate", "agent.cacem", 38, 10)),
    _h("Jean-Baptiste", "Éloïse", 42, "97209", "laptop", "1320.50", _ADMIN, (36, 10), referrer=_CENTRE,
       others=((9, CHILD), (15, CHILD)), situations=("job_seeker",), proof="caf",
       decision=("validate", "agent.cacem", 34, 9)),
    _h("Lordinot", "Marcel", 68, "97213", "smartphone", "690.00", _PRESC, (33, 11), benefits=("ASPA",),
       situations=("senior",), proof="pension", decision=("validate", "agent.cacem", 31, 14)),
    _h("Ravelin", "Dominique", 20, "97229", "laptop", "540.00", _ADMIN, (32, 10), referrer=_CENTRE,
       situations=("student", "young_isolated"), proof="caf", decision=("validate", "agent.cacem", 30, 11)),
    _h("Célestine", "Nadia", 23, "97224", "laptop", "620.00", _ADMIN, (30, 10), referrer=_CENTRE,
       situations=("young_isolated", "student"), notes="Pas de justificatif de ressources au dépôt.",
       decision=("ask_documents", "agent.cacem", 28, 15, _ASK)),
    _h("Bellance", "Yves", 51, "97213", "laptop", "5200.00", _PRESC, (29, 9), others=((47, SPOUSE), (12, CHILD)),
       proof="payslip", decision=("refuse", "agent.cacem", 27, 11, "Ressources au-dessus des plafonds (démo).")),
    _h("Marie-Sainte", "Josette", 73, "97213", "tablet", "1050.00", _PRESC, (9, 9),
       situations=("senior", "disability"), proof="pension", decision=("validate", "agent.cacem", 8, 10)),
    _h("Nicolas", "Steeve", 39, "97209", "desktop", "1650.00", _ADMIN, (8, 14), referrer=_CENTRE,
       others=((37, SPOUSE), (4, CHILD), (8, CHILD), (11, CHILD)), benefits=("RSA",), situations=("job_seeker",),
       proof="caf", decision=("validate", "agent.cacem", 4, 10)),
    # In agent.cacem's queue: clearly eligible, just under the tier-3 ceiling (1 500,00 € per
    # consumption unit for 1 503), over every ceiling, and a missing proof.
    _h("Rosamond", "Félicia", 31, "97213", "laptop", "1150.00", _PRESC, (5, 10), others=((6, CHILD), (11, CHILD)),
       proof="caf"),
    _h("Saint-Aimé", "Gérard", 71, "97229", "tablet", "2250.00", _ADMIN, (3, 14), referrer=_CENTRE,
       others=((69, SPOUSE),), situations=("senior",), proof="pension"),
    _h("Jean-Louis", "Mireille", 44, "97209", "laptop", "3100.00", _ADMIN, (2, 10), referrer=_CENTRE,
       others=((46, SPOUSE), (9, CHILD)), proof="tax_notice"),
    _h("Élisabeth", "Kévin", 22, "97224", "smartphone", "480.00", _ADMIN, (1, 9), referrer=_CENTRE,
       situations=("young_isolated",), notes="Justificatif de ressources non fourni : à demander."),
    # --- CAP Nord ----------------------------------------------------------------------------
    _h("Ursulet", "Léonie", 80, "97230", "tablet", "980.00", "agent.capnord", (35, 9),
       situations=("senior", "disability"), proof="pension", decision=("validate", _ADMIN, 33, 10)),
    _h("Joachim", "Rosette", 71, "97222", "tablet", "1180.00", _ADMIN, (26, 9), referrer=_NORD,
       situations=("senior",), proof="pension", decision=("validate", "agent.capnord", 24, 10)),
    _h("Nelson", "Patrick", 47, "97222", "laptop", "2350.00", "agent.capnord", (22, 14),
       others=((41, SPOUSE), (6, CHILD), (3, CHILD)), benefits=("CSS",), proof="caf",
       decision=("validate", _ADMIN, 20, 9)),
    # Lives in Macouba: handed a tablet over on the mobile workshop's tour there (app/demo_tours.py).
    _h("Pélage", "Marius", 71, "97215", "tablet", "870.00", _ADMIN, (20, 10), referrer=_NORD, situations=("senior",),
       proof="pension", decision=("validate", "agent.capnord", 14, 11)),
    _h("Bellay", "Sandrine", 49, "97204", "laptop", "1600.00", _ADMIN, (15, 10), referrer=_NORD,
       others=((15, CHILD),), notes="Situation familiale à confirmer.",
       decision=("ask_documents", "agent.capnord", 13, 11, "Attestation CAF à fournir (démo).")),
    _h("Clairville", "Kenza", 19, "97212", "laptop", "380.00", _ADMIN, (10, 11), referrer=_NORD,
       situations=("young_isolated", "student"), proof="caf", decision=("validate", "agent.capnord", 6, 9)),
    _h("Désiré", "Murielle", 34, "97214", "laptop", "1400.00", _ADMIN, (5, 9), referrer=_NORD,
       others=((10, CHILD), (16, CHILD)), situations=("student",), proof="caf",
       decision=("validate", "agent.capnord", 3, 11)),
    # In agent.capnord's queue: eligible by benefit (CSS), just over the tier-3 ceiling
    # (1 520,00 € for 1 503), a missing proof, and eligible on income.
    _h("Cidalise", "Rodrigue", 38, "97203", "laptop", "1900.00", _ADMIN, (5, 11), referrer=_NORD,
       others=((36, SPOUSE), (4, CHILD), (8, CHILD), (13, CHILD)), benefits=("CSS",), proof="caf"),
    _h("Mérine", "Yolande", 74, "97225", "tablet", "1520.00", _ADMIN, (4, 9), referrer=_NORD,
       situations=("senior",), proof="pension"),
    _h("Lagier", "Thierry", 35, "97228", "smartphone", "1180.00", _ADMIN, (3, 10), referrer=_NORD,
       situations=("job_seeker",), notes="Bulletins de salaire non fournis : à demander."),
    _h("Saint-Louis", "Maëva", 28, "97218", "laptop", "1250.00", _ADMIN, (2, 14), referrer=_NORD,
       others=((3, CHILD),), proof="caf"),
    # --- Espace Sud --------------------------------------------------------------------------
    _h("Moutoussamy", "Raymond", 58, "97232", "smartphone", "910.00", _ADMIN, (20, 10), referrer=_SUD,
       benefits=("AAH",), situations=("disability",), proof="caf", decision=("validate", "agent.espacesud", 18, 9)),
    _h("Fanfant", "Huguette", 66, "97210", "smartphone", "1390.00", _ADMIN, (19, 14), referrer=_SUD,
       others=((70, SPOUSE),), situations=("senior",), proof="pension",
       decision=("validate", "agent.espacesud", 17, 10)),
    _h("Apollon", "Valérie", 57, "97223", "smartphone", "1300.00", _ADMIN, (14, 9), referrer=_SUD,
       decision=("ask_documents", "agent.espacesud", 11, 10, _ASK)),
    _h("Télèphe", "Jordan", 25, "97217", "laptop", "0.00", "agent.espacesud", (9, 10), benefits=("RSA",),
       situations=("job_seeker",), proof="caf", decision=("validate", _ADMIN, 8, 11)),
    _h("Hilaire", "Georgette", 68, "97227", "smartphone", "1190.00", "agent.espacesud", (7, 10),
       situations=("senior",), proof="pension", decision=("validate", _ADMIN, 5, 14)),
    _h("Bérard", "Alain", 55, "97207", "smartphone", "1850.00", _ADMIN, (6, 10), referrer=_SUD,
       others=((52, SPOUSE),), situations=("job_seeker",), proof="tax_notice",
       decision=("validate", "agent.espacesud", 2, 10)),
    # In agent.espacesud's queue: eligible on income, just under the tier-1 ceiling
    # (1 072,86 € for 1 073), a missing proof, and eligible by benefit (AAH).
    _h("Zébina", "Marie-Rose", 64, "97206", "smartphone", "1250.00", _ADMIN, (12, 10), referrer=_SUD,
       situations=("senior",), proof="pension"),
    _h("Rosette", "Ludovic", 33, "97220", "laptop", "2253.00", _ADMIN, (4, 10), referrer=_SUD,
       others=((31, SPOUSE), (2, CHILD), (5, CHILD)), proof="payslip"),
    _h("Gabriel", "Noémie", 20, "97231", "laptop", "450.00", _ADMIN, (2, 11), referrer=_SUD,
       situations=("young_isolated", "student"), notes="Avis d'imposition non fourni : à demander."),
    _h("Péron", "Antoine", 45, "97226", "tablet", "920.00", _ADMIN, (1, 10), referrer=_SUD,
       benefits=("AAH",), situations=("disability",), proof="caf"),
]


def birth_date(today: date, age: int, index: int) -> date:
    """A birth date giving ``age`` today and for the weeks the story goes back (the birthday
    is 60 to 330 days past), so the compositions stay the same whatever day the demo is loaded."""
    try:
        anniversary = today.replace(year=today.year - age)
    except ValueError:          # 29 February
        anniversary = today.replace(year=today.year - age, day=28)
    return anniversary - timedelta(days=60 + (index * 37) % 270)


def household_input(row: DemoHousehold, index: int, *, today: date, entered_on: date, consent_version: str,
                    referrer_ids: dict[str, int]) -> dict:
    """What the person entering the household types, as the API receives it (HouseholdIn)."""
    born = birth_date(today, row.age, index)
    referrer = None
    if row.referrer:
        referrer = {"organisation": referrer_ids[row.referrer], "person": _PERSON[row.referrer]}
    elif row.entered_by == _PRESC:
        referrer = {"person": _PERSON["CCAS du Lamentin (démo)"]}
    return {
        "last_name": row.last, "first_name": row.first, "birth_date": born.isoformat(),
        "phone": f"0696 00 01 {10 + index:02d}", "commune_insee": row.commune, "address": "Adresse de démonstration",
        "members": [{"birth_date": born.isoformat(), "relation": "head"}]
                   + [{"age": age, "relation": relation} for age, relation in row.others],
        "monthly_resources": row.resources, "resources_proof": row.proof, "benefits": list(row.benefits),
        "situations": list(row.situations), "consent_on": entered_on.isoformat(), "consent_version": consent_version,
        "proofs": [{"kind": row.proof, "seen_on": entered_on.isoformat()}] if row.proof else [],
        "notes": row.notes, "referrer": referrer,
    }
