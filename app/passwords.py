"""The password policy: at least ``PASSWORD_MIN_LENGTH`` characters (12), not the account's user
name, not a common password (``app/data/common_passwords.txt``, also once the digits and symbols
around it are taken off: « Soleil2026! » is « soleil »).

It applies to every password a person chooses through the application: FAB's forms (new user,
reset by an administrator, change of one's own password, see ``app.auth_views``) and FAB's
commands ``flask fab create-admin``, ``create-user`` and ``reset-password`` (through the
security manager). The demo loader and the test fixtures set their own passwords directly.
"""
from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path
from typing import Callable

from flask import current_app
from wtforms import Field, Form
from wtforms.validators import ValidationError

COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords.txt"
DEFAULT_MIN_LENGTH = 12
_AROUND = string.digits + string.punctuation + string.whitespace

TOO_SHORT = "Mot de passe trop court : {minimum} caractères au moins sont attendus ({length} saisis)."
HOLDS_USERNAME = "Mot de passe : il ne doit pas reprendre l'identifiant du compte."
TOO_COMMON = ("Mot de passe trop courant : il figure (éventuellement entouré de chiffres ou de symboles) "
              "parmi les mots de passe les plus répandus ; choisissez une phrase de plusieurs mots.")


class PasswordRefused(ValueError):
    """A password the policy refuses; ``problems`` are the French reasons."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The list, lower-cased. Missing, it is an installation fault: it fails loudly."""
    with COMMON_PASSWORDS.open(encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    lowered = password.lower()
    core = lowered.strip(_AROUND)
    known = common_passwords()
    return lowered in known or (bool(core) and core in known)


def password_problems(password: str, username: str | None = None, min_length: int = DEFAULT_MIN_LENGTH) -> list[str]:
    """What is wrong with ``password`` (French sentences); empty when it is acceptable."""
    problems = []
    if len(password) < min_length:
        problems.append(TOO_SHORT.format(minimum=min_length, length=len(password)))
    name = (username or "").strip().lower()
    if name and (password.lower().strip(_AROUND) == name or (len(name) >= 3 and name in password.lower())):
        problems.append(HOLDS_USERNAME)
    if is_common(password):
        problems.append(TOO_COMMON)
    return problems


def check_password(password: str, username: str | None = None) -> None:
    """Raise ``PasswordRefused`` unless the policy accepts ``password`` (inside an app context,
    the minimum length is ``PASSWORD_MIN_LENGTH``)."""
    minimum = current_app.config.get("PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH) if current_app else DEFAULT_MIN_LENGTH
    problems = password_problems(password or "", username, minimum)
    if problems:
        raise PasswordRefused(problems)


class PasswordPolicy:
    """WTForms validator of the policy. ``username_of(form)`` gives the account's user name
    (by default the form's own ``username`` field)."""

    field_flags = {"required": True}

    def __init__(self, username_of: Callable[[Form], str | None] | None = None) -> None:
        self.username_of = username_of

    def __call__(self, form: Form, field: Field) -> None:
        if self.username_of is not None:
            username = self.username_of(form)
        else:
            username = getattr(getattr(form, "username", None), "data", None)
        try:
            check_password(field.data or "", username)
        except PasswordRefused as refused:
            raise ValidationError(str(refused)) from None
