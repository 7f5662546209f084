"""The files in deploy/ agree with each other and with the code (issue 19): systemd accepts the units
(``systemd-analyze verify`` with the install root replaced by this checkout), every program they
start exists, the environment template sets every variable deploy/dagster.yaml and the units read,
and Dagster accepts deploy/dagster.yaml. The services themselves run in test_deploy_dagster.py and
test_deploy_nginx.py."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from services import DEPLOY, INSTALL_ROOT, REPO_ROOT, env_template_keys, unit_command

UNITS = [
    "scorecard-dagster-webserver.service",
    "scorecard-dagster-daemon.service",
    "scorecard-portal.service",
    "scorecard-backup.service",
    "scorecard-backup.timer",
]
ENV_FILE = "/etc/scorecard/scorecard.env"


def _env_refs(node) -> set[str]:
    """The variables named by ``{env: NAME}`` anywhere in a parsed YAML document."""
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_env_refs(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_env_refs(v) for v in node)) if node else set()
    return set()


def test_systemd_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (apt-get install systemd)")
    for unit in UNITS:
        text = (DEPLOY / unit).read_text(encoding="utf-8")
        if unit.endswith(".service"):
            assert f"EnvironmentFile={ENV_FILE}" in text, unit
        text = text.replace(ENV_FILE, str(DEPLOY / "scorecard.env.example")).replace(INSTALL_ROOT, str(REPO_ROOT))
        (tmp_path / unit).write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", "--man=no", *UNITS], cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


def test_unit_programs_exist_and_take_their_options():
    for unit in UNITS[:3]:
        argv = unit_command(unit)
        assert Path(argv[0]).is_file(), f"{unit}: {argv[0]} missing (make setup)"
        done = subprocess.run(
            [*argv[:2], "--help"] if "daemon" in unit or "portal" in unit else [argv[0], "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        for option in (a for a in argv if a.startswith("--")):
            assert option in done.stdout, f"{unit}: {option} is not an option of {' '.join(argv[:2])}"


def test_environment_template_covers_dagster_yaml_and_the_units():
    keys = env_template_keys()
    instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text(encoding="utf-8"))
    needed = _env_refs(instance) | {"DAGSTER_HOME"}
    for unit in UNITS:
        needed |= set(re.findall(r"\$\{(\w+)\}", (DEPLOY / unit).read_text(encoding="utf-8")))
    assert needed <= set(keys), f"missing in scorecard.env.example: {sorted(needed - set(keys))}"
    assert all(keys[k] for k in needed), "every needed variable has a value in the template"
    assert keys["SCORECARD_PORTAL_SECURE_COOKIES"] == "1"


def test_dagster_accepts_the_instance_configuration(monkeypatch, tmp_path):
    from dagster._core.instance.config import dagster_instance_config

    for key, value in env_template_keys().items():
        monkeypatch.setenv(key, value)
    shutil.copy(DEPLOY / "dagster.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["storage"]["postgres"]["postgres_db"]["port"] == {"env": "DAGSTER_PG_PORT"}
    assert config["concurrency"]["pools"] == {"default_limit": 1, "granularity": "run"}
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
