"""A worker rests until its next item is due, is woken by an earlier one, and never longer than
`longest`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from leadkit.next_due import NextDue

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_it_rests_until_the_next_item_is_due() -> None:
    due = NextDue(longest=30)
    assert due.seconds_to_rest(now=NOW, next_due=NOW + timedelta(seconds=7)) == 7


def test_nothing_due_at_all_rests_the_longest() -> None:
    assert NextDue(longest=30).seconds_to_rest(now=NOW, next_due=None) == 30


def test_a_far_item_rests_no_longer_than_the_longest() -> None:
    assert NextDue(longest=30).seconds_to_rest(now=NOW, next_due=NOW + timedelta(hours=5)) == 30


def test_an_expected_item_due_sooner_than_the_stored_one_wins() -> None:
    due = NextDue(longest=30)
    due.expect(NOW + timedelta(seconds=2))
    assert due.seconds_to_rest(now=NOW, next_due=NOW + timedelta(seconds=20)) == 2
    due.expect(NOW + timedelta(seconds=9))  # a later expectation does not replace it
    assert due.seconds_to_rest(now=NOW, next_due=None) == 2


def test_an_item_due_already_but_passed_over_is_looked_at_again_shortly_not_at_once() -> None:
    # another instance holds it (and is firing it): no busy loop meanwhile
    due = NextDue(longest=30, passed_over=0.2)
    assert due.seconds_to_rest(now=NOW, next_due=NOW - timedelta(seconds=1)) == 0.2


def test_an_expectation_is_kept_until_a_round_looked_after_its_time() -> None:
    due = NextDue(longest=30)
    due.expect(NOW + timedelta(seconds=5))
    due.looked(round_started=NOW + timedelta(seconds=4))  # before it was due: still expected
    assert due.seconds_to_rest(now=NOW + timedelta(seconds=4), next_due=None) == 1
    due.looked(round_started=NOW + timedelta(seconds=5))
    assert due.seconds_to_rest(now=NOW + timedelta(seconds=5), next_due=None) == 30


async def test_a_rest_ends_when_an_item_due_now_is_expected() -> None:
    due = NextDue(longest=3600, passed_over=0)
    resting = asyncio.create_task(due.rest(clock=lambda: NOW, next_due=None))
    await asyncio.sleep(0)  # let it start resting
    assert not resting.done()
    due.expect(NOW)
    await asyncio.wait_for(resting, timeout=10)  # an hour's rest, ended by the expectation


async def test_a_rest_woken_by_a_later_item_than_the_known_one_goes_on_resting() -> None:
    due = NextDue(longest=3600)
    resting = asyncio.create_task(due.rest(clock=lambda: NOW, next_due=NOW + timedelta(minutes=1)))
    await asyncio.sleep(0)
    due.expect(NOW + timedelta(minutes=10))  # later than the known next item: no sooner wake-up
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not resting.done()
    resting.cancel()
