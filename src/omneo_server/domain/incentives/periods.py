"""Validity periods: when an issued incentive expires (or, for rates, becomes spendable)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Literal

PeriodType = Literal["days", "weeks", "months", "years", "absolute_date", "absolute_week", "absolute_month"]
IssuePeriodType = Literal[
    "hours", "days", "weeks", "months", "years", "absolute_date", "absolute_week", "absolute_month"
]
PERIOD_TYPES: tuple[str, ...] = (
    "hours",
    "days",
    "weeks",
    "months",
    "years",
    "absolute_date",
    "absolute_week",
    "absolute_month",
)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def end_of_day(moment: datetime) -> datetime:
    return moment.replace(hour=23, minute=59, second=59, microsecond=0)


def after(
    start: datetime, period: int | None, period_type: str | None, absolute: datetime | None = None
) -> datetime | None:
    """The moment ``period`` of ``period_type`` after ``start``; ``None`` when there is no period.

    Relative periods end at the end of their last day (a 30-day reward issued on 15 June lasts until
    15 July 23:59:59). ``absolute_date`` ends at ``absolute``; ``absolute_week`` / ``absolute_month``
    end with the week (Sunday) / month that is ``period`` weeks / months after ``start``.
    """
    kind = period_type or "days"
    if kind == "absolute_date":
        return absolute
    if absolute is not None and period is None:
        return absolute
    if period is None:
        return None
    if kind == "hours":
        return start + timedelta(hours=period)
    if kind == "days":
        return end_of_day(start + timedelta(days=period))
    if kind == "weeks":
        return end_of_day(start + timedelta(weeks=period))
    if kind == "months":
        return end_of_day(add_months(start, period))
    if kind == "years":
        return end_of_day(add_months(start, 12 * period))
    if kind == "absolute_week":
        moved = start + timedelta(weeks=period)
        return end_of_day(moved + timedelta(days=6 - moved.weekday()))
    if kind == "absolute_month":
        moved = add_months(start, period)
        return end_of_day(moved.replace(day=calendar.monthrange(moved.year, moved.month)[1]))
    raise ValueError(f"unknown period type {kind}")
