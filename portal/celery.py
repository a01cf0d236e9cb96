import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# kombu's filesystem transport expects its folders to exist.
for folder in (app.conf.broker_transport_options or {}).values():
    if isinstance(folder, str):
        Path(folder).mkdir(parents=True, exist_ok=True)
if str(app.conf.result_backend or "").startswith("file://"):
    Path(app.conf.result_backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
