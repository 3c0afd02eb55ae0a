"""What moved out of the pages: the pre-filled agenda of a new meeting, and the ledger and
rectification filters."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd

from dashboard.analytics.agenda import agenda_text
from dashboard.analytics.meetings import MeetingDraft, filter_ledger
from dashboard.analytics.rectifications import filtered

TZ = ZoneInfo("Asia/Shanghai")


def draft(**changes) -> MeetingDraft:
    items = pd.DataFrame([{
        "meeting_number": 26, "seq": 2, "task": "渣土车夜查", "responsible_unit": "区城管局",
        "responsible_unit_en": "District Urban Management", "deadline": dt.date(2025, 12, 1), "days_overdue": 10,
        "carried": 2, "age_days": 17, "overdue": True,
    }])
    values = dict(
        number=28, held_at=dt.datetime(2025, 12, 12, 9, tzinfo=TZ), chair_title="区长", location="", attendees=[],
        last_number=27, since=dt.datetime(2025, 12, 5, 9, tzinfo=TZ),
        air={"district": {"n_valid": 6, "pm25": 142.34, "n_good": 1, "categories": {"2": 1, "5": 3, "6": 2}},
             "change": {"pm25_pct": 12.5}},
        open_items=items,
        worst_townships=pd.DataFrame([{"township": "侯寨乡", "township_en": "Houzhai", "failed": 7},
                                      {"township": "马寨镇", "township_en": "Mazhai", "failed": 0}]),
        worst_sites=pd.DataFrame([{"site": "绿地城二期", "failed": 4}]),
        findings=pd.DataFrame([{"item_key": "cover", "failed": 5}]),
        working_during_stop=2,
        escalations=pd.DataFrame({"escalation_level": [2, 3, 3]}),
    )
    return MeetingDraft(**(values | changes))


LABELS = {"cover": ("各类物料堆放100%覆盖", "Stockpiles covered")}


def test_the_agenda_numbers_its_points_and_lists_the_overdue_items():
    text = agenda_text(draft(), "zh", TZ, LABELS)
    lines = text.splitlines()
    assert lines[0] == ("1. 通报2025年12月5日以来全区空气质量：PM2.5均值142.3µg/m³（较上期+12.5%），"
                        "优良天数1/6天，重度及以上污染5天")
    assert lines[1].startswith("2. 第27次调度会及以前交办事项“回头看”：未完成1项，其中超期1项")
    assert lines[2].startswith("   - 第26次调度会第2项“渣土车夜查”（区城管局") and "超期10天" in lines[2]
    assert "侯寨乡7项" in text and "马寨镇" not in text  # a township without failures is not named
    assert "各类物料堆放100%覆盖5项" in text and "违规施工工地2个" in text
    assert "约谈级1起、问责级2起" in text
    assert lines[-1] == "7. 区长讲话，安排部署下一阶段工作"  # the standing items close the agenda


def test_the_agenda_without_data_says_so_and_speaks_english():
    empty = draft(air={}, open_items=pd.DataFrame(), escalations=pd.DataFrame(),
                  worst_townships=pd.DataFrame(columns=["township", "township_en", "failed"]),
                  worst_sites=pd.DataFrame(columns=["site", "failed"]),
                  findings=pd.DataFrame(columns=["item_key", "failed"]), working_during_stop=0)
    zh = agenda_text(empty, "zh", TZ, LABELS)
    assert "暂无有效监测数据" in zh and "无结转或超期任务" in zh and "无升级至约谈、问责级的问题" in zh
    en = agenda_text(draft(), "en", TZ, LABELS)
    assert "District Urban Management" in en and "Houzhai" in en and "Stockpiles covered" in en
    # Only the data stays Chinese (a task, a site name): every sentence around it is English.
    chinese = {ch for ch in en if "\u4e00" <= ch <= "\u9fff"}
    assert chinese <= set("渣土车夜查绿地城二期")


def test_ledger_filters():
    frame = pd.DataFrame({
        "responsible_unit_id": [1, 1, 2], "status": ["open", "verified", "done"], "meeting_number": [26, 27, 27],
        "overdue": [True, False, False],
    })
    assert len(filter_ledger(frame)) == 3
    assert list(filter_ledger(frame, unit=1)["status"]) == ["open", "verified"]
    assert list(filter_ledger(frame, status="not_closed")["status"]) == ["open"]
    assert list(filter_ledger(frame, meeting="27")["status"]) == ["verified", "done"]
    assert list(filter_ledger(frame, overdue_only=True)["status"]) == ["open"]
    assert filter_ledger(frame, unit="x").empty  # a unit id that is not one selects nothing


def test_rectification_filters():
    frame = pd.DataFrame({
        "township_id": [1, 1, 2, 2], "item_key": ["cover", "cover", "cover", "hoarding"],
        "status": ["open", "open", "closed", "open"], "days_overdue": [0, 5, 3, 9], "escalation_level": [0, 1, 2, 0],
    })
    assert len(filtered(frame, "all")) == 4
    assert len(filtered(frame, "open")) == 3
    assert list(filtered(frame, "overdue")["days_overdue"]) == [5, 9]
    assert list(filtered(frame, "escalated")["escalation_level"]) == [1]
    assert list(filtered(frame, "closed")["township_id"]) == [2]
    assert list(filtered(frame, "open", township_id=2, item_key="hoarding")["days_overdue"]) == [9]


def test_pages_open_on_the_newest_data_when_it_is_older_than_their_window():
    from dashboard.analytics.periods import opening_window

    today = dt.date(2026, 11, 28)
    recent = opening_window(today, dt.date(2026, 11, 27), 30, through_today=False)
    assert recent == (dt.date(2026, 10, 29), dt.date(2026, 11, 27))
    assert opening_window(today, None, 30, through_today=False) == recent  # no data: the usual window
    archive = opening_window(today, dt.date(2025, 2, 15), 30, through_today=False)
    assert archive == (dt.date(2025, 1, 17), dt.date(2025, 2, 15))  # last winter's import, not "no data"
    assert opening_window(today, dt.date(2026, 11, 1), 31, through_today=True) == (dt.date(2026, 10, 29), today)
