"""Working days for maintenance notices (mailgov/workdays.py)."""

import datetime

from mailgov.workdays import check_window, nth_working_day, working_days_between

MONDAY = datetime.date(2025, 7, 7)


def test_weekends_do_not_count():
    assert working_days_between(MONDAY, "2025-07-10") == 3  # Tue, Wed, Thu
    assert working_days_between("2025-07-10", "2025-07-14") == 2  # Fri, (Sat, Sun), Mon
    assert working_days_between(MONDAY, MONDAY) == 0
    assert nth_working_day("2025-07-10", 3) == datetime.date(2025, 7, 15)


def test_holidays_do_not_count():
    # 2 September (Quốc khánh) falls on a Tuesday in 2025, with Monday 1 September given off.
    holidays = ["2025-09-01", "2025-09-02"]
    assert working_days_between("2025-08-29", "2025-09-04", holidays) == 2
    assert nth_working_day("2025-08-29", 3, holidays) == datetime.date(2025, 9, 5)


def test_a_window_three_working_days_ahead_is_accepted():
    assert check_window("2025-07-10 22:00", "2025-07-11 02:00", MONDAY) == []


def test_a_window_too_close_is_refused_with_the_earliest_start():
    problems = check_window("2025-07-11 08:00", "2025-07-11 10:00", "2025-07-09", ["2025-07-14"])
    assert len(problems) == 1
    assert "starts on 2025-07-11 (Thứ Sáu), 2 working days after today (2025-07-09)" in problems[0]
    assert "Move the start to 2025-07-15 (Thứ Ba) or later" in problems[0]
    assert "nothing was sent" in problems[0]


def test_an_end_before_the_start_and_bad_dates_are_named():
    assert "before it starts" in check_window("2025-07-20 10:00", "2025-07-20 09:00", MONDAY)[0]
    assert check_window("20/07/2025", "2025-07-20 09:00", MONDAY) == [
        "start: '20/07/2025' is not a time such as 2025-07-12 22:00"]
    assert "holidays[0]" in check_window("2025-07-20 10:00", "2025-07-20 12:00", MONDAY, ["Tết"])[0]
