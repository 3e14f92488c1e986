"""The layers read bottom-up (pyproject.toml, [tool.importlinter]): storage <- core <- scheduler,
handlers <- bot; nothing below bot/ imports telegram; no cycle between the top-level packages.
No exceptions: every feature is written against the channel contract (issue 10)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "scheduler", "core", "storage")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_rules_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.po")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_a_new_handler_importing_telegram_is_refused(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    (root / "handlers" / "newfeature.py").write_text("from telegram import Update\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "handlers.newfeature -> telegram" in result.stdout


def test_core_importing_bot_is_refused(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    (root / "core" / "newrule.py").write_text("from bot.settings import Settings\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "core.newrule -> bot.settings" in result.stdout


def test_a_cycle_between_scheduler_and_handlers_is_refused(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    (root / "scheduler" / "newjob.py").write_text("import handlers.common\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "scheduler.newjob -> handlers.common" in result.stdout


def test_an_existing_feature_reaching_up_into_bot_is_refused(tmp_path: Path) -> None:
    root = copy_of_the_code(tmp_path)
    help_module = root / "handlers" / "help.py"
    help_module.write_text(help_module.read_text() + "\nfrom bot.context import AksiContext\n")
    result = lint_imports(root)
    assert result.returncode != 0
    assert "handlers.help -> bot.context" in result.stdout


def test_the_rules_have_no_exceptions() -> None:
    """Issue 10 took the last one away; a new one would need a reason and this test changed."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert [c.get("ignore_imports", []) for c in config["contracts"]] == [[], [], []]
