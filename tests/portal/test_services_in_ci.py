"""CI runs the tests against the production services. Locally these skip when the service is not configured;
in CI (CI=true) they fail instead, so a CI run can never quietly fall back to SQLite or the filesystem broker."""

import uuid

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from portal.celery import app
from tests.conftest import require_service, tcp_reachable


@pytest.mark.django_db
def test_database_is_postgresql():
    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL=postgres://...)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_setting('server_version_num')::int")
        database, version = cursor.fetchone()
    assert database == connection.settings_dict["NAME"]
    assert version >= 130000


def test_broker_is_redis(broker_url):
    require_service(broker_url.startswith(("redis://", "rediss://")), "Redis as CELERY_BROKER_URL")
    assert str(app.conf.broker_url) == broker_url
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1)
        assert conn.transport.driver_type == "redis"


def test_cache_is_redis():
    backend = settings.CACHES["default"]["BACKEND"]
    reachable = backend.endswith("RedisCache") and tcp_reachable(settings.CACHES["default"]["LOCATION"], 6379)
    require_service(reachable, "Redis as CACHE_URL")
    key = f"ci-check-{uuid.uuid4()}"
    cache.set(key, "value", timeout=30)
    assert cache.get(key) == "value"

