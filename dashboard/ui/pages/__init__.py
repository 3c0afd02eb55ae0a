"""One module per page. Every module here is imported by ``page_modules()``, which registers its
page with Dash; a module may define ``register_callbacks(app)`` for its callbacks."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def page_modules() -> list[ModuleType]:
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)
        if not info.name.startswith("_")
    ]
