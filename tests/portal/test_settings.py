"""Settings as a fresh process sees them: each test starts Python with a clean environment.

The test process's own settings are loaded once at start-up, so everything here runs in a subprocess.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

SHOW_SETTINGS = """
import json
import django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
from portal.celery import app
default_storage = storages["default"]
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "VAR_DIR": str(settings.VAR_DIR),
    "DATABASE": {key: str(value) for key, value in settings.DATABASES["default"].items()},
    "CACHE": settings.CACHES["default"]["BACKEND"],
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "STAFF_MFA_REQUIRED": settings.STAFF_MFA_REQUIRED,
    "broker_url": app.conf.broker_url,
    "broker_transport_options": app.conf.broker_transport_options,
    "result_backend": app.conf.result_backend,
    "storage": f"{type(default_storage).__module__}.{type(default_storage).__name__}",
    "storage_options": {
        name: getattr(default_storage, name, None)
        for name in ("bucket_name", "endpoint_url", "default_acl", "querystring_auth", "querystring_expire")
    },
}))
"""


def run_python(args, tmp_path, **variables):
    """Run the project's Python with only PATH, HOME and the given variables in its environment."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **variables}
    env.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def show_settings(tmp_path, **variables):
    result = run_python(["-c", SHOW_SETTINGS], tmp_path, **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def production_variables(tmp_path):
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "zhuiguang.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "VAR_DIR": str(tmp_path / "var"),
        "SECURE_PROXY_SSL_HEADER": "true",
    }


def test_debug_off_without_secret_key_refuses_to_start(tmp_path):
    result = run_python(["manage.py", "check"], tmp_path, DEBUG="false", ALLOWED_HOSTS="zhuiguang.example.org",
                        VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_debug_off_without_allowed_hosts_refuses_to_start(tmp_path):
    result = run_python(["manage.py", "check"], tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50),
                        VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is not set" in result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path,
                        **production_variables(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_production_variables_switch_off_the_embedded_defaults(tmp_path):
    shown = show_settings(tmp_path, **production_variables(tmp_path))
    assert shown["DEBUG"] is False
    assert shown["ALLOWED_HOSTS"] == ["zhuiguang.example.org"]
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert shown["STAFF_MFA_REQUIRED"] is True


def test_no_configuration_is_the_embedded_mode(tmp_path):
    shown = show_settings(tmp_path)
    var = BASE_DIR / "var"
    assert shown["DEBUG"] is True
    assert shown["VAR_DIR"] == str(var)
    assert shown["DATABASE"]["ENGINE"] == "django.db.backends.sqlite3"
    assert shown["DATABASE"]["NAME"] == str(var / "db.sqlite3")
    assert shown["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert shown["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert shown["broker_url"] == "filesystem://"
    assert shown["result_backend"] == f"file://{var / 'celery' / 'results'}"
    assert shown["storage"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert shown["STAFF_MFA_REQUIRED"] is True


def test_var_dir_moves_database_and_celery_folders(tmp_path):
    var = tmp_path / "var"
    shown = show_settings(tmp_path, VAR_DIR=str(var))
    assert shown["DATABASE"]["NAME"] == str(var / "db.sqlite3")
    assert shown["broker_url"] == "filesystem://"
    options = shown["broker_transport_options"]
    # One queue folder for both directions, and every folder set, or kombu writes ./control in the cwd.
    assert options["data_folder_in"] == options["data_folder_out"] == str(var / "celery" / "queue")
    assert options["processed_folder"] == str(var / "celery" / "processed")
    assert options["control_folder"] == str(var / "celery" / "control")
    assert shown["result_backend"] == f"file://{var / 'celery' / 'results'}"
    for folder in ("queue", "processed", "control", "results"):
        assert (var / "celery" / folder).is_dir()


def test_redis_broker_and_cache(tmp_path):
    shown = show_settings(tmp_path, VAR_DIR=str(tmp_path), CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
                          CACHE_URL="redis://127.0.0.1:6379/1")
    assert shown["broker_url"] == "redis://127.0.0.1:6379/0"
    assert shown["result_backend"] == "redis://127.0.0.1:6379/0"
    assert shown["CACHE"] == "django.core.cache.backends.redis.RedisCache"


def test_postgres_database_url(tmp_path):
    shown = show_settings(tmp_path, VAR_DIR=str(tmp_path), DATABASE_URL="postgres://zg:pw@db:5432/zhuiguang")
    assert shown["DATABASE"]["ENGINE"] == "django.db.backends.postgresql"
    assert shown["DATABASE"]["NAME"] == "zhuiguang"
    assert shown["DATABASE"]["HOST"] == "db"


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"STORAGE_BACKEND": "s3"}, "STORAGE_BACKEND=s3 needs S3_BUCKET"),
        ({"STORAGE_BACKEND": "ftp"}, "STORAGE_BACKEND must be 'local' or 's3'"),
        ({"CACHE_URL": "memcached://localhost"}, "CACHE_URL must be a redis:// URL"),
        ({"DEBUG": "perhaps"}, "DEBUG must be true or false"),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE must be a whole number"),
        ({"DATABASE_URL": "mysql://localhost/zhuiguang"}, "DATABASE_URL scheme 'mysql' is not supported"),
    ],
)
def test_bad_configuration_refuses_to_start(tmp_path, variables, message):
    result = run_python(["manage.py", "check"], tmp_path, VAR_DIR=str(tmp_path), **variables)
    assert result.returncode != 0
    assert message in result.stderr


def test_s3_storage(tmp_path):
    shown = show_settings(
        tmp_path,
        VAR_DIR=str(tmp_path),
        STORAGE_BACKEND="s3",
        S3_BUCKET="zhuiguang-media",
        S3_ENDPOINT_URL="https://s3.example.org",
        S3_REGION="cn-north-1",
        S3_ACCESS_KEY_ID="AKIAEXAMPLE",
        S3_SECRET_ACCESS_KEY="not-a-real-secret",
        S3_URL_EXPIRE_SECONDS="300",
    )
    assert shown["storage"] == "storages.backends.s3.S3Storage"
    assert shown["storage_options"] == {
        "bucket_name": "zhuiguang-media",
        "endpoint_url": "https://s3.example.org",
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": 300,
    }


def test_collectstatic_works_with_production_variables(tmp_path):
    # The manifest storage refuses a file naming a missing one (tus.min.js names its source map): a deployment's
    # first `collectstatic` must not be where that is found.
    variables = production_variables(tmp_path)
    result = run_python(["manage.py", "collectstatic", "--noinput"], tmp_path, **variables)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads(next((tmp_path / "var").rglob("staticfiles.json")).read_text())["paths"]
    for name in ("submissions/vendor/tus.min.js", "submissions/vendor/htmx.min.js", "portal/js/countdown.js"):
        assert name in manifest and manifest[name] != name
