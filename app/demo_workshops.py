"""Demo onboarding workshops, all facilitated by the demo Animateur: sessions held in the last
weeks (with their participants, and the attendance noted, except for yesterday's, which is left
for the Animateur to note), and sessions to come in each EPCI, at the programme's sites, at
points numériques and at mobile-workshop stops, with free seats.

Venue names are what a person reads on the door: the kind of venue (« Point numérique »…) is
shown beside them by the pages and documents, so it is not repeated in the name."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSession:
    key: str
    days: int            # from today: negative in the past
    hour: int            # start, Martinique time; the session lasts two hours
    topic: str
    venue_kind: str
    venue_name: str
    address: str
    commune: str         # INSEE code
    capacity: int = 8


PAST = [
    DemoSession("lamentin-computer", -21, 9, "computer", "site", "Atelier du Lamentin", "Zone de Manhity", "97213"),
    DemoSession("robert-tablet", -14, 14, "tablet", "digital_point", "Espace numérique du Robert", "Bourg", "97222"),
    DemoSession("vauclin-smartphone", -7, 9, "smartphone", "mobile_stop", "Bourg du Vauclin", "Place de l'église",
                "97232", capacity=6),
    # Held yesterday: its attendance is the Animateur's to note.
    DemoSession("robert-online", -1, 14, "online_services", "digital_point", "Espace numérique du Robert", "Bourg",
                "97222"),
]

UPCOMING = [
    DemoSession("lamentin-computer-next", 3, 9, "computer", "site", "Atelier du Lamentin", "Zone de Manhity", "97213"),
    DemoSession("lamentin-smartphone", 4, 14, "smartphone", "digital_point", "Médiathèque du Lamentin",
                "Rue Schœlcher", "97213"),
    DemoSession("robert-computer", 5, 9, "computer", "digital_point", "Espace numérique du Robert", "Bourg", "97222"),
    DemoSession("dillon-tablet", 6, 9, "tablet", "digital_point", "Maison de quartier de Dillon", "Dillon", "97209"),
    DemoSession("marin-computer", 7, 9, "computer", "digital_point", "Cyberbase du Marin", "Bourg", "97217"),
    DemoSession("fdf-online", 8, 14, "online_services", "digital_point", "France Services de Fort-de-France",
                "Boulevard du Général de Gaulle", "97209"),
    DemoSession("basse-pointe-smartphone", 9, 14, "smartphone", "mobile_stop", "Place de la mairie de Basse-Pointe",
                "Place de la mairie", "97203"),
    DemoSession("diamant-smartphone", 10, 14, "smartphone", "mobile_stop", "Front de mer du Diamant", "Front de mer",
                "97206"),
    DemoSession("lorrain-tablet", 12, 9, "tablet", "mobile_stop", "Bourg du Lorrain", "Bourg", "97214"),
    DemoSession("riviere-salee-tablet", 14, 9, "tablet", "site", "Entrepôt de Rivière-Salée — salle de formation",
                "Zone de Petit-Bourg", "97221"),
]

# Households booked by someone who may see them (an agent of their EPCI, their prescripteur),
# besides those booked at their handover: (household, session, booked by, days ago, hour).
# Days ago None: booked today.
BOOKINGS = [
    ("Bellance", "lamentin-computer", "prescripteur", 26, 10),
    ("Célestine", "lamentin-computer", "agent.cacem", 25, 15),
    ("Nelson", "robert-tablet", "agent.capnord", 15, 10),
    ("Zébina", "vauclin-smartphone", "agent.espacesud", 9, 11),
    ("Joachim", "robert-online", "agent.capnord", 6, 10),
    ("Ursulet", "robert-online", "agent.capnord", 6, 10),
    ("Cidalise", "robert-online", "agent.capnord", 4, 10),
    ("Désiré", "robert-online", "agent.capnord", 3, 15),
    ("Marie-Sainte", "dillon-tablet", "prescripteur", None, None),
    ("Hilaire", "diamant-smartphone", "agent.espacesud", None, None),
    ("Clairville", "robert-computer", "agent.capnord", None, None),
]

# What the Animateur noted at the end of each session held: household → satisfaction (1–5),
# or None for a participant who did not come.
ATTENDANCE = {
    "lamentin-computer": {"Jean-Baptiste": 5, "Ravelin": 4, "Bellance": None, "Célestine": 4},
    "robert-tablet": {"Ursulet": 5, "Joachim": 3, "Nelson": None},
    "vauclin-smartphone": {"Moutoussamy": 4, "Fanfant": 5, "Zébina": None},
}


def session_input(row: DemoSession, day, facilitator: str) -> dict:
    """The form's fields for the session on ``day`` (WorkshopIn: wall-clock times in Martinique)."""
    return {"topic": row.topic, "starts_at": f"{day.isoformat()}T{row.hour:02d}:00",
            "ends_at": f"{day.isoformat()}T{row.hour + 2:02d}:00", "venue_kind": row.venue_kind,
            "venue_name": row.venue_name, "address": row.address, "commune_insee": row.commune,
            "capacity": row.capacity, "facilitator": facilitator, "notes": None}
