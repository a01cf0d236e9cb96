"""Settings of the fault tests' gunicorn: the project's, with what the test session changes in-process too."""

from portal.settings import *  # noqa: F403

# Static files are not collected for the tests; the production pages still render {% static %} links.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
STAFF_MFA_REQUIRED = False  # as tests/conftest.py's _isolated: judges reach their pages without a TOTP set-up
