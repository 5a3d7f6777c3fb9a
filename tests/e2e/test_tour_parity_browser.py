"""The « Tournée » page computes offline what the server computes (issue 20): the canonical JSON
and SHA-256 chain hash of an invoice, amounts in euros and Martinique times, in Chromium, equal
Python's ``canonical``, ``chain_hash``, ``euros_from_cents`` and ``to_local(…).isoformat`` on
awkward values (accents, guillemets, emoji, quotes, backslashes, control characters, U+2028,
negative and large amounts). A difference would make every offline invoice refused."""
from __future__ import annotations

from datetime import datetime, timezone

from core.clock import to_local
from core.money import euros_from_cents
from distribution.services.invoicing import GENESIS, canonical, chain_hash
from tests.browser import NEEDS_CHROMIUM, chromium, live_server  # noqa: F401  (fixtures)
from tests.e2e.harness import journey  # noqa: F401  (fixture)

pytestmark = NEEDS_CHROMIUM

AWKWARD = {
    "buyer_name": "Éloïse « Lélé » N'Guessan 😀",
    "buyer_address": 'rue "Schœlcher" \\ Fort-de-France\n\t\u2028fin\u0001\u001f\u007f',
    "lines": [{"position": 1, "description": "Ordinateur — reconditionné", "quantity": 2, "total_ttc": "70.00",
               "asset_tag": None}],
    "workshop": None, "tier": 1, "zeta": "", "Alpha": "/slash/",
}
CENTS = [0, -1, 5, 99, 100, 123456789, -100000]
MOMENTS = [datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone.utc), datetime(2027, 1, 1, 3, 59, 59, 999000, tzinfo=timezone.utc),
           datetime(2026, 3, 1, 4, 0, 0, tzinfo=timezone.utc)]


def test_the_page_hashes_formats_and_dates_as_the_server_does(journey):
    walk = journey("technicien")
    walk.goto("/tour/", "tournée")
    page = walk.page
    js = page.evaluate("""([content, previous, cents, moments]) => Promise.all([
        RkTour.chain.chainHash(content, previous), RkTour.chain.chainHash(content, "a".repeat(64))]).then(h => ({
          canonical: RkTour.chain.canonical(content), hashes: h,
          euros: cents.map(RkTour.format.eurosFromCents),
          amounts: cents.map(RkTour.format.amountOf),
          back: cents.map(c => RkTour.format.centsOf(RkTour.format.amountOf(c))),
          iso: moments.map(m => RkTour.format.martiniqueIso(new Date(m))),
          years: moments.map(m => RkTour.format.yearOf(new Date(m))) }))""",
                       [AWKWARD, GENESIS, CENTS, [m.isoformat() for m in MOMENTS]])
    assert js["canonical"].encode() == canonical(AWKWARD)
    assert js["hashes"] == [chain_hash(AWKWARD, GENESIS), chain_hash(AWKWARD, "a" * 64)]
    assert js["euros"] == [euros_from_cents(c) for c in CENTS]
    assert js["amounts"][:3] == ["0.00", "-0.01", "0.05"] and js["back"] == CENTS
    assert js["iso"] == [to_local(m.replace(microsecond=0)).isoformat(timespec="seconds") for m in MOMENTS]
    assert js["years"] == [to_local(m).year for m in MOMENTS] == [2026, 2026, 2026]
    walk.finish()
