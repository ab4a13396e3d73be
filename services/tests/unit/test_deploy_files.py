"""What the deployment files promise: docker-compose publishes nothing beyond this host and runs on
no password printed in the repository."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_docker_compose_binds_to_loopback_and_has_no_default_password() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    compose = yaml.safe_load(text)
    published = [port for service in compose["services"].values() for port in service.get("ports", [])]
    assert published
    assert all(str(port).startswith("127.0.0.1:") for port in published), published
    for name in ("POSTGRES_PASSWORD", "LEADLOOP_DB_PASSWORD", "LEADLOOP_API_KEYS"):
        assert f"${{{name}:?" in text, name  # required, never defaulted
    assert "PASSWORD: postgres" not in text
    assert not (ROOT / "deploy" / "postgres" / "init.sql").exists()
    assert "LEADLOOP_DB_PASSWORD" in (ROOT / "deploy" / "postgres" / "init.sh").read_text()


def test_make_up_keeps_env_to_its_owner() -> None:
    up = (ROOT / "deploy" / "up.sh").read_text()
    assert 'chmod 600 "$ROOT/.env"' in up
