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


eligibility = AppGroup("eligibility", help="Éligibilité : règles, conservation des données des foyers.")


@eligibility.command("load-rules")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_rules_command(path: str) -> None:
    """Charger un jeu de règles (fichier JSON). Un jeu déjà utilisé par une décision ne change jamais."""
    from app.extensions import db
    from core.errors import DomainError
    from eligibility.services.rulesets import load_rule_set, read_rule_file

    try:
        with open(path, "rb") as handle:
            row, outcome = load_rule_set(db.session, read_rule_file(handle.read()))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    said = {"added": "ajouté", "replaced": "remplacé (aucune décision ne l'utilisait)", "unchanged": "inchangé"}
    click.echo(f"Jeu de règles {row.id} {said[outcome]} : en vigueur à partir du {row.effective_from:%d/%m/%Y}.")


@eligibility.command("purge")
@click.option("--months", type=click.IntRange(min=1), default=None, help="Inactivité en mois (36 par défaut, ELIGIBILITY_RETENTION_MONTHS).")
@click.option("--dry-run", is_flag=True, help="Lister sans anonymiser.")
def purge_command(months: int | None, dry_run: bool) -> None:
    """Anonymiser les foyers sans activité depuis 36 mois (ne garde que commune, palier, dates, catégories),
    les participants sans inscription et les données de tournée de plus de 36 mois."""
    from app.extensions import db
    from distribution.services.tour_retention import purge_tours
    from eligibility.services.retention import purge

    months = months if months is not None else current_app.config["ELIGIBILITY_RETENTION_MONTHS"]
    references = purge(db.session, months, dry_run=dry_run)
    verb = "à anonymiser" if dry_run else "anonymisé(s)"
    click.echo(f"{len(references)} foyer(s) {verb} (sans activité depuis {months} mois).")
    for reference in references:
        click.echo(f"  {reference}")
    # What the mobile workshop's tours hold about people (issue 20): same period.
    walk_ins, tours = purge_tours(db.session, months, dry_run=dry_run)
    click.echo(f"{walk_ins} participant(s) sans inscription et {tours} tournée(s) {verb} "
               f"(enregistrés il y a plus de {months} mois).")


distribution = AppGroup("distribution", help="Remise : réservations, factures, grilles de prix.")


@distribution.command("release-expired")
def release_expired_command() -> None:
    """Libérer les réservations échues (à lancer chaque nuit par cron) : l'appareil revient en stock."""
    from app.extensions import db
    from distribution.services.reservations import release_expired

    released = release_expired(db.session)
    click.echo(f"{len(released)} réservation(s) expirée(s) libérée(s).")
    for reservation in released:
        click.echo(f"  {reservation.device.asset_tag} (demande n° {reservation.request_id})")


@distribution.command("verify-invoices")
def verify_invoices_command() -> None:
    """Vérifier la chaîne des empreintes et la numérotation des factures et avoirs, ainsi que la chaîne
    et la série de chaque unité mobile. Les séries closes d'unités retirées sont signalées sans être des
    anomalies : le code de sortie est 1 seulement pour une anomalie."""
    from app.extensions import db
    from distribution.services.invoicing import verify_chain
    from distribution.services.mobile_invoicing import series_notes

    for note in series_notes(db.session):
        click.echo(note)
    problems = verify_chain(db.session)
    if problems:
        for problem in problems:
            click.echo(problem)
        raise click.ClickException(f"{len(problems)} anomalie(s) dans la chaîne des factures et avoirs.")
    click.echo("Chaîne des factures et avoirs intacte : numérotation continue, empreintes conformes.")


@distribution.command("load-grid")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def load_grid_command(path: str) -> None:
    """Charger une grille de prix solidaires (JSON). Une grille déjà facturée ne change jamais."""
    from app.extensions import db
    from core.errors import DomainError
    from distribution.services.grids import load_grid, read_grid_file

    try:
        with open(path, "rb") as handle:
            row, outcome = load_grid(db.session, read_grid_file(handle.read()))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    said = {"added": "ajoutée", "replaced": "remplacée (aucune facture ne l'utilisait)", "unchanged": "inchangée"}
    click.echo(f"Grille {row.id} {said[outcome]} : en vigueur à partir du {row.effective_from:%d/%m/%Y}.")


reporting = AppGroup("reporting", help="Indicateurs et rapports du programme.")


@reporting.command("impact")
@click.option("--period", required=True, help="Semestre, par exemple 2026-S2.")
@click.option("--epci", default=None, help="Limiter à un EPCI (CACEM, CAP Nord, Espace Sud).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Fichier PDF à écrire (par défaut rapport-impact-<période>.pdf).")
def impact_command(period: str, epci: str | None, output: str | None) -> None:
    """Produire le rapport d'impact semestriel (PDF) pour la revue avec les partenaires."""
    from app.extensions import db
    from core.errors import DomainError
    from reporting.impact import half_year, impact_data
    from reporting.impact_pdf import render_impact_report
    from reporting.queries import filters_from_args, scope_label

    try:
        start, end, _label = half_year(period)
        base = filters_from_args(db.session, {"from": start.isoformat(), "to": end.isoformat(), "epci": epci or ""})
        scope = scope_label(db.session, base)
        pdf = render_impact_report(impact_data(db.session, period, base, programme_name=current_app.config["PROGRAMME_NAME"],
                                               scope=scope))
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    path = output or f"rapport-impact-{period.strip().upper()}.pdf"
    with open(path, "wb") as handle:
        handle.write(pdf)
    click.echo(f"Rapport d'impact {period.strip().upper()} écrit dans {path} ({len(pdf)} octets).")


@reporting.command("rebuild")
def rebuild_command() -> None:
    """Reconstruire les résumés des indicateurs à partir des enregistrements."""
    from app.extensions import db
    from reporting.upkeep import TITLES, rebuild

    counts = rebuild(db.session)
    click.echo("Résumés reconstruits à partir des enregistrements :")
    for name, rows in counts.items():
        click.echo(f"  {TITLES[name]} : {rows} ligne(s)")


@reporting.command("verify")
def verify_command() -> None:
    """Comparer les résumés des indicateurs à leur recalcul à partir des enregistrements."""
    from app.extensions import db
    from reporting.upkeep import verify

    problems, compared = verify(db.session)
    if problems:
        for problem in problems[:200]:
            click.echo(problem)
        if len(problems) > 200:
            click.echo(f"… et {len(problems) - 200} autre(s) écart(s).")
        raise click.ClickException(
            f"{len(problems)} écart(s) entre les résumés des indicateurs et les enregistrements. Cherchez ce qui "
            "a écrit sans passer par les déclencheurs, puis lancez « flask reporting rebuild ».")
    click.echo(f"Résumés des indicateurs conformes aux enregistrements ({compared} ligne(s) recalculée(s)).")


def register(app: Flask) -> None:
    app.cli.add_command(group)
    app.cli.add_command(eligibility)
    app.cli.add_command(distribution)
    app.cli.add_command(reporting)
