"""Heavy-pollution alert levels and the construction-site measures each level orders.

Zhengzhou's measures (DOMAIN.md §5), as data: yellow (Ⅲ) stops earthworks, demolition, muck
transport and non-road mobile machinery; orange (Ⅱ) adds outdoor welding/cutting/painting and
building-material transport; red (Ⅰ) stops all construction. Blue existed before 2018 and
orders no stop on sites here. Each level includes the measures of the levels below it.
A site found working during any of its level's stops is a violation (``working_during_stop``).
"""

from __future__ import annotations

LEVELS = ("blue", "yellow", "orange", "red")
LEVEL_RANK = {level: rank for rank, level in enumerate(LEVELS)}
ROMAN = {"blue": "Ⅳ", "yellow": "Ⅲ", "orange": "Ⅱ", "red": "Ⅰ"}

#: Measure key → (中文, English), in the order they are added by the levels.
MEASURES: dict[str, tuple[str, str]] = {
    "earthworks": ("停止土石方作业", "No earthworks"),
    "demolition": ("停止拆除作业", "No demolition"),
    "muck_transport": ("停止渣土运输", "No muck transport"),
    "nonroad_machinery": ("停止使用非道路移动机械", "No non-road mobile machinery"),
    "outdoor_welding_painting": ("停止室外电焊、切割、喷涂作业", "No outdoor welding, cutting or painting"),
    "material_transport": ("停止建筑材料运输", "No building-material transport"),
    "all_construction": ("停止一切施工作业", "All construction stopped"),
}

#: The measures each level adds to the level below it.
_ADDED: dict[str, tuple[str, ...]] = {
    "blue": (),
    "yellow": ("earthworks", "demolition", "muck_transport", "nonroad_machinery"),
    "orange": ("outdoor_welding_painting", "material_transport"),
    "red": ("all_construction",),
}


def measures(level: str) -> list[str]:
    """Keys of every measure in force at ``level`` (its own and those of lower levels)."""
    if level not in LEVEL_RANK:
        raise ValueError(f"unknown alert level {level!r}; expected one of {LEVELS}")
    out: list[str] = []
    for lower in LEVELS[: LEVEL_RANK[level] + 1]:
        out += _ADDED[lower]
    return out


def added_measures(level: str) -> list[str]:
    """Keys of the measures this level adds to the one below it."""
    return list(_ADDED[level])


def measure_label(key: str, lang: str) -> str:
    zh, en = MEASURES[key]
    return zh if lang == "zh" else en


def stops_all_construction(level: str) -> bool:
    return "all_construction" in measures(level)
