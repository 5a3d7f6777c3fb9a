"""The household data export as a PDF (GDPR right of access): content, empty sections, long data, page size."""
from __future__ import annotations

import copy
import io

from pypdf import PdfReader

from eligibility.export_pdf import render_household_export

PROGRAMME = "Programme Rekonekt Martinique"
NBSP = "\u00a0"

SECTIONS = [
    "Identité du demandeur", "Composition du foyer", "Ressources et prestations", "Orientation (prescripteur)",
    "Consentement", "Justificatifs vus", "Demandes et décisions", "Notes", "Historique des accès à vos données",
]

FULL = {
    "reference": "FOY-2026-00012",
    "exported_at": "22/11/2026 14:05",
    "head": {"last_name": "Jean-Baptiste", "first_name": "Éloïse", "birth_date": "03/02/1951", "phone": "+596696123456",
             "email": "eloise@example.org", "address": "12 rue Schœlcher", "commune": "Le Lamentin (97213)",
             "epci": "CACEM"},
    "members": [{"relation": "Demandeur", "birth_date": "03/02/1951", "age": "75 ans"},
                {"relation": "Petit-enfant", "birth_date": None, "age": "12 ans"}],
    "monthly_resources": f"1{NBSP}250,00{NBSP}€",
    "resources_proof": "Avis d'imposition",
    "benefits": ["ASPA — allocation de solidarité aux personnes âgées"],
    "situations": ["Personne de 60 ans ou plus"],
    "referrer": {"organisation": "CCAS du Lamentin", "person": "Marie Dupont"},
    "consent": {"on": "02/11/2026", "version": "consentement-2026-01"},
    "notes": "Préfère être appelée le matin.",
    "proofs": [{"kind": "Avis d'imposition", "seen_on": "02/11/2026"}],
    "requests": [
        {"category": "Ordinateur portable", "status": "Validée", "created_at": "02/11/2026 10:12",
         "decided_at": "05/11/2026 09:00", "tier": "Palier 1", "valid_until": "05/11/2027", "overridden": True,
         "justification": "Situation de handicap attestée par la MDPH.", "refusal_reason": None,
         "decision": {"rule_set": "MQ-2026.1", "checked_on": "02/11/2026", "eligible": "Oui",
                      "reasons": ["Le foyer habite en Martinique, sur le territoire de CACEM.",
                                  "Le foyer perçoit une prestation qui ouvre droit au palier 1 : ASPA."]}},
        {"category": "Tablette", "status": "Refusée", "created_at": "03/11/2026 08:30", "decided_at": None,
         "tier": None, "valid_until": None, "overridden": False, "justification": None,
         "refusal_reason": "Une demande est déjà en cours pour ce foyer.", "decision": None},
    ],
    "audit": [{"at": "02/11/2026 10:12", "who": "Agent Cacem", "action": "Création"},
              {"at": "22/11/2026 14:05", "who": "Agent Cacem", "action": "Export des données"}],
}

MINIMAL = {
    "reference": "FOY-2026-00013",
    "exported_at": "22/11/2026 14:05",
    "head": {"last_name": "Louis", "first_name": "Paul", "birth_date": "01/01/1980", "phone": "+596696000000",
             "email": None, "address": None, "commune": "Fort-de-France (97209)", "epci": "CACEM"},
    "members": [], "monthly_resources": None, "resources_proof": None, "benefits": [], "situations": [],
    "referrer": None, "consent": None, "notes": None, "proofs": [], "requests": [], "audit": [],
}


def pages_of(pdf: bytes) -> list[str]:
    """The text of each page, with non-breaking and narrow no-break spaces as plain spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace(NBSP, " ").replace("\u202f", " ") for page in reader.pages]


def flat(text: str) -> str:
    """Line breaks made by wrapping count as spaces."""
    return " ".join(text.split())


def test_full_export_content():
    pdf = render_household_export(FULL, PROGRAMME)
    assert pdf.startswith(b"%PDF")
    pages = pages_of(pdf)
    text = flat(" ".join(pages))
    assert "Vos données personnelles — foyer FOY-2026-00012" in text
    assert PROGRAMME in text and "22/11/2026 14:05" in text
    for expected in ("Jean-Baptiste", "Éloïse", "12 rue Schœlcher", "+596696123456", "Le Lamentin (97213)",
                     "1 250,00 €", "ASPA — allocation de solidarité", "CCAS du Lamentin", "consentement-2026-01",
                     "leurs copies ne sont pas conservées", "Le foyer habite en Martinique, sur le territoire de CACEM.",
                     "Décision modifiée par l'agent", "Situation de handicap attestée par la MDPH.",
                     "Une demande est déjà en cours pour ce foyer.", "Préfère être appelée le matin.",
                     "02/11/2026 10:12 Agent Cacem Création"):
        assert expected in text, expected
    for title in SECTIONS:
        assert title in text, title
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {total}" in page
        assert "FOY-2026-00012" in page and "Document remis au titre du droit d'accès (RGPD, art. 15)" in flat(page)


def test_minimal_export_renders():
    pages = pages_of(render_household_export(MINIMAL, PROGRAMME))
    text = flat(" ".join(pages))
    assert "FOY-2026-00013" in text and "Fort-de-France (97209)" in text
    for title in SECTIONS:
        assert title in text, title
    assert "Aucune demande enregistrée." in text and "Aucun consentement enregistré." in text
    assert all(f"Page {n} / {len(pages)}" in page for n, page in enumerate(pages, start=1))


def test_missing_keys_and_none_values_render():
    sparse = {"reference": "FOY-2026-00014", "exported_at": None, "head": {"last_name": "Louis", "first_name": None},
              "referrer": {"organisation": None, "person": None},
              "requests": [{"category": None, "status": "Déposée", "decision": {"reasons": []}}]}
    text = flat(" ".join(pages_of(render_household_export(sparse, PROGRAMME))))
    assert "FOY-2026-00014" in text and "Aucun prescripteur enregistré." in text and "Demande n° 1 —" in text


def test_long_export_flows_across_pages():
    big = copy.deepcopy(FULL)
    big["members"] = [{"relation": f"Membre {i}", "birth_date": "01/01/2000", "age": "26 ans"} for i in range(30)]
    big["audit"] = [{"at": f"{1 + i % 28:02d}/11/2026 10:{i % 60:02d}", "who": f"Agent {i}", "action": f"Consultation {i}"}
                    for i in range(200)]
    big["notes"] = ("Note très longue sur la situation du foyer, avec des détails. " * 50)[:3000]
    pages = pages_of(render_household_export(big, PROGRAMME))
    assert len(pages) >= 5
    text = flat(" ".join(pages))
    assert "Membre 29" in text and "Consultation 199" in text
    assert f"Page {len(pages)} / {len(pages)}" in pages[-1]


def test_markup_characters_are_text():
    tricky = copy.deepcopy(MINIMAL)
    tricky["notes"] = "Revenus < 500 € & aides <b>non</b> déclarées\n\nSecond paragraphe"
    tricky["head"]["address"] = "Résidence <Les Flamboyants> & Cie"
    text = flat(" ".join(pages_of(render_household_export(tricky, PROGRAMME))))
    assert "Revenus < 500 € & aides <b>non</b> déclarées" in text
    assert "Résidence <Les Flamboyants> & Cie" in text and "Second paragraphe" in text


def test_page_size_is_a4_portrait():
    reader = PdfReader(io.BytesIO(render_household_export(FULL, PROGRAMME)))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.28) <= 1 and abs(height - 841.89) <= 1
