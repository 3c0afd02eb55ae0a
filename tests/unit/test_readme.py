"""README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S)]


def test_quick_start_has_a_run_command_and_a_test_command():
    run, test = quick_start_commands()
    assert "python -m dashboard demo" in run and "python -m dashboard serve" in run
    assert "python -m pytest" in test


def test_ci_runs_the_readme_test_command_verbatim_in_a_fresh_venv():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    _, test = quick_start_commands()
    assert any(line.startswith(test) for line in ci.splitlines())
    assert "-m venv" in ci and "--system-site-packages" not in ci
