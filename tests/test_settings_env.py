"""Every ZONES_* setting of the server: a bad value stops the start with the variable and what it accepts."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from api.settings import Settings, SettingError
from geodata import DEFAULT_STORE, PLAN_FILE

VARIABLES = ("ZONES_STORE", "ZONES_PLAN", "ZONES_MAX_BODY_BYTES", "ZONES_WRITE_TOKENS", "ZONES_MAX_UPLOAD_MB",
             "ZONES_KEEP_REVISIONS")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_when_nothing_is_set():
    s = Settings.from_env()
    assert (s.store_path, s.plan_path) == (DEFAULT_STORE, PLAN_FILE)
    assert s.max_body_bytes == 10 * 1024 * 1024 and s.max_upload_bytes == 200 * 1024 * 1024
    assert s.write_tokens == () and s.keep_revisions == 50


def test_good_values_are_read(monkeypatch, tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_bytes(PLAN_FILE.read_bytes())
    for name, value in {"ZONES_STORE": str(DEFAULT_STORE), "ZONES_PLAN": str(plan), "ZONES_MAX_BODY_BYTES": "2048",
                        "ZONES_MAX_UPLOAD_MB": "0.5", "ZONES_WRITE_TOKENS": "office:s3cret"}.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert s.plan_path == plan and s.max_body_bytes == 2048 and s.max_upload_bytes == 512 * 1024
    assert s.write_tokens == (("office", "s3cret"),)


@pytest.mark.parametrize("name, value, accepted", [
    ("ZONES_MAX_UPLOAD_MB", "abc", "number of megabytes (MiB) greater than 0"),
    ("ZONES_MAX_UPLOAD_MB", "-5", "greater than 0"),
    ("ZONES_MAX_UPLOAD_MB", "0", "greater than 0"),
    ("ZONES_MAX_UPLOAD_MB", "nan", "greater than 0"),
    ("ZONES_MAX_UPLOAD_MB", "inf", "greater than 0"),
    ("ZONES_MAX_BODY_BYTES", "10MB", "whole number of bytes greater than 0"),
    ("ZONES_MAX_BODY_BYTES", "-1", "greater than 0"),
    ("ZONES_MAX_BODY_BYTES", "0", "greater than 0"),
    ("ZONES_STORE", "/nonexistent/zones.gpkg", "existing file"),
    ("ZONES_PLAN", "/nonexistent/plan.toml", "existing file"),
    ("ZONES_WRITE_TOKENS", "office:", "name:token pairs"),
    ("ZONES_KEEP_REVISIONS", "-3", "'all'"),
    ("ZONES_KEEP_REVISIONS", "many", "'all'"),
])
def test_a_bad_value_names_the_variable_and_what_it_accepts(monkeypatch, name, value, accepted):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingError) as caught:
        Settings.from_env()
    assert name in str(caught.value) and accepted in str(caught.value)


def test_the_server_start_stops_with_the_message_not_a_bare_valueerror():
    env = {**os.environ, "ZONES_MAX_UPLOAD_MB": "abc"}
    run = subprocess.run([sys.executable, "-c", "import api.app"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("api.settings.SettingError: ZONES_MAX_UPLOAD_MB='abc'")
    assert "could not convert string to float" not in run.stderr
