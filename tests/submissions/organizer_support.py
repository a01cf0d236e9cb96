"""Helpers for the organizer page and export tests: entries in any status, without going through the entrant flow."""

from django.db.models import Max
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import TrackKind
from submissions.models import Entry, EntryStatus
from tests.factories import CreditFactory, EntryFactory, UserFactory


def english_client(user=None):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def make_entry(unit, *, status=EntryStatus.DRAFT, story=False, credits=0, submitted_at=None, **fields):
    """An entry of `unit`'s competition in `status`; entries past draft get the next entry number."""
    competition = unit.competition
    if story:
        fields["track"] = competition.tracks.get(kind=TrackKind.STORY)
    fields.setdefault("owner", UserFactory())
    if status not in (EntryStatus.DRAFT,):
        last = Entry.objects.filter(competition=competition).aggregate(last=Max("sequence"))["last"] or 0
        fields.update(
            sequence=last + 1,
            number=f"{competition.entry_prefix}-{last + 1:04d}",
            submitted_at=submitted_at or timezone.now(),
        )
    entry = EntryFactory(unit=unit, status=status, **fields)
    for position in range(credits):
        CreditFactory(entry=entry, position=position)
    return entry


def list_url(competition, query=""):
    url = reverse("submissions:organizer_entry_list", args=[competition.slug])
    return f"{url}?{query}" if query else url


def detail_url(entry, competition=None):
    competition = competition or entry.competition
    return reverse("submissions:organizer_entry_detail", args=[competition.slug, entry.pk])


def decide_url(entry, competition=None):
    competition = competition or entry.competition
    return reverse("submissions:organizer_entry_decide", args=[competition.slug, entry.pk])


def export_url(competition, kind, query=""):
    url = reverse(f"submissions:organizer_export_{kind}", args=[competition.slug])
    return f"{url}?{query}" if query else url


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content
