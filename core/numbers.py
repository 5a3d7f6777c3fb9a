"""Numbers as French readers write them: a decimal comma and no trailing zeros (« 256 »,
« 2,5 »), whatever the number of decimals the database column keeps."""
from __future__ import annotations

from decimal import Decimal


def decimal_text(value: Decimal | int | float) -> str:
    """« 256 » for 256.0, « 2,5 » for 2.50; never an exponent."""
    text = f"{Decimal(str(value)).normalize():f}"
    return text.replace(".", ",")
