"""Monthly targets prorated to a window, as the overview compares against them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from reporting.domain.targets import MonthTarget, months_touched, window_targets

DEC = MonthTarget(date(2026, 12, 1), {"mqls": Decimal(310), "revenue": Decimal("31000.00")})
NOV = MonthTarget(date(2026, 11, 1), {"mqls": Decimal(300), "leads": Decimal(900)})


def at(day: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def test_a_whole_month_asks_its_target() -> None:
    found = window_targets([DEC], at(1), at(1, 1, 2027))
    assert found == {
        "leads": None,
        "mqls": Decimal(310),
        "sqls": None,
        "won": None,
        "revenue": Decimal("31000.00"),
    }


def test_ten_days_of_a_31_day_month_ask_ten_31sts() -> None:
    found = window_targets([DEC], at(1), at(11))
    assert found["mqls"] == Decimal(100)
    assert found["revenue"] == Decimal("10000.00")


def test_a_window_over_two_months_adds_each_month_s_share() -> None:
    # 26 Nov to 5 Dec: 5/30 of 300 + 5/31 of 310 = 50 + 50
    assert window_targets([NOV, DEC], at(26, 11), at(6))["mqls"] == Decimal(100)


def test_a_month_without_a_target_leaves_the_measure_without_one() -> None:
    found = window_targets([NOV, DEC], at(26, 11), at(6))
    assert found["leads"] is None  # December has no leads target
    assert found["revenue"] is None  # November has no revenue target
    assert window_targets([], at(1), at(2)) == dict.fromkeys(("leads", "mqls", "sqls", "won", "revenue"))


def test_the_months_a_window_touches() -> None:
    assert months_touched(at(31, 12, 2025), at(1, 3)) == [date(2025, 12, 1)] + [
        date(2026, m, 1) for m in range(1, 3)
    ]
    assert months_touched(at(1), at(1)) == []


@given(st.integers(0, 364), st.integers(1, 365))
def test_consecutive_windows_add_up_to_the_window_they_make(first: int, length: int) -> None:
    targets = [
        MonthTarget(date(2026 + (m - 1) // 12, (m - 1) % 12 + 1, 1), {"revenue": Decimal(1000 * m)})
        for m in range(1, 26)
    ]
    start = at(1, 1)
    middle = datetime.fromordinal(start.toordinal() + first).replace(tzinfo=UTC)
    end = datetime.fromordinal(middle.toordinal() + length).replace(tzinfo=UTC)
    whole = window_targets(targets, start, end)["revenue"]
    parts = window_targets(targets, start, middle)["revenue"] if first else Decimal(0)
    rest = window_targets(targets, middle, end)["revenue"]
    assert whole is not None
    assert parts is not None
    assert rest is not None
    assert abs(whole - parts - rest) <= Decimal("0.02")  # each part rounds to cents
