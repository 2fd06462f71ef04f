"""The calendar the system speaks: dates are days in Asia/Ho_Chi_Minh.

A campaign runs "from 1 to 10 October" in Vietnam, whatever the server's zone; ``today``
is that calendar's today. Tests move it by replacing ``today``.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    return datetime.now(VIETNAM).date()
