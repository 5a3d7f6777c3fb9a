"""Demonstration data, loaded on an empty database: 2 sites with bins, 4 donors, 3 collections,
about 150 devices spread over every state with a plausible history, and one account per role;
then the last weeks of the programme (app/demo_story.py): households and requests waiting in
each EPCI agent's queue, validated households on the waiting list, handovers with their
invoices, workshops held and to come.

Everything goes through the services (the same checks as real use); only the clock is set to
the past (the services' ``now`` arguments, or ``core.clock.clock_set_to``) so that histories span
the last months. Dates are relative to the day of loading. Names are fictitious.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone

from flask import Flask
from werkzeug.security import generate_password_hash

from app import roles
from app.extensions import db
from core.clock import MARTINIQUE, utcnow
from core.settings import set_setting
from core.territory import Epci
from inventory.lifecycle import State
from core.schemas import load
from inventory.schemas import DeviceIn
from inventory.services.collections import create_collection
from inventory.services.common import device_by_tag
from inventory.services.devices import register_device
from inventory.services.erasures import record_erasure
from inventory.services.reference import create_location, create_organisation, create_site
from inventory.services.repairs import add_stock, close_ticket, harvest_parts, open_ticket, stock_for, update_ticket, use_part
from inventory.grading import BOOL, DEFAULT_TEMPLATES
from inventory.services.grading import grade_device
from inventory.services.transitions import transition
from sqlalchemy import select

from app.templating import DEMO_SETTING

# (username, role, what the account is bound to)
DEMO_ACCOUNTS = [
    ("admin", roles.ADMIN, None),
    ("technicien", roles.TECHNICIEN, None),
    ("agent.cacem", roles.AGENT_EPCI, "CACEM"),
    ("agent.capnord", roles.AGENT_EPCI, "CAP Nord"),
    ("agent.espacesud", roles.AGENT_EPCI, "Espace Sud"),
    ("partenaire", roles.PARTENAIRE, "Caraïbes Télécom (démo)"),
    ("prescripteur", roles.PRESCRIPTEUR, "CCAS du Lamentin (démo)"),
    ("animateur", roles.ANIMATEUR, "Espace numérique du Robert (démo)"),
]

_NAMES = {
    "admin": ("Alice", "Administratrice"),
    "technicien": ("Théo", "Technicien"),
    "agent.cacem": ("Agnès", "Agent CACEM"),
    "agent.capnord": ("Bruno", "Agent CAP Nord"),
    "agent.espacesud": ("Chloé", "Agent Espace Sud"),
    "partenaire": ("Paul", "Partenaire"),
    "prescripteur": ("Sonia", "Prescriptrice"),
    "animateur": ("Marc", "Animateur"),
}

# Fictitious, Luhn-valid SIRET numbers.
_DONORS = [
    ("Caraïbes Télécom (démo)", "97213", "97200001000017"),
    ("Banque Antilles Gestion (démo)", "97209", "97200002000016"),
    ("Collectivité — Direction du numérique (démo)", "97209", "97200003000015"),
    ("Clinique du Littoral (démo)", "97229", None),
]

_CATALOGUE = {
    "laptop": [("Dell", "Latitude 5490", "Intel Core i5-8350U", 8, "ssd", 256, 14, "Windows 11", "1.6"),
               ("HP", "EliteBook 840 G5", "Intel Core i5-8250U", 8, "ssd", 256, 14, "Windows 11", "1.5"),
               ("Lenovo", "ThinkPad T480", "Intel Core i5-8250U", 16, "nvme", 512, 14, "Windows 11", "1.6"),
               ("Lenovo", "ThinkPad X270", "Intel Core i3-7100U", 8, "hdd", 500, 12.5, "Ubuntu 24.04", "1.4")],
    "desktop": [("HP", "ProDesk 600 G4", "Intel Core i5-8500", 8, "hdd", 500, None, "Windows 11", "5.8"),
                ("Dell", "OptiPlex 7060", "Intel Core i5-8500", 8, "ssd", 256, None, "Windows 11", "5.2")],
    "tablet": [("Samsung", "Galaxy Tab A8", None, 3, "flash", 32, 10.5, "Android 14", "0.51"),
               ("Apple", "iPad 7", None, 3, "flash", 32, 10.2, "iPadOS 18", "0.49")],
    "smartphone": [("Samsung", "Galaxy A52", None, 6, "flash", 128, 6.5, "Android 14", "0.19"),
                   ("Apple", "iPhone SE 2020", None, 3, "flash", 64, 4.7, "iOS 18", "0.15"),
                   ("Xiaomi", "Redmi Note 10", None, 4, "flash", 64, 6.4, "Android 13", "0.18")],
    "monitor": [("Dell", "P2419H", None, None, None, None, 24, None, "3.3"),
                ("Iiyama", "ProLite XU2493HS", None, None, None, None, 23.8, None, "3.0")],
}
_CATEGORY_WEIGHTS = [("laptop", 40), ("desktop", 15), ("tablet", 12), ("smartphone", 23), ("monitor", 10)]

# How far along the lifecycle each demo device goes (target state → share).
_TARGETS = [
    (State.RECEIVED, 12), (State.WIPING, 12), (State.REPAIR, 10), (State.GRADING, 12),
    (State.IN_STOCK, 55), (State.RESERVED, 10), (State.DISTRIBUTED, 25), (State.PARTS, 8),
    (State.RECYCLED, 6),
]


def _imei(rng: random.Random) -> str:
    body = "35" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    total = 0
    for index, char in enumerate(reversed(body)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def _serial(rng: random.Random, brand: str) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
    return brand[:2].upper() + "".join(rng.choice(alphabet) for _ in range(9))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Martinique working time, as UTC."""
    return datetime.combine(day, time(hour, minute), MARTINIQUE).astimezone(timezone.utc)


def _create_users(app: Flask, password: str, orgs: dict) -> dict:
    sm = app.appbuilder.sm
    users = {}
    epcis = {e.short_name: e for e in db.session.execute(select(Epci)).scalars()}
    # The accounts share the published demo password: hashed once (scrypt costs 0.1 s a hash).
    hashed = generate_password_hash(password, method=app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                    salt_length=app.config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    for username, role_name, bound in DEMO_ACCOUNTS:
        first, last = _NAMES[username]
        user = sm.add_user(username, first, last, f"{username}@demo.rekonekt.invalid",
                           sm.find_role(role_name), hashed_password=hashed)
        if role_name == roles.AGENT_EPCI:
            user.epci_id = epcis[bound].id
        elif bound:
            user.organisation_id = orgs[bound].id
        users[username] = user
    db.session.commit()
    return users


def load_demo(app: Flask, *, password: str, seed: int = 972) -> None:
    """Load the demo data set (the database must be migrated and hold no user)."""
    rng = random.Random(seed)
    session = db.session

    orgs = {}
    for name, insee, siret in _DONORS:
        orgs[name] = create_organisation(session, kind="donor", name=name, siret=siret, commune_insee=insee)
    workshop = create_organisation(session, kind="workshop", name="Atelier Rekonekt (démo)", commune_insee="97213")
    orgs["CCAS du Lamentin (démo)"] = create_organisation(session, kind="referrer", name="CCAS du Lamentin (démo)", commune_insee="97213")
    orgs["Espace numérique du Robert (démo)"] = create_organisation(session, kind="digital_point", name="Espace numérique du Robert (démo)", commune_insee="97222")
    create_organisation(session, kind="funder", name="Fonds solidaire numérique (démo)", commune_insee="97209")

    lamentin = create_site(session, code="LAM", name="Atelier du Lamentin", kind="workshop",
                           address="Zone de la Lézarde (démo)", commune_insee="97213", organisation_id=workshop.id)
    salee = create_site(session, code="RSA", name="Entrepôt de Rivière-Salée", kind="warehouse",
                        address="Quartier Petit-Bourg (démo)", commune_insee="97221", organisation_id=workshop.id)
    bins = {}
    for label, name in [("REC", "Quai de réception"), ("EFF", "Bac effacement"), ("REP", "Établi réparation"),
                        ("CTL", "Bac contrôle qualité"), ("A01", "Stock — étagère A01"), ("A02", "Stock — étagère A02"),
                        ("B01", "Stock — bac B01")]:
        kind = "shelf" if label.startswith("A") else "bin"
        bins[label] = create_location(session, site_id=lamentin.id, label=label, name=name, kind=kind)
    for label in ("S01", "S02", "PDR", "DEE"):
        name = {"PDR": "Pièces détachées", "DEE": "Benne DEEE (recyclage)"}.get(label, f"Stock longue durée {label}")
        bins[label] = create_location(session, site_id=salee.id, label=label, name=name,
                                      kind="shelf" if label.startswith("S") else "bin")

    users = _create_users(app, password, orgs)
    for part_type, description, models, quantity in [
        ("battery", "Batterie Dell 68 Wh", "Latitude 5490, Latitude 5480", 6),
        ("battery", "Batterie HP 50 Wh", "EliteBook 840 G5", 4),
        ("keyboard", "Clavier AZERTY Lenovo ThinkPad", "ThinkPad T480, ThinkPad X270", 3),
        ("ram", "Barrette 8 Go DDR4 SO-DIMM", "Latitude 5490, EliteBook 840 G5, ThinkPad T480", 10),
        ("ssd", "SSD 240 Go SATA", None, 8),
        ("charger", "Chargeur USB-C 65 W", None, 12),
    ]:
        add_stock(session, part_type=part_type, description=description, location=bins["S01"].code,
                  quantity=quantity, compatible_models=models)
    tech = users["technicien"].id

    today = utcnow().astimezone(MARTINIQUE).date()
    donors = list(orgs.values())[:4]
    collections = []
    for index, (donor, days_ago, count) in enumerate([(donors[0], 120, 55), (donors[1], 65, 50), (donors[2], 21, 45)]):
        collected = today - timedelta(days=days_ago)
        collection = create_collection(session, donor=donor.id, collected_on=collected, site=lamentin.id,
                                       declared_count=count + (2 if index == 1 else 0),
                                       weight_kg=None, notes=None, user_id=tech)
        collections.append((collection, collected, count))

    targets = [state for state, share in _TARGETS for _ in range(share)]
    rng.shuffle(targets)
    position = 0
    for collection, collected, count in collections:
        total_weight = 0.0
        for _ in range(count):
            category = rng.choices([c for c, _ in _CATEGORY_WEIGHTS], [w for _, w in _CATEGORY_WEIGHTS])[0]
            brand, model, cpu, ram, medium_kind, capacity, screen, os_name, weight = rng.choice(_CATALOGUE[category])
            target = targets[position % len(targets)]
            position += 1
            # Recent collections have not gone far yet.
            if collected > today - timedelta(days=30) and target in (State.DISTRIBUTED, State.RESERVED, State.RECYCLED):
                target = State.IN_STOCK
            total_weight += float(weight)
            data = {
                "collection": collection.id, "category": category, "brand": brand, "model": model,
                "serial_number": _serial(rng, brand), "weight_kg": weight,
                "specs": {k: v for k, v in {"cpu": cpu, "ram_gb": ram, "screen_in": screen, "os": os_name,
                                              "storage_summary": f"{medium_kind.upper()} {capacity} Go" if medium_kind else None}.items() if v is not None},
                "location": bins["REC"].code,
            }
            if category in ("smartphone", "tablet"):
                if category == "smartphone" or rng.random() < 0.4:
                    data["imei"] = _imei(rng)
                data["storage"] = [{"kind": "flash", "capacity_gb": capacity}]
            elif medium_kind:
                data["storage"] = [{"kind": medium_kind, "serial_number": _serial(rng, "DK"), "capacity_gb": capacity}]
            start = _at(collected, 9, rng.randint(0, 59))
            device = register_device(session, load(DeviceIn(), data), user_id=tech, now=start)
            _walk(session, rng, device.asset_tag, target, start, tech, bins, today)
        collection.weight_kg = round(total_weight * 1.15, 1)  # pallets and packaging
        session.commit()

    from app.demo_story import play_demo_story

    play_demo_story(app, users)
    set_setting(session, DEMO_SETTING, "1")
    session.commit()


def _walk(session, rng: random.Random, tag: str, target: State, start: datetime, user: int,
          bins: dict, today: date) -> None:
    """Take one device along the lifecycle up to ``target``, as the workshop would have."""
    clock = start
    # Nothing after this morning, nor after the moment the demo is loaded (before 8:00).
    limit = min(_at(today, 8), utcnow() - timedelta(minutes=30))

    def later(hours_min: float, hours_max: float) -> datetime:
        nonlocal clock
        clock = min(clock + timedelta(hours=rng.uniform(hours_min, hours_max)), limit)
        return clock

    if target == State.RECEIVED:
        return
    device = device_by_tag(session, tag)
    has_media = bool(device.media)
    if has_media or target == State.WIPING:
        transition(session, tag, "wiping", user_id=user, station="wiping", location=bins["EFF"].code, now=later(2, 30))
        if target == State.WIPING:
            return
        for medium in device.media:
            when = later(1, 5)
            technique = {"hdd": "overwrite", "ssd": "ata-secure-erase", "nvme": "nvme-sanitize",
                         "flash": "factory-reset", "emmc": "factory-reset"}.get(medium.kind, "overwrite")
            level = "clear" if technique == "overwrite" else "purge"
            if medium.kind == "hdd" and rng.random() < 0.15:
                # A failing disk: the wipe fails, the disk is drilled.
                record_erasure(session, tag, {"medium_serial": medium.serial_number, "level": level,
                                              "technique": technique, "tool": "nwipe 0.37", "result": "fail",
                                              "verified": False, "started_at": when - timedelta(hours=2), "ended_at": when},
                               user_id=user, operator_name="Théo Technicien", now=when)
                when = later(0.5, 3)
                record_erasure(session, tag, {"medium_serial": medium.serial_number, "level": "destroy",
                                              "technique": "drill", "tool": "Perceuse à colonne", "result": "pass",
                                              "verified": True}, user_id=user, operator_name="Théo Technicien", now=when)
            else:
                tool = "nwipe 0.37" if medium.kind in ("hdd", "ssd", "nvme") else "Réinitialisation constructeur"
                record_erasure(session, tag, {"medium_serial": medium.serial_number, "level": level,
                                              "technique": technique, "tool": tool, "result": "pass", "verified": True,
                                              "started_at": when - timedelta(hours=1), "ended_at": when},
                               user_id=user, operator_name="Théo Technicien", now=when)
    if target in (State.PARTS, State.RECYCLED) and rng.random() < 0.5:
        transition(session, tag, "parts", user_id=user, location=bins["PDR"].code, now=later(4, 48),
                   note="Carte mère hors service : démonté pour pièces.")
        if device.category == "laptop":
            harvest_parts(session, tag, [{"part_type": "ram", "description": "Barrette mémoire 8 Go (récupérée)",
                                          "location": bins["PDR"].code, "quantity": 1}])
        if target == State.RECYCLED:
            transition(session, tag, "recycled", user_id=user, location=bins["DEE"].code, now=later(24, 200),
                       note="Remis à la filière DEEE.")
        return
    if target == State.RECYCLED:
        transition(session, tag, "recycled", user_id=user, location=bins["DEE"].code, now=later(4, 48),
                   note="Écran cassé, réparation non rentable.")
        return
    if target == State.PARTS:
        transition(session, tag, "parts", user_id=user, location=bins["PDR"].code, now=later(4, 48))
        return
    needs_repair = target == State.REPAIR or rng.random() < 0.3
    if needs_repair:
        symptom, part_type = rng.choice([("Ne tient pas la charge.", "battery"), ("Touches du clavier inopérantes.", "keyboard"),
                                         ("Lent : 4 Go de mémoire seulement.", "ram"), ("Chauffe et s'éteint.", None)])
        transition(session, tag, "repair", user_id=user, station="repair", location=bins["REP"].code, now=later(2, 48))
        ticket = open_ticket(session, tag, symptoms=symptom, user_id=user, technician="Théo Technicien", now=later(0.1, 2))
        if target == State.REPAIR:
            return
        line = next((l for l in stock_for(session) if l.part_type == part_type), None) if part_type else None
        update_ticket(session, ticket.id, diagnosis=symptom, labour_minutes=rng.choice([15, 20, 30, 45]),
                      actions="Pièce remplacée." if line else "Nettoyage, pâte thermique renouvelée.")
        if line is not None:
            use_part(session, ticket.id, line.id, user_id=user, now=later(0.1, 2))
        close_ticket(session, ticket.id, outcome="repaired", user_id=user, now=later(0.5, 24))
    else:
        transition(session, tag, "grading", user_id=user, station="grading", location=bins["CTL"].code, now=later(2, 72))
    if target == State.GRADING:
        return
    checklist = {item.key: True if item.kind == BOOL else rng.randint(82, 100) for item in DEFAULT_TEMPLATES[device.category]}
    grade_device(session, tag, checklist=checklist, cosmetic=rng.choices(["A", "B", "C"], [35, 45, 20])[0],
                 user_id=user, now=later(0.2, 4))
    shelf = bins[rng.choice(["A01", "A02", "B01", "S01", "S02"])]
    transition(session, tag, "in_stock", user_id=user, station="stock", location=shelf.code, now=later(0.5, 24))
    # Devices meant to be reserved or handed over stay in stock: reservations and handovers are
    # made from the waiting list, with their invoices (app/demo_distribution.py).
