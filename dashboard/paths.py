"""Where the package finds its assets/ and data/ folders.

In a source checkout (or an editable install) they sit at the repository root, beside the
package; a wheel carries copies inside the package as ``_assets``/``_data`` (pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[0]


ASSETS_DIR = _first_existing(_PKG / "_assets", _PKG.parent / "assets")
DATA_DIR = _first_existing(_PKG / "_data", _PKG.parent / "data")
