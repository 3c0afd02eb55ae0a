"""HJ 212-2017 (污染物在线监控(监测)系统数据传输标准): frames, their CRC, their data segment and
the data acknowledgement, as pure functions. No sockets, no SQL: the receiver, the file
importer and the simulator all go through these.

A frame on the wire (§6.3.2, Table 2)::

    ##  LLLL  data segment  CCCC  CR LF

``LLLL`` is the length of the data segment in bytes, four decimal digits (the standard allows
0 to 1024; a longer data segment is split into numbered packets, PNUM/PNO); ``CCCC`` the
CRC-16 of the data segment as four hex digits, computed as Appendix A gives it: start at
0xFFFF, for each byte ``crc = (crc >> 8) ^ byte`` then eight times shift right, XOR 0xA001 when
the bit shifted out is 1. (This is *not* CRC-16/MODBUS, which XORs the byte into the low
half: the standard's example ``…CP=&&RtdInterval=30&&`` gives 1C80 only this way.)

The data segment (§6.3.3, Table 3)::

    QN=20160801085857223;ST=22;CN=2051;PW=123456;MN=…;Flag=5;CP=&&DataTime=20160801085800;
    a34002-Avg=85.2,a34002-Min=60.1,a34002-Max=110.4,a34002-Flag=N;a01007-Avg=2.1,…&&

``Flag`` is the bits V5…V0 D A: A (bit 0) asks the receiver for an answer, D (bit 1) says the
packet is one of several (PNUM packets, this is PNO), V the protocol version (1 for 2017, so
an HJ 212-2017 device sends 4, or 5 when it wants an answer). Upload commands (上传命令:
real-time 2011, minute 2051, hourly 2061, daily 2031 data and the other 2xxx/3020 uploads)
with A set are answered by the data answer 9014 (数据应答, §6.6 and Appendix C), carrying the
request's QN, ST=91 (system interaction) and Flag=4 (2017, no answer wanted) with an empty CP.
Answers the device itself sends (ST=91, 9011…9014) and requests are never answered.

Data times (``DataTime=yyyyMMddHHmmss``) are Beijing time; they come back from here as UTC.
Every value carries its data flag (``a34002-Flag=N``): N normal, F stopped, M maintenance,
S manual, D fault, C calibration, T over range, B communication abnormal. All are kept;
statistics use only N (``VALID_FLAG``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dashboard.domain.errors import CodedError

BEIJING = ZoneInfo("Asia/Shanghai")
HEAD = b"##"
TAIL = b"\r\n"
#: Table 2: the data segment is 0 to 1024 bytes; longer data travels as numbered packets.
MAX_DATA_LENGTH = 1024
#: Header, length, CRC and tail around the data segment.
OVERHEAD = 2 + 4 + 4 + 2
MAX_FRAME = MAX_DATA_LENGTH + OVERHEAD

#: The data commands kept, by CN: what each one is (the ``kind`` of a reading).
STORED_KINDS: dict[int, str] = {2011: "rtd", 2051: "minute", 2061: "hour", 2031: "day"}
KIND_CNS = {kind: cn for cn, kind in STORED_KINDS.items()}
#: The value of each pollutant a kind is summed up by (an export shows it).
MAIN_FIELD = {"rtd": "Rtd", "minute": "Avg", "hour": "Avg", "day": "Avg"}
#: Numeric fields of a pollutant that are stored (real-time, average, minimum, maximum,
#: cumulative, and their 折算 "Zs" variants); other suffixes (SampleTime, EFlag…) are ignored.
VALUE_FIELDS = ("Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax")
#: Upload commands (上传命令, Table 8): the device sends data; with Flag A set it wants 9014.
UPLOAD_CNS = frozenset({2011, 2051, 2061, 2031, 2041, 2081, 2021, 2071, 2072, 3020})
DATA_ACK_CN = 9014
SYSTEM_INTERACTION_ST = "91"
#: The Flag of our answer: protocol version 1 (HJ 212-2017), no packet number, no answer wanted.
ACK_FLAG = 4

#: Data flags (Table 3's 数据标记) in Chinese and English; only N counts in statistics.
FLAGS: dict[str, tuple[str, str]] = {
    "N": ("正常", "normal"),
    "F": ("停运", "stopped"),
    "M": ("维护", "maintenance"),
    "S": ("手工输入", "manual value"),
    "D": ("故障", "fault"),
    "C": ("校准", "calibration"),
    "T": ("超测上限", "over range"),
    "B": ("通讯异常", "communication abnormal"),
}
VALID_FLAG = "N"

#: Codes a site dust monitor sends (Appendix B), with names and units (zh, en, unit).
POLLUTANTS: dict[str, tuple[str, str, str]] = {
    "a34002": ("PM10", "PM10", "µg/m³"),
    "a34004": ("PM2.5", "PM2.5", "µg/m³"),
    "a34001": ("总悬浮颗粒物", "TSP", "µg/m³"),
    "a01007": ("风速", "wind speed", "m/s"),
    "a01008": ("风向", "wind direction", "°"),
    "a01001": ("温度", "temperature", "°C"),
    "a01002": ("湿度", "humidity", "%"),
    "a01006": ("气压", "pressure", "kPa"),
    "LA": ("噪声", "noise", "dB(A)"),
}

_DIGITS = re.compile(r"\d+")
_QN = re.compile(r"\d{17}")
_ST = re.compile(r"\d{2}")
_CN = re.compile(r"\d{4}")
#: MN: 24 characters in 2017 (14 in 2005); letters and digits, a little room for local schemes.
_MN = re.compile(r"[0-9A-Za-z]{1,32}")
#: PW: 6 characters in the standard; anything printable that cannot break the segment.
_PW = re.compile(r"[!-~]{1,32}")
_PW_FORBIDDEN = set(";=&,")
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}")
_DATA_TIME = re.compile(r"\d{14}")


class FrameError(CodedError):
    """A frame or data segment that breaks the standard. Codes: ``no_head``, ``bad_length``,
    ``too_long``, ``bad_tail``, ``bad_crc``, ``not_ascii``, ``bad_segment``, ``bad_field``,
    ``missing_field``, ``bad_cp``, ``bad_time``, ``bad_value``; ``details`` say where."""


def crc16(data: bytes) -> int:
    """The CRC of Appendix A over ``data`` (the data segment's bytes)."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _crc_table() -> list[int]:
    """The eight shifts of each possible byte value."""
    table = []
    for low in range(256):
        crc = low
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc_table()
_HIGH = [value >> 8 for value in _TABLE]


def crc16_fast(data: bytes) -> int:
    """``crc16`` at table speed. After ``(crc >> 8) ^ byte`` the state is below 256, so the
    eight shifts make ``_TABLE[state]`` and only its high byte reaches the next step: the
    whole CRC is a walk over high bytes, and the table gives the last step in full. The
    tests check it against ``crc16`` on random data."""
    if not data:
        return 0xFFFF
    high, table = 0xFF, _HIGH
    for byte in data[:-1]:
        high = table[high ^ byte]
    return _TABLE[high ^ data[-1]]


def encode_frame(segment: str) -> bytes:
    """The whole frame for a data segment: head, length, segment, CRC, tail."""
    data = segment.encode("ascii")
    if len(data) > MAX_DATA_LENGTH:
        raise FrameError("too_long", length=len(data), limit=MAX_DATA_LENGTH)
    return b"%s%04d%s%04X%s" % (HEAD, len(data), data, crc16_fast(data), TAIL)


def unwrap(raw: bytes, *, tail_required: bool = True) -> str:
    """The data segment of one whole frame after checking head, length, CRC and tail.

    ``tail_required=False`` accepts a frame without its CR LF (a line of a recorded log).
    """
    if not raw.startswith(HEAD):
        raise FrameError("no_head")
    length_text = raw[2:6]
    if len(length_text) < 4 or not length_text.isdigit():
        raise FrameError("bad_length", text=length_text.decode("latin-1"))
    length = int(length_text)
    if length > MAX_DATA_LENGTH:
        raise FrameError("too_long", length=length, limit=MAX_DATA_LENGTH)
    end = 6 + length
    expected = end + 4 + (2 if tail_required else 0)
    body = raw if tail_required or not raw.endswith(TAIL) else raw[:-2]
    if len(body) != expected:
        raise FrameError("bad_length", length=length, frame=len(raw))
    if tail_required and not raw.endswith(TAIL):
        raise FrameError("bad_tail")
    data = raw[6:end]
    crc_text = raw[end:end + 4]
    computed = crc16_fast(data)
    if not all(c in b"0123456789abcdefABCDEF" for c in crc_text) or int(crc_text, 16) != computed:
        raise FrameError("bad_crc", sent=crc_text.decode("latin-1"), computed=f"{computed:04X}")
    try:
        return data.decode("ascii")
    except UnicodeDecodeError:
        raise FrameError("not_ascii") from None


class Value(NamedTuple):
    """One stored number of a frame: pollutant code, field (Avg, Rtd…), value, data flag."""

    pollutant: str
    field: str
    value: float
    flag: str | None


@dataclass(frozen=True)
class Frame:
    """A checked data segment. ``data_time`` (UTC) and ``values`` are filled for the stored
    kinds only (``STORED_KINDS``); the CP of other commands stays raw in ``cp``."""

    qn: str | None
    st: str
    cn: int
    pw: str
    mn: str
    flag: int
    cp: str
    pnum: int | None = None
    pno: int | None = None
    data_time: dt.datetime | None = None
    values: tuple[Value, ...] = ()
    params: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        return STORED_KINDS.get(self.cn)

    @property
    def wants_answer(self) -> bool:
        return bool(self.flag & 1)

    @property
    def needs_data_ack(self) -> bool:
        """An upload with Flag A set, from a device (not an answer of the system's own)."""
        return self.wants_answer and self.cn in UPLOAD_CNS and self.st != SYSTEM_INTERACTION_ST


def parse_segment(segment: str) -> Frame:
    """A data segment as a ``Frame``, or ``FrameError`` saying what is wrong with it."""
    head, sep, cp = segment.partition("CP=&&")
    if not sep:
        raise FrameError("missing_field", field="CP")
    if not cp.endswith("&&"):
        raise FrameError("bad_cp", reason="no closing &&")
    cp = cp[:-2]
    if head and not head.endswith(";"):
        raise FrameError("bad_segment", reason="CP must follow a ';'")
    fields: dict[str, str] = {}
    for part in head[:-1].split(";") if head else []:
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise FrameError("bad_segment", part=part[:40])
        if key in fields:
            raise FrameError("bad_segment", reason="repeated field", field=key)
        fields[key] = value
    for key in ("ST", "CN", "PW", "MN"):
        if key not in fields:
            raise FrameError("missing_field", field=key)
    qn = fields.get("QN")
    _check("QN", qn, _QN, optional=True)
    _check("ST", fields["ST"], _ST)
    _check("CN", fields["CN"], _CN)
    _check("MN", fields["MN"], _MN)
    if not password_ok(fields["PW"]):
        raise FrameError("bad_field", field="PW")
    flag_text = fields.get("Flag", "0")
    _check("Flag", flag_text, _DIGITS)
    flag = int(flag_text)
    if flag > 255:
        raise FrameError("bad_field", field="Flag", value=flag_text[:8])
    pnum = pno = None
    if flag & 2:
        for key in ("PNUM", "PNO"):
            _check(key, fields.get(key), _DIGITS)
        pnum, pno = int(fields["PNUM"]), int(fields["PNO"])
        if not 1 <= pno <= pnum:
            raise FrameError("bad_field", field="PNO", value=fields["PNO"][:8])
    cn = int(fields["CN"])
    frame = Frame(qn=qn, st=fields["ST"], cn=cn, pw=fields["PW"], mn=fields["MN"], flag=flag, cp=cp,
                  pnum=pnum, pno=pno)
    if cn not in STORED_KINDS:
        return frame
    data_time, values, params = parse_cp(cp)
    if data_time is None:
        raise FrameError("missing_field", field="DataTime")
    return Frame(qn=qn, st=frame.st, cn=cn, pw=frame.pw, mn=frame.mn, flag=flag, cp=cp, pnum=pnum, pno=pno,
                 data_time=data_time, values=values, params=params)


def _check(name: str, value: str | None, pattern: re.Pattern[str], optional: bool = False) -> None:
    if value is None:
        if optional:
            return
        raise FrameError("missing_field", field=name)
    if not pattern.fullmatch(value):
        raise FrameError("bad_field", field=name, value=value[:40])


def password_ok(password: str) -> bool:
    """A PW the segment can carry: 1 to 32 printable ASCII characters, none of ; = & ,"""
    return bool(_PW.fullmatch(password)) and not (_PW_FORBIDDEN & set(password))


def mn_ok(mn: str) -> bool:
    return bool(_MN.fullmatch(mn))


def parse_data_time(text: str) -> dt.datetime:
    """``yyyyMMddHHmmss`` in Beijing time as an aware UTC datetime."""
    if not _DATA_TIME.fullmatch(text):
        raise FrameError("bad_time", value=text[:20])
    try:
        local = dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                            int(text[12:14]))
    except ValueError:
        raise FrameError("bad_time", value=text) from None
    return local.replace(tzinfo=BEIJING).astimezone(dt.UTC)


def format_data_time(when: dt.datetime) -> str:
    return when.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")


_FLAG_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_VALUE_FIELDS = frozenset(VALUE_FIELDS)
_GOOD_CODES: set[str] = set()  # codes already checked against _CODE (a handful in practice)


def parse_cp(cp: str) -> tuple[dt.datetime | None, tuple[Value, ...], dict[str, str]]:
    """The command parameters of a data upload: its DataTime, its values with their flags,
    and any other parameters (``RtdInterval``…). The receiver's hot path: plain string
    operations, a pollutant code's pattern checked once per process."""
    data_time = None
    numbers: dict[tuple[str, str], float] = {}
    flags: dict[str, str] = {}
    params: dict[str, str] = {}
    if not cp:
        return None, (), params
    for item in cp.replace(",", ";").split(";"):
        if not item:
            continue
        key, eq, value = item.partition("=")
        if not eq or not key:
            raise FrameError("bad_cp", part=item[:40])
        code, dash, suffix = key.partition("-")
        if not dash:
            if key == "DataTime":
                data_time = parse_data_time(value)
            else:
                params[key] = value
            continue
        if code not in _GOOD_CODES:
            if not _CODE.fullmatch(code):
                raise FrameError("bad_cp", pollutant=code[:20])
            if len(_GOOD_CODES) < 10_000:
                _GOOD_CODES.add(code)
        if suffix == "Flag":
            if len(value) != 1 or value not in _FLAG_LETTERS:
                raise FrameError("bad_value", field=key, value=value[:20])
            flags[code] = value
        elif suffix in _VALUE_FIELDS:
            pair = (code, suffix)
            if pair in numbers:
                raise FrameError("bad_cp", reason="repeated field", field=key)
            numbers[pair] = _number(key, value)
    values = tuple([Value(code, fld, number, flags.get(code)) for (code, fld), number in numbers.items()])
    return data_time, values, params


def _number(key: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise FrameError("bad_value", field=key, value=text[:20]) from None
    if len(text) > 32 or not math.isfinite(number) or "_" in text:
        raise FrameError("bad_value", field=key, value=text[:20])
    return number


def parse_frame(raw: bytes, *, tail_required: bool = True) -> Frame:
    """``unwrap`` then ``parse_segment``."""
    return parse_segment(unwrap(raw, tail_required=tail_required))


def data_ack(frame: Frame) -> bytes:
    """The 9014 data answer to ``frame`` (§6.6, Appendix C): its QN, ST=91, its PW and MN,
    Flag=4 and an empty CP."""
    qn = f"QN={frame.qn};" if frame.qn else ""
    return encode_frame(f"{qn}ST={SYSTEM_INTERACTION_ST};CN={DATA_ACK_CN};PW={frame.pw};MN={frame.mn};"
                        f"Flag={ACK_FLAG};CP=&&&&")


def build_segment(*, qn: str | None, st: str, cn: int, pw: str, mn: str, flag: int, cp: str) -> str:
    """A data segment from its parts (the simulator's and the tests' frames)."""
    qn_part = f"QN={qn};" if qn else ""
    return f"{qn_part}ST={st};CN={cn};PW={pw};MN={mn};Flag={flag};CP=&&{cp}&&"


def qn_for(when: dt.datetime) -> str:
    """A QN (yyyyMMddHHmmsszzz, Beijing time) for an instant."""
    local = when.astimezone(BEIJING)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


# --------------------------------------------------------------------------- the byte stream
class Deframer:
    """Cuts a TCP byte stream into frames: frames split across reads wait for their rest,
    several frames in one read come out one by one, and garbage is skipped to the next ``##``.

    ``feed`` returns the whole frames found (bytes, CRC not yet checked) and ``FrameError``s
    for what was thrown away. The buffer never holds more than one largest frame plus the
    last read: text that cannot be the start of a frame is dropped at once. A data segment
    never contains CR LF, so a CR LF before the end a length announces means a broken frame:
    the search restarts after its ``##`` without waiting for bytes that may never come.
    """

    def __init__(self, max_frame: int = MAX_FRAME):
        self.buffer = bytearray()
        self.max_frame = max_frame
        self.garbage_bytes = 0

    def feed(self, data: bytes) -> list[bytes | FrameError]:
        buf = self.buffer
        buf += data
        out: list[bytes | FrameError] = []
        while True:
            start = buf.find(HEAD)
            if start < 0:
                # Keep a trailing '#' (the first half of a head); drop the rest.
                keep = 1 if buf.endswith(b"#") else 0
                dropped = len(buf) - keep
                if dropped:
                    self.garbage_bytes += dropped
                    out.append(FrameError("no_head", bytes=dropped))
                    del buf[:dropped]
                break
            if start:
                self.garbage_bytes += start
                out.append(FrameError("no_head", bytes=start))
                del buf[:start]
            if len(buf) < 6:
                break
            length_text = bytes(buf[2:6])
            if not length_text.isdigit() or int(length_text) > MAX_DATA_LENGTH:
                out.append(FrameError("bad_length" if not length_text.isdigit() else "too_long",
                                      text=length_text.decode("latin-1")))
                self.garbage_bytes += 2
                del buf[:2]
                continue
            total = int(length_text) + OVERHEAD
            crlf = buf.find(TAIL, 6, total)
            if 0 <= crlf < total - 2:
                out.append(FrameError("bad_length", length=int(length_text), reason="CR LF inside"))
                self.garbage_bytes += 2
                del buf[:2]
                continue
            if len(buf) < total:
                break
            out.append(bytes(buf[:total]))
            del buf[:total]
        return out
