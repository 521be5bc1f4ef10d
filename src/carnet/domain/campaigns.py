"""Issuance campaigns: phases by region, suspension and resumption, local calendars.

A :class:`Campaign` re-issues one document type to the residents of target
regions, phase by phase (cities and towns first, rural and mountain areas
later), against a deadline. It can be suspended (money ran out) and resumed,
each with a reason; while suspended no session is held.

A :class:`RegionCalendar` says when people of a region can come: blackout
periods (harvest, planting; yearly, by month and day) when sessions must not be
planned, market days of the week to avoid, and preferred weekdays and hours.
A region's calendar applies to every region below it unless that region has its
own (:func:`calendar_for`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from carnet.domain.errors import IllegalTransitionError, ValidationError
from carnet.domain.regions import WEEKDAYS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

__all__ = [
    "Blackout",
    "Campaign",
    "CampaignState",
    "Pause",
    "Phase",
    "RegionCalendar",
    "calendar_for",
]

_MAX_REASON: Final = 500
_LAST_HOUR: Final = 24


@dataclass(frozen=True, slots=True)
class Blackout:
    """A yearly period when sessions must not be held: ``start`` to ``end`` as (month, day).

    A period may run over the new year (``(12, 20)`` to ``(1, 10)``).
    """

    label: str
    start: tuple[int, int]
    end: tuple[int, int]

    def __post_init__(self) -> None:
        for name, (month, day) in (("start", self.start), ("end", self.end)):
            try:
                date(2000, month, day)  # a leap year admits 29 February
            except ValueError as exc:
                raise ValidationError("not a day of the year", field=f"blackout.{name}") from exc
        if not self.label.strip():
            raise ValidationError("a blackout needs a label", field="blackout.label")

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls in the period (every year)."""
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionCalendar:
    """When the people of a region can come to a session."""

    region_code: str
    blackouts: tuple[Blackout, ...] = ()
    market_days: frozenset[str] = frozenset()
    preferred_days: frozenset[str] = frozenset()
    preferred_hours: tuple[int, int] = (9, 17)

    def __post_init__(self) -> None:
        for name in ("market_days", "preferred_days"):
            if not getattr(self, name) <= set(WEEKDAYS):
                raise ValidationError(f"days are {', '.join(WEEKDAYS)}", field=name)
        first, last = self.preferred_hours
        if not 0 <= first < last <= _LAST_HOUR:
            raise ValidationError("hours run from 0 to 24, first before last", field="hours")

    def is_blackout(self, day: date) -> bool:
        """Whether no session may be held on ``day`` (a blackout or a market day)."""
        if WEEKDAYS[day.weekday()] in self.market_days:
            return True
        return any(b.covers(day) for b in self.blackouts)

    def preference(self, day: date, hour: int) -> int:
        """A cost of holding a session then: 0 when preferred, higher the less suitable.

        Raises:
            ValidationError: ``day`` is a blackout day (it has no cost: it is refused).
        """
        if self.is_blackout(day):
            raise ValidationError("sessions are not held on blackout days", field="day")
        cost = 0
        if self.preferred_days and WEEKDAYS[day.weekday()] not in self.preferred_days:
            cost += 2
        first, last = self.preferred_hours
        if not first <= hour < last:
            cost += 1
        return cost


def calendar_for(
    lineage: Sequence[str], calendars: Mapping[str, RegionCalendar]
) -> RegionCalendar | None:
    """The calendar of the nearest region in ``lineage`` (root first) that has one."""
    for code in reversed(lineage):
        found = calendars.get(code)
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class Phase:
    """One phase: the regions it serves and its dates (inclusive)."""

    name: str
    regions: frozenset[str]
    starts: date
    ends: date

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValidationError("a phase needs a name", field="phase.name")
        if not self.regions:
            raise ValidationError("a phase targets at least one region", field="phase.regions")
        if self.ends < self.starts:
            raise ValidationError("a phase ends after it starts", field="phase.ends")


class CampaignState(StrEnum):
    """Where a campaign stands."""

    PLANNED = "planned"
    RUNNING = "running"
    SUSPENDED = "suspended"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class Pause:
    """One suspension of a campaign, and its resumption once resumed."""

    suspended_at: datetime
    reason: str = field(repr=False)
    resumed_at: datetime | None = None
    resume_reason: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Campaign:
    """A re-issuance campaign of one document type, in phases, against a deadline."""

    id: str
    name: str
    document_type: str
    phases: tuple[Phase, ...]
    deadline: date
    state: CampaignState = CampaignState.PLANNED
    pauses: tuple[Pause, ...] = ()
    version: int = 1

    def __post_init__(self) -> None:
        if not self.phases:
            raise ValidationError("a campaign has at least one phase", field="phases")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValidationError("phase names must differ", field="phases")
        ordered = sorted(self.phases, key=lambda p: p.starts)
        if list(self.phases) != ordered:
            raise ValidationError("phases are listed in the order they start", field="phases")
        if any(p.ends > self.deadline for p in self.phases):
            raise ValidationError("every phase ends by the deadline", field="deadline")

    @property
    def regions(self) -> frozenset[str]:
        """Every region some phase targets."""
        return frozenset().union(*(p.regions for p in self.phases))

    def phase_on(self, day: date) -> list[Phase]:
        """The phases running on ``day`` (they may overlap)."""
        return [p for p in self.phases if p.starts <= day <= p.ends]

    def start(self) -> Campaign:
        """Start a planned campaign.

        Raises:
            IllegalTransitionError: it is not planned.
        """
        self._require(CampaignState.PLANNED, "started")
        return replace(self, state=CampaignState.RUNNING, version=self.version + 1)

    def suspend(self, *, reason: str, now: datetime) -> Campaign:
        """Suspend a running campaign (no session is held meanwhile).

        Raises:
            IllegalTransitionError: it is not running.
            ValidationError: no reason.
        """
        self._require(CampaignState.RUNNING, "suspended")
        pause = Pause(now, _reason(reason))
        return replace(
            self,
            state=CampaignState.SUSPENDED,
            pauses=(*self.pauses, pause),
            version=self.version + 1,
        )

    def resume(self, *, reason: str, now: datetime) -> Campaign:
        """Resume a suspended campaign.

        Raises:
            IllegalTransitionError: it is not suspended.
            ValidationError: no reason, or a time before the suspension.
        """
        self._require(CampaignState.SUSPENDED, "resumed")
        last = self.pauses[-1]
        if now < last.suspended_at:
            raise ValidationError("a campaign resumes after it was suspended", field="now")
        closed = replace(last, resumed_at=now, resume_reason=_reason(reason))
        return replace(
            self,
            state=CampaignState.RUNNING,
            pauses=(*self.pauses[:-1], closed),
            version=self.version + 1,
        )

    def complete(self) -> Campaign:
        """Close a running campaign.

        Raises:
            IllegalTransitionError: it is not running.
        """
        self._require(CampaignState.RUNNING, "completed")
        return replace(self, state=CampaignState.COMPLETED, version=self.version + 1)

    def suspended_on(self, day: date) -> bool:
        """Whether the campaign was (or is) suspended on ``day``."""
        for pause in self.pauses:
            resumed = pause.resumed_at.date() if pause.resumed_at else None
            if pause.suspended_at.date() <= day and (resumed is None or day < resumed):
                return True
        return False

    def session_days(
        self, region_lineage: Sequence[str], calendars: Mapping[str, RegionCalendar]
    ) -> Iterable[date]:
        """The days a session may serve a region: in one of its phases, not blacked out.

        ``region_lineage`` is the region's codes from the root down; a phase
        serves the region when it targets the region or one above it.
        """
        calendar = calendar_for(region_lineage, calendars)
        covered = set(region_lineage)
        days: set[date] = set()
        for phase in self.phases:
            if not phase.regions & covered:
                continue
            day = phase.starts
            while day <= phase.ends:
                if calendar is None or not calendar.is_blackout(day):
                    days.add(day)
                day = date.fromordinal(day.toordinal() + 1)
        return sorted(days)

    def _require(self, state: CampaignState, verb: str) -> None:
        if self.state is not state:
            raise IllegalTransitionError(f"a {self.state.value} campaign cannot be {verb}")


def _reason(text: str) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValidationError("a reason is required", field="reason")
    if len(cleaned) > _MAX_REASON:
        raise ValidationError(f"a reason has at most {_MAX_REASON} characters", field="reason")
    return cleaned
