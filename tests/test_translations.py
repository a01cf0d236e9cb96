"""zh-hans must be complete: every string in the code is in the catalog, translated, and compiled."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.conftest import require_service

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ["portal", "submissions", "judging", "templates", "locale", "manage.py"]


def live_entries(path):
    return [entry for entry in polib.pofile(str(path)) if not entry.obsolete]


def test_every_catalog_entry_is_translated_and_not_fuzzy():
    entries = live_entries(PO_PATH)
    assert len(entries) > 100
    untranslated = [entry.msgid for entry in entries if not entry.translated()]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalog_matches_the_source_catalog():
    compiled = {entry.msgid: entry.msgstr for entry in polib.mofile(str(PO_PATH.with_suffix(".mo"))) if entry.msgid}
    source = {entry.msgid: entry.msgstr for entry in live_entries(PO_PATH)}
    assert compiled == source, "run `make messages` and commit locale/"


def test_the_catalog_holds_every_string_in_the_code(tmp_path):
    require_service(shutil.which("xgettext") is not None, "GNU gettext (xgettext)")
    for name in SOURCES:
        source = Path(settings.BASE_DIR) / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    extracted = {entry.msgid for entry in live_entries(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po")}
    committed = {entry.msgid for entry in live_entries(PO_PATH) if entry.translated()}
    missing = sorted(extracted - committed)
    assert missing == [], "untranslated strings; run `make messages` and translate them"


@pytest.mark.django_db
def test_pages_come_out_in_chinese_and_in_english(client, competition, unit):
    chinese = client.get(f"/c/{competition.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    english = client.get(f"/c/{competition.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "主题单元" in chinese and "Thematic units" not in chinese
    assert "Thematic units" in english and "主题单元" not in english
