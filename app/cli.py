"""``flask rekonekt …`` commands: thin wrappers around the bootstrap and the services."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

group = AppGroup("rekonekt", help="Rekonekt : préparation de la base et données de démonstration.")


@group.command("prepare")
@click.option("--demo/--no-demo", default=None, help="Charger les données de démonstration si la base est vide.")
def prepare_command(demo: bool | None) -> None:
    """Migrer, charger les données de référence, créer les rôles (et la démo si la base est vide)."""
    from app.bootstrap import prepare

    config = current_app.config
    outcome = prepare(current_app._get_current_object(),
                      demo=config["DEMO"] if demo is None else demo,
                      demo_password=config["DEMO_PASSWORD"])
    click.echo(f"Base à jour. Communes : {outcome['territory']['communes']}, EPCI : {outcome['territory']['epci']}.")
    if outcome["demo_loaded"]:
        click.echo("Données de démonstration chargées.")


def register(app: Flask) -> None:
    app.cli.add_command(group)
