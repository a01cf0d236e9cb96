import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_no_pending_migrations():
    """Every model change has its migration: `makemigrations --check` exits non-zero otherwise."""
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit as exit_:
        pytest.fail(f"Models have changes without a migration (makemigrations --check exited {exit_.code}).")
