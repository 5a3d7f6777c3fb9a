"""Batch check: a CSV or XLSX file of households, decided row by row with the vectorised engine
path. Checking stores nothing; importing (after the agent confirms) creates the households
without errors, and their requests, in one transaction."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_today
from core.errors import DomainError, ValidationFailed
from core.spreadsheets import Money, csv_bytes, csv_text, xlsx_bytes
from core.uploads import BATCH_LIMITS, UploadLimits, check_size, csv_problem, decode_text, read_xlsx_rows, too_many_rows
from core.territory import Commune
from eligibility import engine
from core.actor import Actor
from eligibility.identity import InvalidPhone, normalise_phone
from core.unit_of_work import unit_of_work
from eligibility.services.common import territory
from eligibility.services.households import new_household
from eligibility.services.requests import new_request
from eligibility.services.rulesets import rules_in_effect
from eligibility.vocabulary import Situation
from core.vocabulary import Category

# Column → what it holds (shown on the page and in the template).
COLUMNS = {
    "nom": "Nom du demandeur (obligatoire pour l'import)",
    "prenom": "Prénom du demandeur (obligatoire pour l'import)",
    "date_naissance": "Date de naissance du demandeur, JJ/MM/AAAA ou AAAA-MM-JJ (obligatoire pour l'import)",
    "telephone": "Téléphone de Martinique : 0596…, 0696…, 0697… ou +596… (obligatoire pour l'import)",
    "email": "Courriel (facultatif)",
    "adresse": "Adresse (facultatif)",
    "commune_insee": "Code INSEE de la commune (972xx)",
    "ages": "Âge de chaque personne du foyer, le demandeur compris, séparés par « ; » (ex. 45;41;12)",
    "ressources_mensuelles": "Ressources mensuelles du foyer en euros (ex. 1250,50)",
    "prestations": "Codes des prestations perçues, séparés par « ; » (RSA, RSO, ASS, AAH, ASI, ASPA, ADA, AV, CSS)",
    "situations": "Situations prioritaires, séparées par « ; » (" + ", ".join(Situation.values()) + ")",
    "besoin": "Équipement demandé (" + ", ".join(Category.values()) + "), facultatif",
}
REQUIRED = ("commune_insee", "ages", "ressources_mensuelles")


@dataclass
class BatchResult:
    frame: pd.DataFrame        # one row per input row: the decision or the error, in French
    rule_set: str
    importable: int            # rows without any error

    @property
    def errors(self) -> int:
        return int(self.frame["erreur"].astype(bool).sum())


def template_csv() -> str:
    return csv_text(list(COLUMNS), [
        ["Jean-Baptiste", "Éloïse", "02/04/1980", "0696 12 34 56", "", "12 rue Schœlcher", "97213", "46;45;9",
         "1800,00", "", "", "laptop"],
        ["Louis", "Marc", "15/09/1950", "0596 11 22 33", "", "", "97206", "76", "950", "ASPA", "senior", "tablet"],
    ])


def read_table(content: bytes, filename: str, limits: UploadLimits = BATCH_LIMITS) -> pd.DataFrame:
    """The uploaded file as text columns (CSV: ``;`` or ``,``, UTF-8 or Windows-1252; or XLSX,
    its first sheet). Blank lines are skipped; columns other than ``COLUMNS`` are ignored.

    Bounded whatever the file: at most ``limits.max_bytes``; an XLSX is checked as an archive
    before it is read (``core.uploads``); rows are counted while they are read, and the file is
    refused (``ValidationFailed``, ``file``) as soon as it has more than ``limits.max_rows``."""
    check_size(content, limits)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        rows = [row for row in read_xlsx_rows(content, limits) if any(v.strip() for v in row)]
    else:
        rows = _csv_rows(decode_text(content, expected="un fichier CSV ou XLSX"), limits)
    if not rows:
        raise ValidationFailed({"file": ["Fichier vide : une ligne d'en-têtes puis une ligne par foyer attendues. "
                                         "Téléchargez le modèle."]})
    header = [str(c).strip().lower() for c in rows[0]]
    positions: dict[str, int] = {}
    for index, name in enumerate(header):
        if name in COLUMNS:
            if name in positions:
                raise ValidationFailed({"file": [f"Colonne en double : {name}."]})
            positions[name] = index
    missing = [c for c in REQUIRED if c not in positions]
    if missing:
        raise ValidationFailed({"file": [f"Colonne(s) manquante(s) : {', '.join(missing)}. Téléchargez le modèle "
                                         "pour voir les colonnes attendues."]})
    body = rows[1:]
    if not body:
        raise ValidationFailed({"file": ["Le fichier ne contient aucune ligne de foyer."]})
    if len(body) > limits.max_rows:
        raise too_many_rows(limits, "foyers")
    frame = pd.DataFrame({name: [row[index].strip() if index < len(row) else "" for row in body]
                          for name, index in positions.items()}, dtype=object)
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    return frame


def _csv_rows(text: str, limits: UploadLimits) -> list[list[str]]:
    """The CSV's non-blank rows, the header included; refused past ``limits.max_rows`` rows
    (counted while reading) or when a row has more values than the header has columns."""
    first = text.split("\n", 1)[0]
    separator = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    rows: list[list[str]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            if rows and len(values) > len(rows[0]) and any(v.strip() for v in values[len(rows[0]):]):
                raise ValidationFailed({"file": [f"Ligne {reader.line_num} : {len(values)} valeurs pour "
                                                 f"{len(rows[0])} colonnes : vérifiez les séparateurs et les guillemets."]})
            rows.append(values)
            if len(rows) > limits.max_rows + 1:
                raise too_many_rows(limits, "foyers")
    except csv.Error as exc:
        raise ValidationFailed({"file": [f"Fichier CSV illisible, ligne {reader.line_num} : {csv_problem(exc)}."]}) from None
    return rows


def _date(text: str) -> date | None:
    text = text.strip()
    for parse in (date.fromisoformat, lambda t: date(int(t[6:10]), int(t[3:5]), int(t[0:2]))):
        try:
            return parse(text) if text else None
        except (ValueError, IndexError):
            continue
    return None


def check_table(session: Session, actor: Actor, frame: pd.DataFrame, day: date | None = None) -> BatchResult:
    """Decide every row; the identity columns are checked too, so that importing cannot fail."""
    day = day or local_today()
    rules = rules_in_effect(session, day)
    engine_frame = pd.DataFrame({"commune_insee": frame["commune_insee"], "ages": frame["ages"],
                                 "monthly_resources": frame["ressources_mensuelles"].str.replace("\u00a0", "")
                                 .str.replace(" ", ""), "benefits": frame["prestations"]})
    decided = engine.decide_frame(engine_frame, rules, territory(session))
    own = None
    if not actor.is_admin:
        own = set(session.execute(select(Commune.insee_code).where(Commune.epci_id == actor.epci_id)).scalars())
    errors = [_in_columns(e) for e in decided["error"].tolist()]
    for i, row in enumerate(frame.itertuples(index=False)):
        if errors[i] is None:
            errors[i] = _identity_error(row, own)
    result = pd.DataFrame({
        "ligne": range(2, len(frame) + 2),
        "nom": frame["nom"].tolist(), "prenom": frame["prenom"].tolist(),
        "commune_insee": frame["commune_insee"].tolist(),
        "eligible": ["" if e else ("oui" if ok else "non") for e, ok in zip(errors, decided["eligible"])],
        "palier": ["" if e or t is None else t for e, t in zip(errors, decided["tier"])],
        "unites_consommation": ["" if e or u is None else str(u).replace(".", ",")
                                for e, u in zip(errors, decided["consumption_units"])],
        "ressources_par_uc": ["" if e or r is None else str(r).replace(".", ",")
                              for e, r in zip(errors, decided["resources_per_uc"])],
        "epci": ["" if e or p is None else p for e, p in zip(errors, decided["epci"])],
        "motifs": ["" if e else " ".join(r) for e, r in zip(errors, decided["reasons"])],
        "erreur": [e or "" for e in errors],
    })
    return BatchResult(result, rules.id, sum(1 for e in errors if not e))


# The engine names its fields; the file's user knows its columns.
ENGINE_FIELDS = {"commune_insee": "commune_insee", "members": "ages", "monthly_resources": "ressources_mensuelles",
                 "benefits": "prestations"}


def _in_columns(error: str | None) -> str | None:
    """An engine error (« monthly_resources : … ») naming the file's column instead
    (« ressources_mensuelles : … »)."""
    if error is None:
        return None
    field, separator, message = error.partition(" : ")
    return f"{ENGINE_FIELDS.get(field, field)}{separator}{message}"


def _identity_error(row, own_communes: set[str] | None) -> str | None:
    if own_communes is not None and row.commune_insee.strip() not in own_communes:
        return "commune_insee : commune hors de votre EPCI : ce foyer ne peut pas être importé par vous."
    if not row.nom.strip() or not row.prenom.strip():
        return "nom, prenom : nom et prénom du demandeur obligatoires."
    born = _date(row.date_naissance)
    if born is None or born > local_today():
        return "date_naissance : date de naissance attendue (JJ/MM/AAAA)."
    try:
        normalise_phone(row.telephone)
    except InvalidPhone as exc:
        return f"telephone : {exc.message}"
    situations = [s.strip() for s in row.situations.split(";") if s.strip()]
    if any(s not in Situation.values() for s in situations):
        return f"situations : valeurs acceptées : {', '.join(Situation.values())}."
    if row.besoin.strip() and row.besoin.strip() not in Category.values():
        return f"besoin : valeurs acceptées : {', '.join(Category.values())}."
    return None


def _result_cells(frame: pd.DataFrame) -> list[list]:
    """The results as spreadsheet cells: line and tier as whole numbers, consumption units as a
    number, resources per unit as money; names and messages as (neutralised) text."""
    def number(text, kind):
        text = str(text).strip()
        return kind(text.replace(",", ".")) if text else None

    rows = []
    for record in frame.itertuples(index=False):
        row = record._asdict()
        row["ligne"] = int(row["ligne"])
        row["palier"] = number(row["palier"], int)
        row["unites_consommation"] = number(row["unites_consommation"], Decimal)
        resources = number(row["ressources_par_uc"], Decimal)
        row["ressources_par_uc"] = Money(resources) if resources is not None else None
        rows.append([row[c] for c in frame.columns])
    return rows


def result_file(result: BatchResult, fmt: str) -> tuple[bytes, str]:
    """The per-row results, as CSV (``;``, decimal comma, UTF-8 with BOM, for Excel) or XLSX,
    written by ``core.spreadsheets``: a household named ``=HYPERLINK(…)`` comes back as text."""
    cells = _result_cells(result.frame)
    if fmt == "xlsx":
        return (xlsx_bytes([("Résultats", list(result.frame.columns), cells)]),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return csv_bytes(list(result.frame.columns), cells, decimal=","), "text/csv; charset=utf-8"


def import_table(session: Session, actor: Actor, frame: pd.DataFrame) -> tuple[list[str], int, list[str]]:
    """Create the households of the rows without error (and a request where ``besoin`` is
    given), all in one transaction. Returns their references, the number of rows skipped and
    the possible-duplicate flags."""
    result = check_table(session, actor, frame)
    ok = [i for i, error in enumerate(result.frame["erreur"]) if not error]
    references: list[str] = []
    warnings: list[str] = []
    today = local_today()
    try:
        with unit_of_work(session):
            for i in ok:
                line = i + 2
                row = frame.iloc[i]
                ages = [int(float(a)) for a in row["ages"].replace(" ", "").split(";") if a]
                data = {
                    "last_name": row["nom"].strip(), "first_name": row["prenom"].strip(),
                    "birth_date": _date(row["date_naissance"]), "phone": row["telephone"],
                    "email": row["email"].strip() or None, "address": row["adresse"].strip() or None,
                    "commune_insee": row["commune_insee"].strip(), "members": [{"age": a} for a in ages],
                    "monthly_resources": Decimal(row["ressources_mensuelles"].replace("\u00a0", "")
                                                        .replace(" ", "").replace(",", ".")),
                    "benefits": [b for b in row["prestations"].split(";") if b.strip()],
                    "situations": [s.strip() for s in row["situations"].split(";") if s.strip()],
                }
                try:
                    household, flags = new_household(session, actor, data, today)
                    if row["besoin"].strip():
                        new_request(session, actor, household, row["besoin"].strip(), today)
                except DomainError as exc:
                    raise DomainError(f"ligne {line} : {exc.message}") from None
                references.append(household.reference)
                warnings += [f"Ligne {line} ({household.reference}) : {flag}" for flag in flags]
    except DomainError as exc:
        raise ValidationFailed({"file": [f"Import annulé, rien n'a été enregistré : {exc.message}"]}) from None
    return references, len(frame) - len(ok), warnings
