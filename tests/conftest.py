"""Shared fixtures. Pure tests need none of these. Database tests run on SQLite always and again
on PostgreSQL when ``TEST_DATABASE_URL`` is set (fixture ``database``).

``session`` is the database session of a test. The services of the domains need no web app:
a test under ``tests/<domain>/`` gets a session on a schema built from the models' metadata
(``domain_engine``), without Flask-AppBuilder. A test that asks for the web app (``app``,
``client``, ``users``, ``race``), and every test under ``tests/app/``, gets the app's session.

Without ``TEST_DATABASE_URL``, the tests marked ``concurrency`` still run on PostgreSQL when the
local server answers (``LOCAL_POSTGRES``, the machine's ``test`` database): the guarantees they
prove are the ones production relies on. ``REKONEKT_TEST_LOCAL_POSTGRES=0`` turns that off
(``make mutants`` does, as its workers run side by side).

The schema is built with ``create_all`` here, in tests only; ``tests/app/test_migrations.py``
checks that the migrations build the same schema.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app import create_app
from app.extensions import db
from core.base import Model
from core.db import tune_engine
from config import TestConfig
from core.territory import load_territory
from distribution.models import IMMUTABLE_TABLES, immutability_triggers

PASSWORD = "secret-pass"

# username → (role, binding)
USERS = {
    "admin": ("Admin", None),
    "technicien": ("Technicien", None),
    "agent.cacem": ("Agent EPCI", "CACEM"),
    "agent.espacesud": ("Agent EPCI", "Espace Sud"),
    "partenaire": ("Partenaire", None),
    "prescripteur": ("Prescripteur", None),
    "animateur": ("Animateur", None),
}

# Reference data and accounts survive between tests; everything else is emptied.
KEEP_TABLES = {"epci", "commune", "postal_code", "checklist_template", "rule_set", "price_grid"}


LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _answers(url: str) -> bool:
    import psycopg

    try:
        psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                        connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


def _postgres() -> tuple[str | None, bool]:
    """(URL, whether every database test runs there or only the concurrency tests)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url, True
    if os.environ.get("REKONEKT_TEST_LOCAL_POSTGRES", "1") != "0" and _answers(LOCAL_POSTGRES):
        return LOCAL_POSTGRES, False
    return None, False


POSTGRES_URL, POSTGRES_FOR_ALL = _postgres()


def postgres_url() -> str | None:
    return POSTGRES_URL


DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

def _mutation_order(item) -> int:
    """Pure tests first, then the database tests of the domains, the HTTP tests last."""
    names = getattr(item, "fixturenames", ())
    if "database" not in names and "app" not in names:
        return 0
    return 2 if item.nodeid.startswith(("tests/app/", "mutants/tests/app/")) else 1


def pytest_collection_modifyitems(config, items):
    """Concurrency tests run on both engines; without TEST_DATABASE_URL, only they run on
    PostgreSQL. Under ``make mutants`` (REKONEKT_MUTANTS=1) the fastest tests run first: mutmut
    stops at the first failure, so a mutant a unit test kills costs that test only."""
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None) and item.callspec.params
        engine = params and (params.get("database") or params.get("empty_database"))
        racing = item.get_closest_marker("concurrency") is not None
        if engine == "postgresql" and not racing and not POSTGRES_FOR_ALL:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    if os.environ.get("REKONEKT_MUTANTS") == "1":
        items.sort(key=_mutation_order)      # stable: the order within each tier is kept


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database(request) -> str:
    """The engine a database test runs on: "sqlite", or "postgresql" (see ``DATABASES``)."""
    return request.param


def _load_reference_data(session) -> None:
    """What every database starts with: the territory, the grading checklists, the bundled
    eligibility rules and price grids."""
    from distribution.services.grids import load_bundled_grids
    from eligibility.services.rulesets import load_bundled
    from inventory.services.grading import ensure_templates

    load_territory(session)
    ensure_templates(session)
    load_bundled(session)
    load_bundled_grids(session)


@pytest.fixture(scope="session")
def app(database, tmp_path_factory):
    if database == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    else:
        url = postgres_url()
        _reset_postgres(url)
    application = create_app(TestConfig(url))
    application.config["DB_KIND"] = database

    def fresh_g() -> None:
        # Tests keep one app context open, and Flask reuses it (and its ``g``, where
        # Flask-Login keeps the signed-in user) for every request they make. A real request
        # has its own context: start each one with an empty ``g``.
        for name in list(vars(g)):
            delattr(g, name)

    application.before_request_funcs.setdefault(None, []).insert(0, fresh_g)
    with application.app_context():
        db.create_all()
        _load_reference_data(db.session)
        sm = application.appbuilder.sm
        sm.ensure_roles()
        from core.territory import Epci
        from sqlalchemy import select

        epcis = {e.short_name: e.id for e in db.session.execute(select(Epci)).scalars()}
        for username, (role, binding) in USERS.items():
            user = sm.add_user(username, username.title(), "Test", f"{username}@example.invalid",
                               sm.find_role(role), password=PASSWORD)
            if binding:
                user.epci_id = epcis[binding]
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_tables(application) -> None:
    with application.app_context():
        db.session.rollback()
        _empty_domain_tables(db.engine, accounts=True)
        db.session.remove()


def _empty_domain_tables(engine, accounts: bool = False) -> None:
    """Delete every row but the reference data and the accounts (``accounts``: the app's user
    accounts are there, and their binding to an organisation is undone first)."""
    built = getattr(engine, "rekonekt_tables", None)
    tables = [t for t in Model.metadata.sorted_tables if t.name not in KEEP_TABLES and not t.name.startswith("ab_")
              and (built is None or t.name in built)]
    with engine.begin() as conn:
        # Issued invoices refuse DELETE through triggers: tests lift them while emptying.
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            for table in IMMUTABLE_TABLES:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        if accounts:
            conn.execute(text("UPDATE ab_user SET organisation_id = NULL"))
        # DELETE, not TRUNCATE … CASCADE: on PostgreSQL the cascade would reach ab_user
        # through its organisation foreign key and wipe the accounts.
        for table in reversed(tables):
            conn.execute(table.delete())
        # SQLite's summary triggers (reporting.summaries) took back what the deletes removed.
        for table in tables:
            if table.name.startswith("reporting_"):
                conn.execute(table.delete())
        if conn.dialect.name != "postgresql":
            for table in IMMUTABLE_TABLES:
                for statement in immutability_triggers(conn.dialect.name, table):
                    conn.exec_driver_sql(statement)


@pytest.fixture(params=DATABASES)
def empty_database(request, tmp_path):
    """The URL of a brand-new, empty database (SQLite file, or a PostgreSQL database created
    for the test and dropped after it)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = make_url(postgres_url())
    # Named after the test database: two runs on two databases of one server (engineers working
    # side by side) never drop each other's.
    name = f"rekonekt_empty_check_{url.database}"[:63]
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def domain_engine(database, tmp_path_factory):
    """A database for the domains' service tests, without the web app: the schema built from
    the models' metadata, and the reference data. On PostgreSQL it lives in its own schema
    (``domain``) of the test database, beside the app's ``public``."""
    # Every domain model, so that the metadata describes the whole schema.
    from core import counters, organisations, settings, territory  # noqa: F401
    from distribution import models as _distribution  # noqa: F401
    from eligibility import models as _eligibility  # noqa: F401
    from inventory import models as _inventory  # noqa: F401
    from inventory.stocktake import models as _stocktake  # noqa: F401
    from reporting import summaries as _reporting  # noqa: F401

    if database == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path_factory.mktemp('domain') / 'domain.db'}")
    else:
        with create_engine(postgres_url(), isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS domain CASCADE"))
            conn.execute(text("CREATE SCHEMA domain"))
        engine = create_engine(postgres_url(), connect_args={"options": "-csearch_path=domain"})
    tune_engine(engine)
    Model.metadata.create_all(engine)
    # The tables built now: a model the web app declares (station_token…) joins the metadata
    # when a later test imports the app, and is not in this database.
    engine.rekonekt_tables = frozenset(Model.metadata.tables)
    with Session(engine) as session:
        _load_reference_data(session)
    yield engine
    Model.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture
def domain_session(domain_engine):
    """A session on the domains' database; tables emptied afterwards."""
    with Session(domain_engine) as session:
        yield session
        session.rollback()
    _empty_domain_tables(domain_engine)


@pytest.fixture
def app_session(app):
    """The app's database session, inside an app context; tables emptied afterwards."""
    with app.app_context():
        yield db.session
    _empty_tables(app)


APP_FIXTURES = {"app", "client", "users", "race"}
DOMAIN_TESTS = {"core", "inventory", "eligibility", "distribution", "reporting", "labels"}


@pytest.fixture
def session(request, database):
    """The test's database session: the light one for a domain test that needs nothing of the
    web app, the app's otherwise (see the module's docstring)."""
    package = request.node.path.relative_to(Path(__file__).parent).parts[0]
    if package in DOMAIN_TESTS and not APP_FIXTURES & set(request.fixturenames):
        return request.getfixturevalue("domain_session")
    return request.getfixturevalue("app_session")


@pytest.fixture
def client(app, session):
    return app.test_client()


@pytest.fixture
def users(app, session):
    """Username → user id of the session's accounts."""
    sm = app.appbuilder.sm
    return {name: sm.find_user(name).id for name in USERS}


@pytest.fixture
def race(app):
    """``race(count)`` → a ``tests.concurrency.Race`` of ``count`` threads on this test's app."""
    from tests.concurrency import Race

    return lambda count, **options: Race(app, count, **options)
