"""The one error of the renderer: a French message naming what is wrong."""
from __future__ import annotations


class LabelError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
