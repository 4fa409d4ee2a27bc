import dataclasses
import tomllib
from pathlib import Path
from typing import get_type_hints

import pytest

from bot.config import FIELD_TYPES, SECTIONS, SETTINGS, ConfigError, example_toml, load_config

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


def test_every_setting_is_a_typed_field_of_its_section():
    hints = {name: get_type_hints(kind) for name, kind in SECTIONS.items()}
    fields = {(name, f.name): hints[name][f.name]
              for name, kind in SECTIONS.items() for f in dataclasses.fields(kind) if f.init}
    declared = {(s.section, s.key): FIELD_TYPES[s.type] for s in SETTINGS}
    assert {k: v for k, v in declared.items() if fields.get(k) != v} == {}, \
        "a Setting with no field of its type in its section's dataclass"
    assert fields.keys() - declared.keys() == set(), "a field with no Setting"
    for name, kind in SECTIONS.items():  # and in the same order, so the example reads alike
        assert [f.name for f in dataclasses.fields(kind) if f.init] == [
            s.key for s in SETTINGS if s.section == name], name


def test_example_config_is_written_from_the_settings():
    assert (ROOT / "config.example.toml").read_text() == example_toml(), \
        "run: python -m bot.config > config.example.toml"


def test_secrets_are_never_given_a_default():
    assert all(s.default == "" for s in SETTINGS if s.secret)


@pytest.mark.parametrize("key, value, complaint", [
    ("organization.office_hours", "weekdays", r"\[organization\] office_hours"),
    ("organization.office_hours", "Mon-Fri 25:00-17:00", r"\[organization\] office_hours"),
    ("organization.timezone", "Mars/Olympus", r"\[organization\] timezone"),
    ("outreach.timezone", "Mars/Olympus", r"\[outreach\] timezone"),
    ("outreach.quiet_start", "8h", r"\[outreach\] quiet_start"),
    ("logging.level", "CHATTY", r"\[logging\] level"),
])
def test_times_are_parsed_at_start_and_name_the_key_and_file(tmp_path, key, value, complaint):
    section, name = key.split(".")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"[{section}]\n{name} = '{value}'\n")
    with pytest.raises(ConfigError, match=complaint) as err:
        load_config(cfg, env={})
    assert str(cfg) in str(err.value)
    env = {f"CASECHECK_{section}_{name}".upper(): value}
    with pytest.raises(ConfigError, match=complaint):
        load_config(None, env=env)


def test_parsed_times_follow_a_replaced_setting():
    config = load_config(None, env={})
    assert config.organization.hours.days == frozenset(range(5))
    later = config.replace("organization", "timezone", "Asia/Tokyo")
    assert later.organization.hours.tz.key == later.organization.zone.key == "Asia/Tokyo"
    assert config.organization.zone.key == "America/New_York"  # the original is untouched


def test_lists_and_tables_from_the_file_or_the_environment_are_read_only(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text("[dialogue]\nlocales = ['en', 'es']\n[whatsapp]\nreply_templates = "
                   "{ en = 'HX1' }\n")
    config = load_config(cfg, env={"CASECHECK_WHATSAPP_OUTREACH_TEMPLATES": "en=HX2, es=HX3"})
    assert config.dialogue.locales == ("en", "es")
    assert config.whatsapp.reply_templates == {"en": "HX1"}
    assert config.whatsapp.outreach_templates == {"en": "HX2", "es": "HX3"}
    with pytest.raises(TypeError):
        config.whatsapp.reply_templates["es"] = "HX9"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.sms.enabled = True  # type: ignore[misc]
    cfg.write_text("[dialogue]\nlocales = ['en', 3]\n")
    with pytest.raises(ConfigError, match=r"\[dialogue\] locales"):
        load_config(cfg, env={})
