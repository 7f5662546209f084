"""JSON for values read from the warehouse: exact decimals (money) become JSON numbers.

``json.dumps(value, default=plain)``: a ``Decimal`` is written as a number (an integer when it is
whole, else its float, which is what a JSON reader gets anyway), dates as ISO text, anything else
as its text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)
