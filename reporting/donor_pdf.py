""""Ce que sont devenus vos dons": the report sent to one donor (reportlab). Pure rendering: a
display-ready dict in (numbers and dates already formatted in French), bytes out; no database and
no Flask.

It shows totals, the communes where the donor's devices were handed over and the outcome of each
collection; never anything about a household (the data given has no household in it). A4
portrait, body 11 pt; long lists break across pages with their header repeated."""
from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from reporting.impact_pdf import HEADING, PROGRAMME, SUBTITLE, TITLE, build, count, facts, grid, para, text

REPORT = "Ce que sont devenus vos dons"
ALL_TIME = "Depuis le début du programme"


def render_donor_report(data: dict) -> bytes:
    """The PDF bytes of one donor's report (A4 portrait; long tables flow across pages)."""
    programme = text(data.get("programme_name"))
    donor = text(data.get("donor_name"))
    period = data.get("period_label") or ALL_TIME
    story = [
        para(programme, PROGRAMME),
        para(REPORT, TITLE),
        para(donor, SUBTITLE),
        facts([("Période", period), ("Généré le", data.get("generated_at"))]),
        Spacer(1, 3 * mm),
        para(f"Merci pour vos dons. Ce document retrace le parcours des appareils que vous avez confiés à "
             f"{programme} : effacement certifié des données, remise à des foyers à prix solidaire ou recyclage. "
             "Il ne contient aucune information permettant d'identifier les foyers bénéficiaires."),
    ]

    story.append(para("En résumé", HEADING))
    totals = data.get("totals") or []
    story.append(grid(["Indicateur", "Nombre"], [[label, count(value)] for label, value in totals], [0.75, 0.25],
                      numeric={1}) if totals else para("Aucune donnée."))

    story.append(para("Où vos appareils ont été remis", HEADING))
    by_commune = data.get("by_commune") or []
    if by_commune:
        story.append(para("Nombre d'appareils remis à des foyers, par commune de résidence du foyer."))
        rows = [[epci, commune, count(devices)] for epci, commune, devices in by_commune]
        story.append(grid(["EPCI", "Commune", "Appareils remis"], rows, [0.3, 0.45, 0.25], numeric={2}))
    else:
        story.append(para("Aucun appareil remis pour l'instant."))

    story.append(para("Vos collectes", HEADING))
    collections = data.get("collections") or []
    if collections:
        story.append(para("Le certificat d'effacement atteste que les données des appareils de la collecte ont été "
                          "effacées ; « — » signale qu'il n'est pas encore émis. Le devenir d'un appareil est son état "
                          "le plus récent : remis à un foyer, recyclé, ou encore en cours de traitement (contrôle, "
                          "effacement, remise en état ou attente d'un foyer)."))
        rows = [[c.get("reference"), c.get("collected_on"), count(c.get("devices")), c.get("certificate"),
                 c.get("outcomes")] for c in collections]
        story.append(grid(["Référence", "Collectée le", "Appareils", "Certificat d'effacement", "Devenir"], rows,
                          [0.19, 0.17, 0.13, 0.22, 0.29], numeric={2}))
    else:
        story.append(para("Aucune collecte sur la période."))
    return build(story, title=f"{REPORT} — {donor}", author=programme, footer=f"{programme} — {REPORT} — {donor}")
