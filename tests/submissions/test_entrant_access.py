"""Who reaches the entrant pages, through the views: owner and co-owners only; everyone else gets 404."""

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from submissions.models import CoOwner, Entry, Material
from tests.factories import EntryFactory, UserFactory
from tests.submissions.entrant_support import PDF_BYTES, basics_data, image_bytes, step_url, upload

GET_PAGES = [
    ("submissions:entry_overview", []),
    ("submissions:entry_step", ["basics"]),
    ("submissions:entry_step", ["details"]),
    ("submissions:entry_step", ["credits"]),
    ("submissions:entry_step", ["aigc"]),
    ("submissions:entry_step", ["materials"]),
    ("submissions:entry_step", ["declarations"]),
    ("submissions:coowners", []),
]
POST_PAGES = [
    ("submissions:entry_step", ["basics"]),
    ("submissions:entry_submit", []),
    ("submissions:entry_withdraw", []),
    ("submissions:material_upload", ["poster_vertical"]),
    ("submissions:coowners", []),
]


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def entry(unit):
    owner = UserFactory(email="owner@example.com")
    return EntryFactory(unit=unit, owner=owner, title="别人的作品", title_en="")


@pytest.fixture
def material(entry):
    from django.core.files.base import ContentFile

    return Material.objects.create(
        entry=entry, kind="entry_form", file=ContentFile(PDF_BYTES, name="form.pdf"),
        content_type="application/pdf", size=len(PDF_BYTES),
    )


def urls(entry, pages):
    return [reverse(name, args=[entry.pk, *args]) for name, args in pages]


def test_anonymous_is_sent_to_sign_in(client, entry, material):
    pages = [reverse("submissions:dashboard"), reverse("submissions:entry_create", args=[entry.competition.slug])]
    for url in pages + urls(entry, GET_PAGES):
        response = client.get(url)
        assert response.status_code == 302, url
        assert urlsplit(response["Location"]).path == reverse("account_login")
    for url in urls(entry, POST_PAGES) + [reverse("submissions:material_delete", args=[entry.pk, material.pk])]:
        response = client.post(url, {"title": "x"})
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == reverse("account_login")
    assert Entry.objects.get(pk=entry.pk).title == "别人的作品"
    assert Material.objects.filter(pk=material.pk).exists()


@pytest.mark.parametrize("who", ["charlie", "alice", "bob", "dave"])
def test_everyone_but_the_entrants_gets_404(client, entry, material, who, request):
    """Another entrant, the organizer, a judge and an organizer elsewhere: entrant pages do not exist for them."""
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in urls(entry, GET_PAGES):
        assert client.get(url).status_code == 404, url
    for url in urls(entry, POST_PAGES):
        assert client.post(url, basics_data(entry, title="篡改")).status_code == 404, url
    delete = reverse("submissions:material_delete", args=[entry.pk, material.pk])
    assert client.post(delete).status_code == 404
    entry.refresh_from_db()
    assert entry.title == "别人的作品"
    assert entry.status == "draft"
    assert Material.objects.filter(pk=material.pk).exists()
    assert not CoOwner.objects.exists()
    assert "别人的作品" not in client.get(reverse("submissions:dashboard")).content.decode()


def test_forged_and_unknown_ids_are_404(client, charlie, unit, entry, material):
    mine = EntryFactory(unit=unit, owner=charlie)
    client.force_login(charlie)
    # Someone else's material through my own entry's URL.
    assert client.post(reverse("submissions:material_delete", args=[mine.pk, material.pk])).status_code == 404
    assert Material.objects.filter(pk=material.pk).exists()
    assert client.get(reverse("submissions:entry_overview", args=[999999])).status_code == 404
    assert client.get(step_url(mine, "no-such-step")).status_code == 404
    assert client.get(step_url(mine, "story")).status_code == 404  # a finished work has no story step
    for kind in ("trailer", "episodes", "passport", "stills-7"):
        response = client.post(
            reverse("submissions:material_upload", args=[mine.pk, kind]),
            {"file": upload("p.png", image_bytes())},
        )
        assert response.status_code == 404, kind
    assert not mine.materials.exists()


def test_a_coowner_may_edit_but_not_manage_coowners(client, entry, charlie):
    CoOwner.objects.create(entry=entry, email=charlie.email, user=charlie)
    client.force_login(charlie)
    assert client.get(step_url(entry, "basics")).status_code == 200
    response = client.post(step_url(entry, "basics"), basics_data(entry, logline="合作者写的一句话"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.logline == "合作者写的一句话"

    page = client.get(reverse("submissions:coowners", args=[entry.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "owner@example.com" in html and charlie.email in html
    assert 'name="email"' not in html  # read-only for co-owners
    assert client.post(reverse("submissions:coowners", args=[entry.pk]), {"email": "x@example.com"}).status_code == 403
    coowner = CoOwner.objects.get(entry=entry)
    remove = reverse("submissions:coowner_remove", args=[entry.pk, coowner.pk])
    assert client.post(remove).status_code == 403
    assert CoOwner.objects.filter(entry=entry).count() == 1

    dashboard = client.get(reverse("submissions:dashboard")).content.decode()
    assert "别人的作品" in dashboard and "Co-owner" in dashboard


def test_the_owner_invites_and_removes_coowners(client, entry, django_capture_on_commit_callbacks):
    client.force_login(entry.owner)
    url = reverse("submissions:coowners", args=[entry.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "Friend@Example.com"})
    assert response.status_code == 302
    coowner = CoOwner.objects.get(entry=entry)
    assert coowner.email == "friend@example.com"
    assert [message.to for message in mail.outbox] == [["friend@example.com"]]

    again = client.post(url, {"email": "friend@example.com"})
    assert "friend@example.com is already a co-owner." in again.content.decode()
    bad = client.post(url, {"email": "not-an-address"})
    assert bad.status_code == 200 and "Enter a valid email address." in bad.content.decode()
    assert CoOwner.objects.filter(entry=entry).count() == 1

    other = EntryFactory(unit=entry.unit, owner=entry.owner)
    forged = reverse("submissions:coowner_remove", args=[other.pk, coowner.pk])
    assert client.post(forged).status_code == 404
    response = client.post(reverse("submissions:coowner_remove", args=[entry.pk, coowner.pk]), follow=True)
    assert "friend@example.com is no longer a co-owner." in response.content.decode()
    assert not CoOwner.objects.filter(entry=entry).exists()


def test_dashboard_shows_owned_and_coowned_entries_only(client, charlie, unit, entry):
    mine = EntryFactory(unit=unit, owner=charlie, title="我的作品", title_en="")
    shared = EntryFactory(unit=unit, title="合作的作品", title_en="")
    CoOwner.objects.create(entry=shared, email=charlie.email, user=charlie)
    client.force_login(charlie)
    html = client.get(reverse("submissions:dashboard")).content.decode()
    assert "我的作品" in html and "合作的作品" in html
    assert "别人的作品" not in html
    assert reverse("submissions:entry_overview", args=[mine.pk]) in html
