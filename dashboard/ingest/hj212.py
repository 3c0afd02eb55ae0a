"""Recorded HJ 212 frames (a log, one frame a line) read through the receiver's own parser.

Each line is one whole frame, ``##`` to CRC, with or without its CR LF; blank lines are
skipped. A line that is not a valid frame (head, length, CRC, data segment) is reported with
its number and reason, and the others are kept: ``services.site_dust.import_frame_log`` then
applies the receiver's rules (registered MN, right PW) and stores them idempotently.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.domain import hj212
from dashboard.ingest.report import clip
from dashboard.services.site_dust import LogImport

#: A recorded line longer than a frame can be (with room for trailing spaces) is not one.
MAX_LINE = hj212.MAX_FRAME + 64

REASONS = {
    "no_head": "does not start with ##",
    "bad_length": "the length field does not match the data segment",
    "too_long": f"data segment longer than the standard's {hj212.MAX_DATA_LENGTH} bytes",
    "bad_tail": "no CR LF at the end",
    "bad_crc": "CRC does not match",
    "not_ascii": "data segment is not ASCII",
    "bad_segment": "data segment is not KEY=value;…",
    "bad_field": "a header field is malformed",
    "missing_field": "a required field is missing",
    "bad_cp": "CP=&&…&& is malformed",
    "bad_time": "DataTime is not a valid yyyyMMddHHmmss",
    "bad_value": "a value is not a finite number (or a flag not one letter)",
}


def describe(error: hj212.FrameError) -> str:
    """A frame error in words, with its details (values clipped)."""
    details = ", ".join(f"{k} {clip(v)}" for k, v in error.details.items())
    return REASONS.get(error.code, error.code) + (f" ({details})" if details else "")


def read_frame_log(path: str | Path) -> tuple[list[tuple[int, hj212.Frame]], LogImport]:
    """The valid frames of a log with their line numbers, and a ``LogImport`` listing the
    refused lines."""
    path = Path(path)
    result = LogImport(file=str(path))
    frames: list[tuple[int, hj212.Frame]] = []
    number = 0
    with path.open("rb") as handle:
        while line := handle.readline(MAX_LINE + 1):
            number += 1
            if len(line) > MAX_LINE:
                # Read past the rest of it without holding it: a line can be a whole file.
                while line and not line.endswith(b"\n"):
                    line = handle.readline(1 << 16)
                result.lines += 1
                result.refused.append((number, f"line longer than any frame ({MAX_LINE} bytes)"))
                continue
            text = line.strip(b" \t\r\n")
            if not text:
                continue
            result.lines += 1
            try:
                frames.append((number, hj212.parse_frame(text, tail_required=False)))
            except hj212.FrameError as exc:
                result.refused.append((number, describe(exc)))
    return frames, result
