"""HJ 212-2017 frames: the standard's CRC and example, the data segment, the 9014 answer, and
the cutting of a TCP byte stream into frames."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.domain import hj212

EXAMPLE = (b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
           b"CP=&&RtdInterval=30&&1C80\r\n")
MN = "010000A8900016F000169DC0"


def minute(cp: str = "DataTime=20251210080000;a34002-Min=60.1,a34002-Avg=85.2,a34002-Max=110.4,a34002-Flag=N;"
                     "a34004-Avg=48.0,a34004-Flag=C;LA-Avg=55.5,LA-Flag=N",
           *, flag: int = 5, cn: int = 2051, st_: str = "22", qn: str | None = "20251210080100123",
           pw: str = "100000") -> bytes:
    return hj212.encode_frame(hj212.build_segment(qn=qn, st=st_, cn=cn, pw=pw, mn=MN, flag=flag, cp=cp))


def test_the_standards_example_frame_verifies():
    segment = EXAMPLE[6:-6]
    assert len(segment) == 101 and hj212.crc16(segment) == 0x1C80 == hj212.crc16_fast(segment)
    frame = hj212.parse_frame(EXAMPLE)
    assert (frame.qn, frame.st, frame.cn, frame.pw, frame.mn, frame.flag) == (
        "20160801085857223", "32", 1062, "100000", MN, 5)
    assert frame.cp == "RtdInterval=30" and frame.wants_answer
    # 1062 (set the real-time interval) is a request, not an upload: it is never answered 9014.
    assert not frame.needs_data_ack
    assert hj212.encode_frame(segment.decode()) == EXAMPLE


def test_it_is_not_crc16_modbus():
    def modbus(data: bytes) -> int:
        crc = 0xFFFF
        for byte in data:
            crc ^= byte
            for _ in range(8):
                crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        return crc

    assert modbus(EXAMPLE[6:-6]) != 0x1C80


@given(st.binary(max_size=1100))
def test_the_table_crc_is_the_appendix_crc(data):
    assert hj212.crc16_fast(data) == hj212.crc16(data)


@pytest.mark.parametrize("position", [0, 6, 20, 60, 106, 107, 109])
def test_one_changed_byte_fails(position):
    broken = bytearray(EXAMPLE)
    broken[position] = ord("7") if broken[position] != ord("7") else ord("8")
    with pytest.raises(hj212.FrameError) as caught:
        hj212.parse_frame(bytes(broken))
    assert caught.value.code in {"no_head", "bad_length", "bad_crc"}
    if 6 <= position < 107:
        assert caught.value.code == "bad_crc"


def test_lowercase_crc_digits_and_a_log_line_without_cr_lf_are_accepted():
    frame = minute()
    assert hj212.parse_frame(frame[:-6] + frame[-6:-2].lower() + b"\r\n").cn == 2051
    assert hj212.parse_frame(frame[:-2], tail_required=False).cn == 2051
    with pytest.raises(hj212.FrameError, match="bad_tail|bad_length"):
        hj212.parse_frame(frame[:-2])


def test_minute_data_values_flags_and_time():
    frame = hj212.parse_frame(minute())
    assert frame.kind == "minute" and frame.needs_data_ack
    # DataTime is Beijing time; stored as UTC.
    assert frame.data_time == dt.datetime(2025, 12, 10, 0, 0, tzinfo=dt.UTC)
    assert [(v.pollutant, v.field, v.value, v.flag) for v in frame.values] == [
        ("a34002", "Min", 60.1, "N"), ("a34002", "Avg", 85.2, "N"), ("a34002", "Max", 110.4, "N"),
        ("a34004", "Avg", 48.0, "C"), ("LA", "Avg", 55.5, "N")]


@pytest.mark.parametrize("cn,kind", [(2011, "rtd"), (2051, "minute"), (2061, "hour"), (2031, "day")])
def test_the_four_kept_kinds(cn, kind):
    assert hj212.parse_frame(minute(cn=cn)).kind == kind


@pytest.mark.parametrize("cp,code", [
    ("a34002-Avg=85.2,a34002-Flag=N", "missing_field"),                         # no DataTime
    ("DataTime=20251310080000;a34002-Avg=85.2", "bad_time"),                      # month 13
    ("DataTime=2025121008;a34002-Avg=85.2", "bad_time"),
    ("DataTime=20251210080000;a34002-Avg=abc", "bad_value"),
    ("DataTime=20251210080000;a34002-Avg=nan", "bad_value"),
    ("DataTime=20251210080000;a34002-Avg=1e400", "bad_value"),
    ("DataTime=20251210080000;a34002-Avg=1,a34002-Flag=normal", "bad_value"),
    ("DataTime=20251210080000;a34002-Avg=1,a34002-Avg=2", "bad_cp"),
    ("DataTime=20251210080000;a34002-Avg", "bad_cp"),
])
def test_bad_data_is_refused_with_its_reason(cp, code):
    with pytest.raises(hj212.FrameError) as caught:
        hj212.parse_frame(minute(cp))
    assert caught.value.code == code


@pytest.mark.parametrize("segment,code", [
    ("QN=1;ST=22;CN=2051;PW=1;MN=A;Flag=5;CP=&&&&", "bad_field"),                 # QN not 17 digits
    ("ST=22;CN=2051;PW=1;Flag=5;CP=&&&&", "missing_field"),                        # no MN
    ("ST=22;CN=2051;PW=1;MN=A;Flag=5", "missing_field"),                           # no CP
    ("ST=22;CN=2051;PW=1;MN=A;Flag=5;CP=&&x=1", "bad_cp"),                         # CP not closed
    ("ST=22;CN=2051;PW=1;MN=A;MN=B;Flag=5;CP=&&&&", "bad_segment"),
    ("ST=22;CN=20x1;PW=1;MN=A;Flag=5;CP=&&&&", "bad_field"),
    ("ST=22;CN=2051;PW=1;MN=A;Flag=7;CP=&&&&", "missing_field"),                   # D set, no PNUM/PNO
    ("ST=22;CN=2051;PW=1;MN=A-B;Flag=5;CP=&&&&", "bad_field"),
])
def test_bad_segments_are_refused(segment, code):
    with pytest.raises(hj212.FrameError) as caught:
        hj212.parse_segment(segment)
    assert caught.value.code == code


def test_split_packets_carry_their_numbers():
    frame = hj212.parse_segment("ST=22;CN=2011;PW=1;MN=A;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20251210080000;"
                                "a34002-Rtd=50,a34002-Flag=N&&")
    assert (frame.pnum, frame.pno, frame.needs_data_ack) == (2, 1, True)


def test_the_data_answer():
    request = hj212.parse_frame(minute())
    answer = hj212.data_ack(request)
    parsed = hj212.parse_frame(answer)  # length and CRC right
    assert answer == hj212.encode_frame(
        f"QN=20251210080100123;ST=91;CN=9014;PW=100000;MN={MN};Flag=4;CP=&&&&")
    assert (parsed.qn, parsed.st, parsed.cn, parsed.flag) == (request.qn, "91", 9014, 4)
    assert not parsed.needs_data_ack  # an answer is never answered


@pytest.mark.parametrize("flag,st_,cn,expected", [
    (5, "22", 2051, True), (4, "22", 2051, False), (1, "22", 2061, True), (5, "91", 9014, False),
    (5, "22", 1062, False), (5, "22", 2081, True)])
def test_which_frames_are_answered(flag, st_, cn, expected):
    assert hj212.parse_frame(minute(flag=flag, st_=st_, cn=cn)).needs_data_ack is expected


# --------------------------------------------------------------------------- the byte stream
def test_a_frame_split_in_three_reads_comes_out_once():
    frame, deframer = minute(), hj212.Deframer()
    assert deframer.feed(frame[:3]) == [] and deframer.feed(frame[3:150]) == []
    assert deframer.feed(frame[150:]) == [frame]


def test_three_frames_in_one_read_come_out_one_by_one():
    frames = [minute(qn=f"2025121008010012{i}") for i in range(3)]
    assert hj212.Deframer().feed(b"".join(frames)) == frames


def test_garbage_is_skipped_and_the_buffer_stays_bounded():
    deframer = hj212.Deframer()
    out = deframer.feed(b"\x00\xff noise" * 200_000)  # 2.6 MB without a head
    assert all(isinstance(x, hj212.FrameError) for x in out) and len(deframer.buffer) <= 1
    # A head announcing more than the standard allows, a CR LF inside an announced length,
    # a length that is no number: each thrown away at once, the good frame behind them kept.
    good = minute()
    out = deframer.feed(b"##9999xyz##0500QN=1\r\n##00x1" + good + b"#")
    assert out[-1] == good and {e.code for e in out[:-1]} >= {"too_long", "bad_length"}
    assert bytes(deframer.buffer) == b"#"
    assert len(deframer.feed(b"#0900" + b"a" * 800)) == 0  # waits for its end (≤ one frame)
    assert len(deframer.buffer) <= hj212.MAX_FRAME
