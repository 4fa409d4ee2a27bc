import tomllib
from pathlib import Path

import pytest

from bot.config import SETTINGS, ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_example_config_documents_every_setting():
    data = tomllib.loads((ROOT / "config.example.toml").read_text())
    documented = {(section, key) for section, table in data.items() for key in table}
    declared = {(s.section, s.key) for s in SETTINGS}
    assert declared - documented == set(), "undocumented settings"
    assert documented - declared == set(), "documented settings that do not exist"
    # and the example loads as it is
    load_config(ROOT / "config.example.toml", env={})


def test_unknown_key_names_the_key_and_file(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sms]\nauth_tokn = 'x'\n")
    with pytest.raises(ConfigError, match=r"auth_tokn") as err:
        load_config(cfg, env={})
    assert str(cfg) in str(err.value)


def test_bad_type_names_the_key(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[server]\nport = 'eighty'\n")
    with pytest.raises(ConfigError, match=r"\[server\] port"):
        load_config(cfg, env={})


def test_environment_supplies_secrets_and_wins(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sms]\nauth_token = 'from-file'\n")
    config = load_config(cfg, env={"CASECHECK_SMS_AUTH_TOKEN": "from-env"})
    assert config.sms.auth_token == "from-env"


def test_config_from_environment_variable_path(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[storage]\npath = 'x.db'\n")
    assert load_config(None, env={"CASECHECK_CONFIG": str(cfg)}).storage.path == "x.db"


def test_cli_reports_bad_config(tmp_path, capsys):
    from bot.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text("[nope]\nx = 1\n")
    assert main(["chat", "--config", str(cfg), "--json"]) == 2
    assert "[nope] x" in capsys.readouterr().err
