"""Without PostgreSQL the tests on it are skipped with one line saying why — but under CI=true
that is a failure, never a skip: CI runs every test on both databases. Checked by running a
test on PostgreSQL in a pytest of its own, its programs made missing; and `make test`'s
installer step (tests/ensure-postgresql.sh) says the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ONE_TEST = "tests/test_migrations.py::test_models_match_migrations"


def run_pytest(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["AKSI_TEST_POSTGRES_BIN"] = str(tmp_path / "nothing-here")
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", ONE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_missing_postgresql_skips_with_its_reason(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, ci=None)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 1 skipped" in run.stdout  # SQLite ran; PostgreSQL said why it did not
    assert "skipped on PostgreSQL: no initdb in AKSI_TEST_POSTGRES_BIN" in run.stdout


@pytest.mark.parametrize("ci", ["true", "1"])
def test_missing_postgresql_fails_on_ci(tmp_path: Path, ci: str) -> None:
    run = run_pytest(tmp_path, ci=ci)
    assert run.returncode != 0
    assert "1 passed, 1 error" in run.stdout, run.stdout
    assert "CI=true: no initdb in AKSI_TEST_POSTGRES_BIN" in run.stdout
    assert "skipped" not in run.stdout


def script(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess[str]:
    """tests/ensure-postgresql.sh with PostgreSQL's programs missing."""
    env = {"PATH": "/usr/bin:/bin", "AKSI_TEST_POSTGRES_BIN": str(tmp_path / "nothing-here")}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        ["bash", str(ROOT / "tests/ensure-postgresql.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_installer_step_says_it_will_skip_or_fails_on_ci(tmp_path: Path) -> None:
    local = script(tmp_path, ci=None)
    assert local.returncode == 0
    assert local.stdout.strip().splitlines() == [
        "PostgreSQL is not installed: the tests on PostgreSQL will be skipped "
        "(install it: apt-get install -y postgresql; under CI=true this fails)"
    ]
    ci = script(tmp_path, ci="true")
    assert ci.returncode == 1
    assert "CI=true and PostgreSQL's server programs are missing" in ci.stderr
    there = tmp_path / "bin"
    there.mkdir()
    (there / "initdb").write_text("#!/bin/sh\n")
    (there / "initdb").chmod(0o755)
    found = subprocess.run(
        ["bash", str(ROOT / "tests/ensure-postgresql.sh")],
        env={"PATH": "/usr/bin:/bin", "AKSI_TEST_POSTGRES_BIN": str(there), "CI": "true"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert (found.returncode, found.stdout, found.stderr) == (0, "", "")
