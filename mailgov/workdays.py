"""Working days for notices: Saturdays, Sundays and the given public holidays are not working days.

Vietnam's public holidays follow the lunar calendar in part (Tết, Giỗ Tổ Hùng Vương) and the
government moves days off each year, so they are not computed here: the site lists them.
"""

import datetime

WEEKDAYS = ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"]


def as_date(value, where="date"):
    """A date from a date, a datetime or ISO text ('2025-07-10' or '2025-07-10 22:00')."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.datetime.fromisoformat(str(value).strip()).date()
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a date such as 2025-07-10 or 2025-07-10 22:00") from None


def _holidays(holidays):
    return {as_date(h, f"holidays[{i}]") for i, h in enumerate(holidays or [])}


def is_working_day(day, holidays=()):
    day = as_date(day)
    return day.weekday() < 5 and day not in _holidays(holidays)


def working_days_between(today, day, holidays=()):
    """How many working days come after today, up to and including day (0 when day <= today)."""
    today, day, off = as_date(today, "today"), as_date(day), _holidays(holidays)
    count, current = 0, today
    while current < day:
        current += datetime.timedelta(days=1)
        count += current.weekday() < 5 and current not in off
    return count


def nth_working_day(today, n, holidays=()):
    """The n-th working day after today: the earliest day a notice given today may announce."""
    current, off, count = as_date(today, "today"), _holidays(holidays), 0
    while count < n:
        current += datetime.timedelta(days=1)
        count += current.weekday() < 5 and current not in off
    return current


def _moment(value, where):
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a time such as 2025-07-12 22:00") from None


def check_window(start, end, today, holidays=(), min_working_days=3):
    """The problems of a maintenance window announced today, each saying what to do; [] when fine."""
    try:
        start, end = _moment(start, "start"), _moment(end, "end")
        today, off = as_date(today, "today"), sorted(_holidays(holidays))
    except ValueError as err:
        return [str(err)]
    problems = []
    if end <= start:
        problems.append(f"the window ends ({end:%Y-%m-%d %H:%M}) before it starts ({start:%Y-%m-%d %H:%M}); "
                        "give an end after the start")
    ahead = working_days_between(today, start, off)
    if ahead < min_working_days:
        earliest = nth_working_day(today, min_working_days, off)
        problems.append(
            f"the window starts on {start:%Y-%m-%d} ({WEEKDAYS[start.weekday()]}), {ahead} working days after "
            f"today ({today:%Y-%m-%d}); the notice must come at least {min_working_days} working days ahead "
            f"(Saturdays, Sundays and {len(off)} listed holidays do not count). Move the start to "
            f"{earliest:%Y-%m-%d} ({WEEKDAYS[earliest.weekday()]}) or later, or send the notice earlier "
            "next time; nothing was sent")
    return problems
