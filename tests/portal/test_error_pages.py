"""Error pages are styled, translated pages, never Django's technical ones."""

import pytest
from django.test import Client


@pytest.mark.django_db
def test_unknown_page_gets_the_translated_404(client):
    response = client.get("/c/no-such-competition/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html and 'href="/"' in html and "portal.css" in html


@pytest.mark.django_db
def test_chinese_404(client):
    response = client.get("/c/no-such-competition/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_csrf_failure_explains_what_to_do(charlie):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(charlie)
    response = client.post("/account/profile/", {"account-display_name": "X"})
    assert response.status_code == 403
    assert "Please try again" in response.content.decode()
    charlie.refresh_from_db()
    assert charlie.display_name == "Charlie"


def test_server_error_page_is_bilingual_and_static():
    from django.conf import settings

    html = (settings.BASE_DIR / "templates" / "500.html").read_text()
    assert "出错了" in html and "Something went wrong" in html and "{%" not in html
