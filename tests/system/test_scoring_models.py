"""The scoring model as versioned data: drafts, validation, activation and rollback, by API and CLI,
followed by the running scoring service at its next event without a restart."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import httpx
import pytest
from typer.testing import CliRunner

from scoring.domain.model import DEFAULT_MODEL
from tests.system.fixtures import QUALIFYING, System, database_url

MODELS = "/v1/scoring/models"


def _relabelled(label: str) -> str:
    """The default model under another label: it scores every lead as the default does, so the
    other tests' leads qualify whichever of the two is active."""
    return DEFAULT_MODEL.read_text().replace('label = "2026-11-default-2"', f'label = "{label}"', 1)


async def _model_version_of_a_new_lead(client: httpx.AsyncClient, system: System) -> str:
    tail = await system.tail("lead.scored")
    try:
        body = {"email": f"{uuid4().hex[:10]}@hopper-labs.example", **QUALIFYING}
        posted = await client.post(system.url("capture", "/v1/leads"), json=body, headers=system.headers)
        assert posted.status_code == 202, posted.text
        [scored] = await tail.events_for(str(posted.json()["lead_id"]))
    finally:
        await tail.stop()
    return str(scored["data"]["model_version"])


async def test_a_model_with_wrong_parts_is_refused_naming_each_path_and_nothing_is_saved(
    client: httpx.AsyncClient, system: System
) -> None:
    before = await client.get(system.url("scoring", MODELS), headers=system.headers)
    rule = '[[rules]]\nid = "a"\nkind = "{kind}"\npoints = 1\nfield = "{field}"\nop = "{op}"\n'
    broken = (
        "[levels]\nhot = 10\n"
        + rule.format(kind="fit", field="shoe_size", op="near")
        + rule.format(kind="vibe", field="employees", op="exists")
    )
    refused = await client.post(
        system.url("scoring", MODELS),
        content=broken,
        headers={**system.headers, "Content-Type": "application/toml"},
    )
    assert refused.status_code == 422, refused.text
    assert {p["path"] for p in refused.json()["problems"]} == {
        "rules[0].field",
        "rules[0].op",
        "rules[1].kind",
        "rules[1].id",
    }
    not_json = await client.post(
        system.url("scoring", MODELS),
        content="{",
        headers={**system.headers, "Content-Type": "application/json"},
    )
    assert not_json.status_code == 422
    assert [p["path"] for p in not_json.json()["problems"]] == ["$"]
    after = await client.get(system.url("scoring", MODELS), headers=system.headers)
    assert after.json() == before.json()


async def test_the_management_api_needs_a_system_key(client: httpx.AsyncClient, system: System) -> None:
    for method, path in (
        ("GET", MODELS),
        ("POST", MODELS),
        ("POST", f"{MODELS}/1/activate"),
        ("POST", f"{MODELS}/rollback"),
    ):
        answer = await client.request(method, system.url("scoring", path), content=_relabelled("x"))
        assert answer.status_code == 401, (method, path, answer.text)


async def test_a_draft_activated_scores_the_next_lead_and_a_rollback_restores_the_one_before(
    client: httpx.AsyncClient, system: System
) -> None:
    active = await client.get(system.url("scoring", f"{MODELS}/active"), headers=system.headers)
    assert active.status_code == 200, active.text
    before = active.json()["version"]

    saved = await client.post(
        system.url("scoring", MODELS),
        params={"note": "same rules, new label"},
        content=_relabelled(f"label-{uuid4().hex[:6]}"),
        headers={**system.headers, "Content-Type": "application/toml"},
    )
    assert saved.status_code == 201, saved.text
    draft = saved.json()
    assert draft["active"] is False
    assert draft["version"] > before
    assert draft["note"] == "same rules, new label"
    assert await _model_version_of_a_new_lead(client, system) == str(before)  # a draft scores nothing

    activated = await client.post(
        system.url("scoring", f"{MODELS}/{draft['version']}/activate"), headers=system.headers
    )
    assert activated.status_code == 200, activated.text
    assert await _model_version_of_a_new_lead(client, system) == str(draft["version"])

    rolled_back = await client.post(system.url("scoring", f"{MODELS}/rollback"), headers=system.headers)
    assert rolled_back.status_code == 200, rolled_back.text
    assert rolled_back.json()["version"] == before
    assert await _model_version_of_a_new_lead(client, system) == str(before)

    versions = (await client.get(system.url("scoring", MODELS), headers=system.headers)).json()
    assert [v["version"] for v in versions if v["active"]] == [before]
    shown = await client.get(system.url("scoring", f"{MODELS}/{draft['version']}"), headers=system.headers)
    assert shown.json()["document"]["rules"][0]["id"] == "senior-title"
    log = (await client.get(system.url("scoring", f"{MODELS}/activations"), headers=system.headers)).json()
    assert [(a["version"], a["action"]) for a in log[:2]] == [
        (before, "rollback"),
        (draft["version"], "activate"),
    ]
    missing = await client.post(system.url("scoring", f"{MODELS}/99999/activate"), headers=system.headers)
    assert missing.status_code == 404


def test_the_cli_pushes_lists_and_refuses_a_wrong_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, system: System
) -> None:
    from leadkit.cli import app

    monkeypatch.setenv("SCORING_DATABASE_URL", database_url("scoring"))
    runner = CliRunner()
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        '[levels]\nhot = 1\n[[rules]]\nid = "a"\nkind = "fit"\npoints = 1\nfield = "employees"\nop = "near"\n'
    )
    refused = runner.invoke(app, ["scoring", "models", "push", str(wrong)])
    assert refused.exit_code == 1
    assert "rules[0].op" in refused.output

    good = tmp_path / "good.toml"
    good.write_text(_relabelled("from-the-shell"))
    pushed = runner.invoke(app, ["scoring", "models", "push", str(good), "--note", "from the shell"])
    assert pushed.exit_code == 0, pushed.output
    version = pushed.output.split("version ")[1].split()[0]
    listed = runner.invoke(app, ["scoring", "models", "list"])
    assert listed.exit_code == 0, listed.output
    assert "from the shell" in listed.output
    shown = runner.invoke(app, ["scoring", "models", "show", version])
    assert '"from-the-shell"' in shown.output
    # activating again the version active now: the CLI works the re-score with its progress bar
    active = runner.invoke(app, ["scoring", "models", "list"])
    current = next(line.split()[1] for line in active.output.splitlines() if "●" in line)
    activated = runner.invoke(app, ["scoring", "models", "activate", current])
    assert activated.exit_code == 0, activated.output
    assert f"version {current} is active" in activated.output
    assert "re-scored" in activated.output
    assert "changed grade, level or qualification" in activated.output


async def test_a_saved_version_cannot_be_changed_even_in_the_database(
    client: httpx.AsyncClient, system: System
) -> None:
    import asyncpg

    listed = await client.get(system.url("scoring", MODELS), headers=system.headers)  # seeds version 1
    assert listed.json()[0]["version"] == 1

    url = database_url("scoring").replace("postgresql+asyncpg", "postgresql").removesuffix("?ssl=disable")
    conn = await asyncpg.connect(url)
    try:
        with pytest.raises(asyncpg.RaiseError, match="immutable"):
            await conn.execute("UPDATE policy_versions SET note = 'edited' WHERE version = 1")
        with pytest.raises(asyncpg.RaiseError, match="immutable"):
            await conn.execute("DELETE FROM policy_versions WHERE version = 1")
    finally:
        await conn.close()
