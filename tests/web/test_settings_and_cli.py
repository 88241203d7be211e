"""Settings and the `betang` command, run as a newcomer would run them (separate processes)."""

import os
import subprocess
import sys

import pytest

from config import env


def _clean_env() -> dict[str, str]:
    # The browser tests allow sync ORM calls under Playwright's loop; a real process must not inherit that.
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_betang(*args, extra_env=None):
    return subprocess.run(
        [sys.executable, "-m", "betang.cli", *args],
        capture_output=True,
        text=True,
        env=_clean_env() | {"DJANGO_SETTINGS_MODULE": "config.settings.base"} | (extra_env or {}),
        check=False,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = run_betang(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "x" * 30 + "-production-only-test-key-with-enough-entropy-1234567890",
            "BETANG_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_secret_key_is_generated_once_into_var(tmp_path, monkeypatch):
    monkeypatch.setenv("BETANG_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = env.secret_key()
    assert len(first) > 50
    assert env.secret_key() == first
    assert oct((tmp_path / "secret_key").stat().st_mode & 0o777) == "0o600"


def test_bad_environment_values_fail_fast(monkeypatch):
    monkeypatch.setenv("BETANG_DEBUG", "perhaps")
    with pytest.raises(ValueError, match="BETANG_DEBUG"):
        env.get_bool("BETANG_DEBUG")


def test_cli_lists_betang_commands(tmp_path):
    result = run_betang("help", extra_env={"BETANG_VAR_DIR": str(tmp_path)})
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "regions", "token"):
        assert command in result.stdout
