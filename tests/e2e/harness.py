"""What every browser journey checks after each step (issue 16): a role signed in through the
login form in the system's Chromium at 1366×900, then, after every navigation,

(a) the visible text shows no Python value: ``None``, ``True``, ``False``, a ``[…]`` list, an
    ISO date (``2026-12-04``), ``Decimal(``;
(b) no request left the app (every request is recorded; ``data:`` URLs are allowed);
(c) no response of 500 or more, no broken page resource (4xx on a script, a stylesheet, an image,
    a font or the page itself), no console error, no script error;
(d) every entry of the role's menu answers 200 (each fetched once with the page's session);
(e) axe-core (``axe-playwright-python``, which injects the axe.min.js of its own package: nothing is
    downloaded) finds no serious or critical violation;
(f) a screenshot of the step is written to ``tests/e2e/screenshots/<journey>/<nn>-<step>.png``
    (ignored by git), with ``problems.txt`` and ``axe.json`` (every violation, any impact) beside
    them for a reviewer.

The checks of a step do not stop the journey: its problems are gathered, and ``Journey.finish``
fails with all of them, step by step. What the journey does (a device reaches « En stock »…) is
asserted at once, as in any test.

A test module uses the ``journey`` fixture with ``chromium`` and ``live_server`` imported from
``tests.browser``; ``tests/e2e/test_harness.py`` shows that each check can fail.
"""
from __future__ import annotations

import io
import json
import re
import shutil
import unicodedata
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pypdf
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.helpers import PASSWORD

SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1366, "height": 900}

# What a person must never read on a page: each pattern with what it is.
PYTHON_VALUES = [
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\bTrue\b"), "True"),
    (re.compile(r"\bFalse\b"), "False"),
    (re.compile(r"\[[^\[\]\n]*\]"), "une liste Python [...]"),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), "une date ISO"),
    (re.compile(r"Decimal\("), "Decimal("),
]
SERIOUS = {"serious", "critical"}
# A page resource whose 4xx is a broken page (an API answer may refuse on purpose: the page says so).
RESOURCES = {"document", "stylesheet", "script", "image", "font"}
# The menu's links: the navbar's, but the language switch (fetching it would change the session's
# language) and the dropdown toggles.
MENU_LINKS = """() => Array.from(document.querySelectorAll('.navbar a[href]'))
  .map(a => a.href)
  .filter(h => !h.endsWith('#') && !h.includes('/lang/') && !h.startsWith('javascript:'))"""

_axe = Axe()


def python_values(text: str) -> list[str]:
    """Each Python value found in ``text``, with what surrounds its first occurrence and how many
    times it occurs."""
    found: dict[tuple[str, str], list] = {}
    for pattern, what in PYTHON_VALUES:
        for match in pattern.finditer(text):
            start, end = max(match.start() - 40, 0), min(match.end() + 40, len(text))
            context = text[start:end].replace("\n", " ⏎ ").replace("\t", " ⇥ ")
            found.setdefault((what, match.group(0)), [context, 0])[1] += 1
    return [f"{what} : « {value} » dans « …{context}… »" + (f" (×{count})" if count > 1 else "")
            for (what, value), (context, count) in found.items()]


def describe_violation(violation: dict) -> str:
    """An axe violation in full: rule, impact, help, and each element with its snippet and summary."""
    lines = [f"axe {violation['id']} ({violation['impact']}) : {violation['help']} — {violation['helpUrl']}"]
    for node in violation["nodes"]:
        summary = (node.get("failureSummary") or "").replace("\n", " ")
        lines.append(f"    élément {', '.join(map(str, node['target']))} : {node['html'][:300]}")
        if summary:
            lines.append(f"      {summary}")
    return "\n".join(lines)


def plain(text: str) -> str:
    """``text`` with its non-breaking and narrow spaces as plain spaces (French numbers and money)."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF (pypdf), spaces (non-breaking ones included) folded."""
    return " ".join(plain(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)).split())


def slug(step: str) -> str:
    """A step's name as a file name: « Fiche de l'appareil reçu » → fiche-de-l-appareil-recu."""
    ascii_text = unicodedata.normalize("NFKD", step).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def element(node: dict) -> str:
    """An element axe names, the same from one page to the next (its HTML, spaces folded; Bootstrap
    adds an empty title to some links once their tooltip is set up)."""
    html = re.sub(r'\s+(data-original-title|title)=""', "", node["html"])
    return " ".join(html.split())[:200]


class Keys:
    """The keyboard of a journey: ``type`` sends typed values (characters only), ``press`` sends one
    other key (Tab, Enter, an arrow…) and counts it under the current ``item``."""

    def __init__(self, page):
        self.keyboard = page.keyboard
        self.item = 0
        self.counts: Counter[int] = Counter()
        self.log: dict[int, list[str]] = {}

    def type(self, text: str) -> None:
        assert "\n" not in text and "\t" not in text, "Enter and Tab are pressed, not typed"
        self.keyboard.type(text)

    def press(self, key: str) -> None:
        self.counts[self.item] += 1
        self.log.setdefault(self.item, []).append(key)
        self.keyboard.press(key)


class Journey:
    """One role's walk through the app in its own browser context, checked after every step."""

    def __init__(self, browser, base: str, name: str, *, viewport: dict = DESKTOP, scale: float = 1):
        self.base, self.name = base, name
        self.context = browser.new_context(viewport=viewport, device_scale_factor=scale, locale="fr-FR",
                                           timezone_id="America/Martinique", accept_downloads=True)
        self.page = self.context.new_page()
        self.keys = Keys(self.page)
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.steps = 0
        self.problems: list[str] = []
        self.violations: list[dict] = []
        self.menu_status: dict[str, int] = {}
        self._axe_seen: dict[tuple[str, str], list[str]] = {}   # (rule, element) → the pages showing it
        self._pending: list[str] = []   # what the listeners saw since the last step
        page = self.page
        page.on("request", self._on_request)
        page.on("response", self._on_response)
        page.on("console", lambda m: self._pending.append(f"erreur dans la console : {m.text} ({m.location.get('url', '')})")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self._pending.append(f"erreur de script : {e}"))

    # -- listeners -------------------------------------------------------------------------------
    def _on_request(self, request) -> None:
        if not request.url.startswith((self.base + "/", "data:")) and request.url != self.base:
            self._pending.append(f"requête hors de l'application : {request.method} {request.url}")

    def _on_response(self, response) -> None:
        status = response.status
        if status >= 500:
            self._pending.append(f"réponse {status} : {response.request.method} {response.url}")
        elif status >= 400 and response.request.resource_type in RESOURCES:
            self._pending.append(f"ressource de la page en {status} : {response.url}")

    # -- steps -----------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def goto(self, path: str, step: str) -> None:
        """Open ``path`` (as an address typed in) and check the page."""
        answer = self.page.goto(self.url(path))
        assert answer is not None and answer.status == 200, f"{path} : {answer and answer.status}"
        self.check(step)

    @contextmanager
    def navigation(self, step: str):
        """``with journey.navigation("step"): <a key or a click that loads a page>`` then checks it."""
        with self.page.expect_navigation():
            yield
        self.check(step)

    def menu(self, category: str | None, entry: str, step: str) -> None:
        """Open a page from the role's menu, as a person does: the category, then its entry."""
        page = self.page
        if category:
            page.locator(".navbar .dropdown-toggle", has_text=category).first.click()
            link = page.locator(".navbar .dropdown-menu a", has_text=entry)
        else:
            link = page.locator(".navbar .navbar-nav > li > a", has_text=entry)
        with self.navigation(step):
            link.first.click()

    def sign_in(self, username: str) -> None:
        """The login form, from the keyboard: user name, Tab, password, Enter."""
        page = self.page
        self.goto("/login/", "connexion")
        page.focus("#username")
        page.keyboard.type(username)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == self.base + "/", f"{username} n'est pas connecté : {page.url}"
        self.check("accueil")

    def check(self, step: str) -> None:
        """Checks (a) to (f) on the page as it is now; problems are kept for ``finish``."""
        page = self.page
        page.wait_for_load_state("load")
        self.steps += 1
        label = f"{self.steps:02d}-{slug(step)}"
        page.screenshot(path=str(self.folder / f"{label}.png"), full_page=True)
        where = f"[{self.name} · {label} · {page.url.removeprefix(self.base)}]"
        found = list(self._pending)
        self._pending.clear()
        found += python_values(page.evaluate("document.body.innerText"))
        found += self._check_menu()
        found += self._check_axe(label, page.url.removeprefix(self.base))
        self.problems += [f"{where} {p}" for p in found]
        self._write_report()

    def _check_menu(self) -> list[str]:
        found = []
        for href in self.page.evaluate(MENU_LINKS):
            if href in self.menu_status:
                continue
            if not href.startswith(self.base + "/"):
                self.menu_status[href] = 0
                found.append(f"entrée de menu hors de l'application : {href}")
                continue
            answer = self.page.request.get(href, max_redirects=0)
            self.menu_status[href] = answer.status
            if answer.status != 200:
                found.append(f"entrée de menu {href.removeprefix(self.base)} : {answer.status}")
        return found

    def _check_axe(self, label: str, path: str) -> list[str]:
        """Serious and critical violations, each element told once per journey (the navbar's are
        on every page): a later page that repeats it only adds its address to the first report."""
        results = _axe.run(self.page).response
        found = []
        for violation in results["violations"]:
            self.violations.append({"step": label, "page": path, "id": violation["id"], "impact": violation["impact"],
                                    "help": violation["help"],
                                    "nodes": [{"target": n["target"], "html": n["html"][:300]} for n in violation["nodes"]]})
            if violation["impact"] not in SERIOUS:
                continue
            new = [n for n in violation["nodes"] if (violation["id"], element(n)) not in self._axe_seen]
            for node in violation["nodes"]:
                self._axe_seen.setdefault((violation["id"], element(node)), []).append(path)
            if new:
                found.append(describe_violation({**violation, "nodes": new}))
        return found

    def _write_report(self) -> None:
        (self.folder / "problems.txt").write_text("\n".join(self.problems) + ("\n" if self.problems else ""))
        (self.folder / "axe.json").write_text(json.dumps(self.violations, ensure_ascii=False, indent=1))

    # -- files -----------------------------------------------------------------------------------
    def fetch(self, path: str, content_type: str):
        """A download fetched with the page's session: 200 and ``content_type``; returns the body."""
        answer = self.page.request.get(self.url(path))
        assert answer.status == 200, f"{path} : {answer.status} {answer.text()[:300]}"
        got = answer.headers.get("content-type", "")
        assert got.split(";")[0].strip() == content_type, f"{path} : {got}"
        return answer.body()

    def finish(self) -> None:
        """Fails with every problem the steps met (also written to ``problems.txt``), and what the
        browser saw after the last step."""
        self.problems += [f"[{self.name} · après la dernière étape] {p}" for p in self._pending]
        self._pending.clear()
        self._write_report()
        repeated = [f"  axe {rule} sur {target} : aussi sur {', '.join(dict.fromkeys(pages[1:]))}"
                    for (rule, target), pages in self._axe_seen.items() if len(pages) > 1]
        assert self.problems == [], (f"{len(self.problems)} problème(s) :\n" + "\n".join(self.problems)
                                     + ("\nViolations répétées :\n" + "\n".join(repeated) if repeated else ""))


@pytest.fixture
def journey(chromium, request):
    """``journey(username, name=…, viewport=…)`` → a ``Journey`` signed in as ``username``."""
    browser, base = chromium
    opened: list[Journey] = []

    def start(username: str, name: str | None = None, **options) -> Journey:
        walk = Journey(browser, base, name or request.node.originalname.removeprefix("test_"), **options)
        opened.append(walk)
        walk.sign_in(username)
        return walk

    yield start
    for walk in opened:
        walk.context.close()
