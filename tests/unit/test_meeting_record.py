"""The new-meeting form read into a record, and the rules a record must meet to be saved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.meeting_record import MeetingError, check, from_form

TZ = ZoneInfo("Asia/Shanghai")
REFS = {"unit_ids": {1, 2}, "township_ids": {10}, "site_ids": {100}}


def form(**changes) -> dict:
    values = {
        "number": "28", "date": "2025-12-12", "time": "09:00", "chair": "区长", "location": "区政府三楼",
        "attendees": ["区住建局", "区城管局"], "agenda": "1. 空气质量", "summary": "", "minutes": "",
        "problems": [{"desc": "侯寨乡问题突出", "township": "10", "site": None, "item": None},
                     {"desc": "", "township": None, "site": None, "item": None}],  # a blank row: dropped
        "decisions": ["严格问责", "  "],
        "accs": [{"unit": "1", "measure": "interview", "reason": "道路扬尘反弹"}],
        "actions": [{"task": "主次干道冲洗", "measures": "每日6遍", "unit": "2", "lead": "1", "deadline": "2025-12-19"},
                    {"task": "", "measures": "", "unit": None, "lead": None, "deadline": None}],
    }
    return values | changes


def test_a_filled_form_reads_into_a_record_without_its_blank_rows():
    record = from_form(form(), TZ)
    assert record.number == 28 and record.held_at == dt.datetime(2025, 12, 12, 9, 0, tzinfo=TZ)
    assert [p.description for p in record.problems] == ["侯寨乡问题突出"] and record.problems[0].township_id == 10
    assert record.decisions == ["严格问责"]
    assert [(a.unit_id, a.measure) for a in record.accountability] == [(1, "interview")]
    (action,) = record.actions
    assert (action.task, action.responsible_unit_id, action.lead_department_id, action.deadline) == \
        ("主次干道冲洗", 2, 1, dt.date(2025, 12, 19))
    check(record, **REFS)


@pytest.mark.parametrize(("changes", "code", "position"), [
    ({"number": "第28次"}, "bad_number", None),
    ({"number": None}, "bad_number", None),
    ({"time": "9点"}, "bad_time", None),
    ({"date": "2025-13-40"}, "bad_time", None),
    ({"problems": [{"desc": " ", "township": "10"}]}, "problem_empty", 1),
    ({"accs": [{"unit": None, "measure": "interview", "reason": "没选单位"}]}, "acc_unit_missing", 1),
    ({"actions": [{"task": "", "unit": "2", "measures": "有措施"}]}, "action_task_empty", 1),
    ({"actions": [{"task": "任务", "unit": None}]}, "action_unit_missing", 1),
    ({"actions": [{"task": "任务", "unit": "2", "deadline": "下周"}]}, "action_deadline_missing", 1),
    ({"problems": "not rows"}, "bad_value", None),
    ({"chair": ["区长"]}, "bad_value", None),
])
def test_a_half_filled_or_malformed_form_says_which_row(changes, code, position):
    with pytest.raises(MeetingError) as refused:
        from_form(form(**changes), TZ)
    assert refused.value.code == code
    assert refused.value.details.get("position") == position


@pytest.mark.parametrize(("changes", "code"), [
    ({"chair": " "}, "chair_missing"),
    ({"number": "0"}, "bad_number"),
    ({"minutes": "长" * 20_001}, "too_long"),
    ({"problems": [{"desc": "问题", "township": "11"}]}, "unknown_township"),
    ({"problems": [{"desc": "问题", "site": "101"}]}, "unknown_site"),
    ({"accs": [{"unit": "9", "measure": "interview"}]}, "unknown_unit"),
    ({"accs": [{"unit": "1", "measure": "beheading"}]}, "unknown_measure"),
    ({"actions": [{"task": "任务", "unit": "9", "deadline": "2025-12-19"}]}, "action_unit_missing"),
    ({"actions": [{"task": "任务", "unit": "1", "lead": "9", "deadline": "2025-12-19"}]}, "unknown_unit"),
])
def test_the_record_must_refer_to_what_exists(changes, code):
    with pytest.raises(MeetingError) as refused:
        check(from_form(form(**changes), TZ), **REFS)
    assert refused.value.code == code
