"""A fault test: a burst of concurrent writes against gunicorn with one worker killed by SIGKILL in
the middle, then the invariants the programme relies on, read from the database.

    .venv/bin/python bench/chaos.py                       # PostgreSQL on 127.0.0.1:5432 (make chaos)
    .venv/bin/python bench/chaos.py --database sqlite     # the embedded default, same burst

The script builds a fresh database (PostgreSQL: the database ``rekonekt_chaos``, dropped and
created; SQLite: a file under a temporary folder), migrates it, loads the reference data and a
scenario through the services, starts gunicorn (``--workers``, sync), and sends, from
``--clients`` threads and in shuffled order:
- handovers of reserved devices (each with its invoice and a workshop booking);
- bookings of validated households on small sessions (more households than seats);
- reservations of in-stock devices, each device asked for by two requests at once;
- transitions of received devices to « Effacement », each asked twice at once.
Once a quarter of the requests have been answered, one worker is killed with SIGKILL (requests
it was serving get no answer; gunicorn starts another worker). Then it checks:
1. invoices: numbers gapless per year, and ``verify_chain`` (``flask distribution verify-invoices``) clean;
2. no workshop session holds more « booked » than its capacity;
3. no device has two active reservations, no request two, and a device is « reserved » iff it
   has exactly one active reservation;
4. every device's state is the state its last event leads to;
5. every handover is whole: each invoice's device is « distributed », its reservation closed.
It prints the figures and exits 1 if an invariant is broken.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "chaos-Technicien-7319!"
USERS = {  # username → (role, EPCI binding)
    "technicien": ("Technicien", None),
    "agent.cacem": ("Agent EPCI", "CACEM"),
    "prescripteur": ("Prescripteur", None),
    "animateur": ("Animateur", None),
}


def fresh_database(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'chaos.db'}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS rekonekt_chaos WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE rekonekt_chaos"))
    admin.dispose()
    return str(make_url(PG_ADMIN).set(database="rekonekt_chaos").render_as_string(hide_password=False))


def build_scenario(url: str, sizes: argparse.Namespace) -> dict:
    """Migrate, load reference data, and create the scenario through the services."""
    os.environ.update(DATABASE_URL=url, DEMO="0")
    from app import create_app
    from app.bootstrap import prepare
    from app.extensions import db
    from config import Config
    from core.territory import Epci
    from distribution.services.reservations import reserve
    from tests.helpers import actor, make_device, make_session, make_workshop, stock_device, validated_request

    app = create_app(Config())
    prepare(app, demo=False, demo_password="")
    with app.app_context():
        session = db.session
        sm = app.appbuilder.sm
        epcis = {e.short_name: e.id for e in session.execute(select(Epci)).scalars()}
        for username, (role, binding) in USERS.items():
            user = sm.add_user(username, username.title(), "Chaos", f"{username}@example.invalid",
                               sm.find_role(role), password=PASSWORD)
            if not user:
                raise SystemExit(f"Compte {username} non créé (voir le journal de Flask-AppBuilder).")
            if binding:
                user.epci_id = epcis[binding]
        session.commit()
        shop = make_workshop(session)
        phone = iter(range(10_000))

        def household(**extra):
            n = next(phone)
            return validated_request(app, session, phone=f"0696 {n // 100:02d} {n % 100:02d} 11",
                                     last_name=f"Chaos{n}", **extra)

        technicien = actor(app, "technicien")
        big = [make_session(app, session, days=2 + i, capacity=50).id for i in range(3)]
        handovers = []
        for i in range(sizes.handovers):
            item = household()
            device = stock_device(session, shop)
            handovers.append((reserve(session, technicien, item.id, device.asset_tag).id, big[i % len(big)]))
        small = [make_session(app, session, days=10 + i, capacity=3).id for i in range(sizes.small_sessions)]
        bookings = [(small[i % len(small)], household().household_id) for i in range(sizes.bookings)]
        contested = []
        for _ in range(sizes.reservations):
            tag = stock_device(session, shop).asset_tag
            contested += [(household().id, tag), (household().id, tag)]
        received = [make_device(session, shop["collection"].id).asset_tag for _ in range(sizes.transitions)]
        session.commit()
    return {"handovers": handovers, "bookings": bookings, "contested": contested, "received": received}


def start_gunicorn(url: str, port: int, workers: int, log: Path) -> subprocess.Popen:
    try:
        requests.get(f"http://127.0.0.1:{port}/health", timeout=2)
        raise SystemExit(f"Le port {port} est déjà pris : choisissez-en un autre (--port).")
    except requests.RequestException:
        pass
    env = {**os.environ, "DATABASE_URL": url, "DEMO": "0", "SECRET_KEY": "chaos-" + os.urandom(8).hex()}
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "app:create_app()"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    for _ in range(120):
        if process.poll() is not None:
            break
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit(f"gunicorn ne répond pas (voir {log})")


def workers_of(master: int) -> list[int]:
    """The gunicorn workers: the master's children (read from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            children.append(int(stat.parent.name))
    return sorted(children)


def burst(base: str, scenario: dict, clients: int, master: int, kill_after: float) -> dict:
    login = requests.post(f"{base}/api/v1/security/login", timeout=30, json={
        "username": "technicien", "password": PASSWORD, "provider": "db"})
    if login.status_code != 200:
        raise SystemExit(f"Connexion refusée ({login.status_code}) : {login.text[:300]}")
    token = login.json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    calls = ([("handover", f"/api/v1/reservations/{r}/handover",
               {"payment_method": "cash", "internet_access": "mobile", "workshop_session_id": w})
              for r, w in scenario["handovers"]]
             + [("booking", f"/api/v1/workshops/{w}/bookings", {"household_id": h}) for w, h in scenario["bookings"]]
             + [("reservation", "/api/v1/reservations", {"request_id": r, "asset_tag": t})
                for r, t in scenario["contested"]]
             + [("transition", f"/api/v1/devices/{t}/transition", {"to": "wiping"})
                for t in scenario["received"] for _ in range(2)])
    random.Random(7).shuffle(calls)
    answers: Counter = Counter()
    done, killed, lock = [0], [], threading.Lock()
    threshold = int(len(calls) * kill_after)

    def send(call) -> None:
        kind, path, body = call
        try:
            status = requests.post(base + path, json=body, headers=headers, timeout=60).status_code
        except requests.RequestException:
            status = "sans réponse"
        with lock:
            answers[(kind, status)] += 1
            done[0] += 1
            if done[0] == threshold and not killed:
                victim = workers_of(master)[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, calls))
    return {"requests": len(calls), "seconds": time.perf_counter() - started, "answers": answers,
            "killed": killed}


def invariants(url: str) -> list[str]:
    """What is broken, in French (empty: all hold)."""
    from distribution.models import Booking, Invoice, Reservation, WorkshopSession
    from distribution.services.invoicing import verify_chain
    from inventory.models import Device, DeviceEvent
    from sqlalchemy.orm import Session

    broken = []
    engine = create_engine(url)
    with Session(engine) as session:
        numbers = session.execute(select(Invoice.number)).scalars().all()
        by_year: dict[str, list[int]] = {}
        for number in numbers:
            prefix, serial = number.rsplit("-", 1)
            by_year.setdefault(prefix, []).append(int(serial))
        for prefix, serials in by_year.items():
            if sorted(serials) != list(range(1, len(serials) + 1)):
                broken.append(f"numérotation des factures {prefix} : {sorted(serials)}")
        broken += [f"chaîne des factures : {problem}" for problem in verify_chain(session)]
        over = session.execute(
            select(WorkshopSession.id, WorkshopSession.capacity, func.count(Booking.id))
            .join(Booking, Booking.session_id == WorkshopSession.id).where(Booking.status == "booked")
            .group_by(WorkshopSession.id, WorkshopSession.capacity)
            .having(func.count(Booking.id) > WorkshopSession.capacity)).all()
        broken += [f"atelier {s} : {n} inscrits pour {c} places" for s, c, n in over]
        active = select(Reservation).where(Reservation.status == "active").subquery()
        for column, what in ((active.c.device_id, "appareil"), (active.c.request_id, "demande")):
            twice = session.execute(select(column, func.count()).group_by(column).having(func.count() > 1)).all()
            broken += [f"{what} {key} : {n} réservations actives" for key, n in twice]
        held = set(session.execute(select(active.c.device_id)).scalars())
        reserved = set(session.execute(select(Device.id).where(Device.state == "reserved")).scalars())
        broken += [f"appareil {d} : réservé sans réservation active" for d in reserved - held]
        broken += [f"appareil {d} : réservation active mais état différent" for d in held - reserved]
        last = (select(DeviceEvent.device_id, DeviceEvent.to_state,
                       func.row_number().over(partition_by=DeviceEvent.device_id,
                                              order_by=(DeviceEvent.at.desc(), DeviceEvent.id.desc())).label("n"))
                .subquery())
        drift = session.execute(select(Device.asset_tag, Device.state, last.c.to_state)
                                .join(last, last.c.device_id == Device.id)
                                .where(last.c.n == 1, last.c.to_state != Device.state)).all()
        broken += [f"{tag} : état « {state} », dernier événement « {to} »" for tag, state, to in drift]
        for invoice in session.execute(select(Invoice)).scalars():
            if invoice.device.state != "distributed" or invoice.reservation.status == "active":
                broken.append(f"facture {invoice.number} : remise incomplète")
        counts = {"factures": len(numbers),
                  "inscrits": session.execute(select(func.count()).where(Booking.status == "booked")).scalar_one(),
                  "réservations actives": len(held)}
    engine.dispose()
    print("Base après la rafale : " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return broken


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--handovers", type=int, default=24)
    parser.add_argument("--bookings", type=int, default=40)
    parser.add_argument("--small-sessions", type=int, default=2, help="sessions of 3 seats the bookings share")
    parser.add_argument("--reservations", type=int, default=10)
    parser.add_argument("--transitions", type=int, default=30)
    parser.add_argument("--kill-after", type=float, default=0.25, help="share of answers before the kill")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rekonekt-chaos-"))
    url = fresh_database(args.database, folder)
    started = time.perf_counter()
    scenario = build_scenario(url, args)
    print(f"Scénario prêt en {time.perf_counter() - started:.1f} s ({args.database})")
    server = start_gunicorn(url, args.port, args.workers, folder / "gunicorn.log")
    try:
        result = burst(f"http://127.0.0.1:{args.port}", scenario, args.clients, server.pid, args.kill_after)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    print(f"{result['requests']} requêtes en {result['seconds']:.1f} s, {args.clients} clients, "
          f"{args.workers} workers ; worker tué (SIGKILL) : {result['killed']}")
    for (kind, status), n in sorted(result["answers"].items(), key=lambda item: str(item[0])):
        print(f"  {kind:<12} {status!s:<12} {n}")
    broken = invariants(url)
    if broken:
        print("INVARIANTS ROMPUS :")
        for problem in broken:
            print("  - " + problem)
        return 1
    print("Invariants tenus : factures sans trou et chaîne intacte, aucune session au-delà de sa capacité, "
          "aucune double réservation, états = derniers événements, remises complètes.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
