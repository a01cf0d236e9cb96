from celery import shared_task
from django.db import connection


@shared_task
def ping():
    """Prove a worker is alive and reaches the database; used by health checks and tests."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    return {"pong": True, "database": connection.vendor, "select": one}
