"""The tabs of the administration page (/admin), one module each, discovered like the pages.

A tab module defines ``ORDER`` (its place), ``KEY`` (the tab's value), ``label(lang)``,
``panel(lang)`` (the tab's content, built when the page opens) and, when it has callbacks,
``register_callbacks(app)``. Every write a tab makes goes through ``services/``, which checks
that the actor is an admin: the page hiding itself from others is a courtesy, not the guard.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def tab_modules() -> list[ModuleType]:
    modules = [importlib.import_module(f"{__name__}.{info.name}")
               for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    return sorted(modules, key=lambda m: m.ORDER)
