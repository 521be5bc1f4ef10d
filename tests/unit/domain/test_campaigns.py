"""Campaigns in the domain: phases, suspension and resumption, local calendars."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from carnet.domain.campaigns import (
    Blackout,
    Campaign,
    CampaignState,
    Phase,
    RegionCalendar,
    calendar_for,
)
from carnet.domain.errors import IllegalTransitionError, ValidationError

pytestmark = pytest.mark.unit

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
CITY = Phase("cities", frozenset({"11010001"}), date(2027, 3, 1), date(2027, 5, 31))
RURAL = Phase("rural", frozenset({"11020"}), date(2027, 6, 1), date(2027, 10, 31))
HARVEST = Blackout("harvest", (9, 15), (10, 20))


def _campaign(**overrides: object) -> Campaign:
    values: dict[str, object] = {
        "id": "c-1",
        "name": "ID card renewal 2027",
        "document_type": "national_id_card",
        "phases": (CITY, RURAL),
        "deadline": date(2027, 12, 31),
    }
    values.update(overrides)
    return Campaign(**values)  # type: ignore[arg-type]


def test_a_campaign_runs_is_suspended_and_resumed_with_reasons() -> None:
    running = _campaign().start()
    suspended = running.suspend(reason="budget exhausted", now=T0 + timedelta(days=10))
    assert suspended.state is CampaignState.SUSPENDED
    assert suspended.suspended_on(date(2027, 3, 20))
    resumed = suspended.resume(reason="budget restored", now=T0 + timedelta(days=40))
    assert resumed.state is CampaignState.RUNNING
    assert resumed.suspended_on(date(2027, 3, 20))  # history is kept
    assert not resumed.suspended_on(date(2027, 4, 15))
    assert not resumed.suspended_on(date(2027, 3, 5))
    assert resumed.version == 4
    assert resumed.complete().state is CampaignState.COMPLETED


@pytest.mark.parametrize(
    ("step", "state"),
    [
        ("suspend", CampaignState.PLANNED),
        ("resume", CampaignState.RUNNING),
        ("start", CampaignState.RUNNING),
        ("complete", CampaignState.SUSPENDED),
    ],
)
def test_steps_out_of_order_are_refused(step: str, state: CampaignState) -> None:
    campaign = _campaign(state=state)
    action = getattr(campaign, step)
    kwargs = {"reason": "why", "now": T0} if step in {"suspend", "resume"} else {}
    with pytest.raises(IllegalTransitionError):
        action(**kwargs)


def test_suspending_needs_a_reason_and_resuming_cannot_precede_it() -> None:
    running = _campaign().start()
    with pytest.raises(ValidationError) as missing:
        running.suspend(reason="   ", now=T0)
    assert missing.value.field == "reason"
    suspended = running.suspend(reason="funds", now=T0)
    with pytest.raises(ValidationError) as early:
        suspended.resume(reason="funds back", now=T0 - timedelta(hours=1))
    assert early.value.field == "now"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phases": ()}, "phases"),
        ({"phases": (RURAL, CITY)}, "phases"),
        ({"phases": (CITY, CITY)}, "phases"),
        ({"deadline": date(2027, 9, 30)}, "deadline"),
    ],
    ids=["no-phase", "out-of-order", "same-name", "phase-after-deadline"],
)
def test_malformed_campaigns_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        _campaign(**overrides)
    assert info.value.field == field


def test_phases_check_their_own_fields() -> None:
    with pytest.raises(ValidationError):
        Phase("x", frozenset(), date(2027, 1, 1), date(2027, 1, 2))
    with pytest.raises(ValidationError):
        Phase("x", frozenset({"11"}), date(2027, 1, 2), date(2027, 1, 1))
    assert _campaign().regions == {"11010001", "11020"}
    assert _campaign().phase_on(date(2027, 6, 1)) == [RURAL]


def test_blackouts_cover_their_days_every_year_even_across_new_year() -> None:
    assert HARVEST.covers(date(2027, 9, 15))
    assert HARVEST.covers(date(2031, 10, 20))
    assert not HARVEST.covers(date(2027, 10, 21))
    winter = Blackout("lunar new year", (12, 20), (1, 10))
    assert winter.covers(date(2027, 12, 31))
    assert winter.covers(date(2028, 1, 3))
    assert not winter.covers(date(2028, 1, 11))
    with pytest.raises(ValidationError):
        Blackout("bad", (2, 30), (3, 1))


def test_a_calendar_refuses_market_and_blackout_days_and_ranks_the_rest() -> None:
    calendar = RegionCalendar(
        region_code="11020",
        blackouts=(HARVEST,),
        market_days=frozenset({"Wed"}),
        preferred_days=frozenset({"Sat", "Sun"}),
        preferred_hours=(8, 12),
    )
    saturday, monday, wednesday = date(2027, 6, 5), date(2027, 6, 7), date(2027, 6, 9)
    assert calendar.is_blackout(wednesday)
    assert calendar.is_blackout(date(2027, 9, 20))
    assert calendar.preference(saturday, 9) == 0
    assert calendar.preference(saturday, 14) == 1
    assert calendar.preference(monday, 9) == 2
    assert calendar.preference(monday, 14) == 3
    with pytest.raises(ValidationError):
        calendar.preference(wednesday, 9)
    with pytest.raises(ValidationError):
        RegionCalendar(region_code="1", market_days=frozenset({"Funday"}))
    with pytest.raises(ValidationError):
        RegionCalendar(region_code="1", preferred_hours=(17, 9))


def test_the_nearest_calendar_applies_and_session_days_skip_blackouts() -> None:
    county = RegionCalendar(region_code="11020", blackouts=(HARVEST,))
    village = RegionCalendar(region_code="11020002", market_days=frozenset({"Mon"}))
    calendars = {c.region_code: c for c in (county, village)}
    assert calendar_for(("11", "11020", "11020001"), calendars) is county
    assert calendar_for(("11", "11020", "11020002"), calendars) is village
    assert calendar_for(("11", "11010"), calendars) is None

    days = list(_campaign().session_days(("11", "11020", "11020001"), calendars))
    assert days[0] == RURAL.starts
    assert days[-1] == RURAL.ends
    assert date(2027, 9, 20) not in days  # harvest
    assert all(RURAL.starts <= d <= RURAL.ends for d in days)
    assert list(_campaign().session_days(("22",), calendars)) == []
