"""Programme-wide settings stored in the database (key → text value)."""
from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.base import Model


class Setting(Model):
    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)

    def __str__(self) -> str:
        return self.key


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    value = session.execute(select(Setting.value).where(Setting.key == key)).scalar_one_or_none()
    return default if value is None else value


def set_setting(session: Session, key: str, value: str) -> None:
    """Create or replace a setting, in the caller's transaction (no commit)."""
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
