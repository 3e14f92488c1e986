"""The deployment files say what Aksi accepts: the container runs `aksi serve` as a non-root
user with a health check on /healthz, installed from the lock; compose's settings load as Aksi
loads them; the systemd unit stops it with SIGTERM; the reverse proxy passes on only the
webhook path; the lock pins every dependency of pyproject.toml within its range, by hash.
(No container is built here: these machines have no image registry.)"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import main
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = {  # what an organiser puts in .env for compose
    "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
    "AKSI_WEBHOOK_URL": "https://bot.example.go.id/telegram/5f1c2a",
    "AKSI_WEBHOOK_SECRET": "a-secret-of-enough-length_0123",
}


def settings_from(env: dict[str, str]) -> Settings:
    """Settings as `aksi` reads them from this environment (nothing else)."""
    return Settings(_env_file=None, **{k.lower(): v for k, v in env.items()})  # type: ignore[call-arg]


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile instruction, continuations joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_image_serves_as_a_non_root_user_with_a_health_check() -> None:
    steps = dockerfile()
    [base] = [args for op, args in steps if op == "FROM"]
    assert re.fullmatch(r"python:3\.11-slim", base)
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    [cmd] = [args for op, args in steps if op == "CMD"]
    assert cmd == '["aksi", "serve"]'
    assert CliRunner().invoke(main, ["serve", "--help"]).exit_code == 0
    env: dict[str, str] = {}
    for op, args in steps:
        if op == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
    settings = settings_from({**env, **SAMPLE})
    [check] = [args for op, args in steps if op == "HEALTHCHECK"]
    assert f"127.0.0.1:{settings.aksi_http_port}/healthz" in check
    runs = " ".join(args for op, args in steps if op == "RUN")
    assert "--require-hashes -r requirements.lock" in runs
    for op, args in steps:
        if op == "COPY":
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"


def test_compose_runs_serve_on_postgresql_with_settings_aksi_accepts() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    aksi, postgres = compose["services"]["aksi"], compose["services"]["postgres"]
    assert aksi["command"] == ["aksi", "serve"]
    assert aksi["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert postgres["healthcheck"]["test"]
    assert all(port.startswith("127.0.0.1:") for port in aksi["ports"])  # behind the proxy
    password = "pw-from-env"
    env = {
        k: str(v).replace("${POSTGRES_PASSWORD}", password) for k, v in aksi["environment"].items()
    }
    settings = settings_from({**SAMPLE, **env})
    assert settings.database_url.startswith("postgresql+asyncpg://aksi:pw-from-env@postgres")
    assert f"{settings.aksi_http_port}:{settings.aksi_http_port}" in aksi["ports"][0]


def test_the_systemd_unit_serves_and_stops_gracefully() -> None:
    unit = (ROOT / "deploy" / "aksi.service").read_text()
    fields = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert fields["ExecStart"].endswith("/aksi serve")
    assert fields["KillSignal"] == "SIGTERM" and fields["User"] != "root"
    assert fields["EnvironmentFile"].startswith("/etc/aksi/")


def test_the_proxy_passes_on_only_the_webhook_paths() -> None:
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    port = Settings(_env_file=None).aksi_http_port  # type: ignore[call-arg]
    assert f"reverse_proxy 127.0.0.1:{port}" in caddy
    assert "handle /telegram/*" in caddy and "respond 404" in caddy
    assert "handle /whatsapp {" in caddy  # Meta's webhook (bot.whatsapp_web.PATH)
    assert "/metrics" not in caddy.split("#")[-1]


def pins(lock_file: str) -> dict[str, str]:
    """A lock's packages and versions; every entry must carry its hashes."""
    lock = (ROOT / lock_file).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in entry for entry in entries if "==" in entry), lock_file
    return {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.MULTILINE)
    }


@pytest.mark.parametrize(
    ("lock_file", "extras"), [("requirements.lock", []), ("requirements-dev.lock", ["dev"])]
)
def test_the_locks_pin_every_dependency_within_its_range_by_hash(
    lock_file: str, extras: list[str]
) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        wanted += [Requirement(r) for r in project["optional-dependencies"][extra]]
    pinned = pins(lock_file)
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in {lock_file} (run make lock)"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock_file} has {name}=={pinned[name]}, pyproject.toml asks {requirement}"
        )


def test_the_image_runs_on_the_same_versions_as_the_tests_without_the_test_tools() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    assert {name: dev.get(name) for name in runtime} == runtime  # what was tested is shipped
    assert "pytest" in dev and "pytest" not in runtime and "mypy" not in runtime
