"""Settings for running on several machines: the ffmpeg tasks on their own queue, PgBouncer's transaction pooling
(no server-side cursors), connection reuse. Environment switches are read by a fresh process (see test_settings)."""

import inspect

from celery import Task

from portal.celery import app
from submissions import tasks as submission_tasks
from tests.portal.test_settings import run_python, show_settings

# What the media pipeline runs with ffmpeg/PyAV; each is one stage of submissions.videos.start_pipeline's chain.
FFMPEG_TASKS = {"video_probe", "video_check", "video_thumbnails", "video_preview"}


def queue_of(name):
    return app.amqp.router.route({}, name)["queue"].name


def test_every_ffmpeg_task_goes_to_the_media_queue_and_nothing_else_does():
    names = {name for name, value in inspect.getmembers(submission_tasks) if isinstance(value, Task)}
    assert names >= FFMPEG_TASKS, "a pipeline task was renamed: update the routing in portal/settings.py"
    for name in names:
        expected = "media" if name in FFMPEG_TASKS else "default"
        assert queue_of(f"submissions.tasks.{name}") == expected, name
    # Emails, publication and the periodic tasks stay on "default", whose worker answers in seconds.
    for name in ("judging.tasks.send_result_notifications", "judging.tasks.publish_due_versions", "portal.tasks.ping"):
        assert queue_of(name) == "default", name


def test_pgbouncer_switch_disables_server_side_cursors(tmp_path):
    base = {"VAR_DIR": str(tmp_path), "DATABASE_URL": "postgres://zg:pw@pgbouncer:6432/zhuiguang"}
    default = show_settings(tmp_path, **base)["DATABASE"]
    assert default["DISABLE_SERVER_SIDE_CURSORS"] == "False"
    assert default["CONN_MAX_AGE"] == "60" and default["CONN_HEALTH_CHECKS"] == "True"
    pooled = show_settings(tmp_path, **base, DB_DISABLE_SERVER_SIDE_CURSORS="true", CONN_MAX_AGE="0")["DATABASE"]
    assert pooled["DISABLE_SERVER_SIDE_CURSORS"] == "True"
    assert pooled["CONN_MAX_AGE"] == "0"
    assert pooled["PORT"] == "6432"


def test_a_bad_pgbouncer_switch_refuses_to_start(tmp_path):
    result = run_python(["manage.py", "check"], tmp_path, VAR_DIR=str(tmp_path), DB_DISABLE_SERVER_SIDE_CURSORS="si")
    assert result.returncode != 0
    assert "DB_DISABLE_SERVER_SIDE_CURSORS must be true or false" in result.stderr
