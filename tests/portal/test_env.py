"""The typed environment readers that settings use for every variable."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str, parse_database_url

BASE = Path("/srv/zhuiguang")


def test_env_str_default_and_value(monkeypatch):
    monkeypatch.delenv("ZG_TEST_STR", raising=False)
    assert env_str("ZG_TEST_STR") == ""
    assert env_str("ZG_TEST_STR", "fallback") == "fallback"
    monkeypatch.setenv("ZG_TEST_STR", "value")
    assert env_str("ZG_TEST_STR", "fallback") == "value"


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "True", "yes", "on", " on "])
def test_env_bool_true_words(monkeypatch, raw):
    monkeypatch.setenv("ZG_TEST_BOOL", raw)
    assert env_bool("ZG_TEST_BOOL", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_false_words(monkeypatch, raw):
    monkeypatch.setenv("ZG_TEST_BOOL", raw)
    assert env_bool("ZG_TEST_BOOL", True) is False


def test_env_bool_unset_uses_default(monkeypatch):
    monkeypatch.delenv("ZG_TEST_BOOL", raising=False)
    assert env_bool("ZG_TEST_BOOL", True) is True
    assert env_bool("ZG_TEST_BOOL", False) is False


@pytest.mark.parametrize("raw", ["maybe", "2", "ture", "y"])
def test_env_bool_rejects_other_words(monkeypatch, raw):
    monkeypatch.setenv("ZG_TEST_BOOL", raw)
    with pytest.raises(ImproperlyConfigured, match="ZG_TEST_BOOL must be true or false"):
        env_bool("ZG_TEST_BOOL", False)


def test_env_int(monkeypatch):
    monkeypatch.delenv("ZG_TEST_INT", raising=False)
    assert env_int("ZG_TEST_INT", 60) == 60
    monkeypatch.setenv("ZG_TEST_INT", "")
    assert env_int("ZG_TEST_INT", 60) == 60
    monkeypatch.setenv("ZG_TEST_INT", "0")
    assert env_int("ZG_TEST_INT", 60) == 0
    monkeypatch.setenv("ZG_TEST_INT", " 31536000 ")
    assert env_int("ZG_TEST_INT", 60) == 31536000


@pytest.mark.parametrize("raw", ["sixty", "1.5", "10s"])
def test_env_int_rejects_non_numbers(monkeypatch, raw):
    monkeypatch.setenv("ZG_TEST_INT", raw)
    with pytest.raises(ImproperlyConfigured, match="ZG_TEST_INT must be a whole number"):
        env_int("ZG_TEST_INT", 60)


def test_env_list(monkeypatch):
    monkeypatch.delenv("ZG_TEST_LIST", raising=False)
    assert env_list("ZG_TEST_LIST") == []
    assert env_list("ZG_TEST_LIST", ("localhost",)) == ["localhost"]
    monkeypatch.setenv("ZG_TEST_LIST", "a.example.org, b.example.org,,  ")
    assert env_list("ZG_TEST_LIST", ("localhost",)) == ["a.example.org", "b.example.org"]
    monkeypatch.setenv("ZG_TEST_LIST", "")
    assert env_list("ZG_TEST_LIST", ("localhost",)) == []


def test_postgres_url():
    url = "postgres://zhuiguang:s%40cret@db.example.org:5433/zhuiguang?sslmode=require"
    db = parse_database_url(url, base_dir=BASE)
    assert db == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "zhuiguang",
        "USER": "zhuiguang",
        "PASSWORD": "s@cret",
        "HOST": "db.example.org",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
    }


@pytest.mark.parametrize("scheme", ["postgresql", "pgsql", "POSTGRES"])
def test_postgres_url_aliases_and_defaults(scheme):
    db = parse_database_url(f"{scheme}://localhost/zhuiguang", base_dir=BASE)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"], db["OPTIONS"]) == (
        "zhuiguang", "", "", "localhost", "", {}
    )


def test_postgres_url_needs_database_name():
    with pytest.raises(ImproperlyConfigured, match="must name the database"):
        parse_database_url("postgres://user@localhost/", base_dir=BASE)


def test_sqlite_relative_path_is_under_base_dir():
    db = parse_database_url("sqlite:///var/db.sqlite3", base_dir=BASE)
    assert db == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/zhuiguang/var/db.sqlite3"}


def test_sqlite_absolute_path():
    db = parse_database_url("sqlite:////data/zhuiguang/db.sqlite3", base_dir=BASE)
    assert db == {"ENGINE": "django.db.backends.sqlite3", "NAME": "/data/zhuiguang/db.sqlite3"}


def test_sqlite_needs_a_path():
    with pytest.raises(ImproperlyConfigured, match="needs a file path"):
        parse_database_url("sqlite://", base_dir=BASE)


@pytest.mark.parametrize("url", ["mysql://user@localhost/zhuiguang", "redis://localhost/0", "zhuiguang.sqlite3"])
def test_unsupported_scheme(url):
    with pytest.raises(ImproperlyConfigured, match="is not supported"):
        parse_database_url(url, base_dir=BASE)
