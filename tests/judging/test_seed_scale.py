"""`manage.py seed_scale` (judging/scale.py) at a small size: the rows the benchmark's contract promises, shaped
as the services store them, the same data for the same seed, and a refusal to overwrite an existing competition."""

from collections import Counter
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from judging import ledger
from judging.aggregation import compute_ranking
from judging.models import (
    Assignment,
    Conflict,
    ConflictSource,
    Criterion,
    Decision,
    JudgeProfile,
    NotificationStatus,
    Outcome,
    PanelMembership,
    ResultNotification,
    ResultVersion,
    Round,
    RoundEntry,
    RoundState,
    Score,
    ScoreStatus,
    VersionStatus,
)
from judging.scale import ScaleSeedRefused, seed_scale
from judging.scoring import weighted_total
from portal.models import CompetitionRole, CompetitionStatus, Role, User
from submissions.models import CoOwner, Credit, Entry, EntryStatus, Material

ENTRIES = 60
JUDGES = 12
SLUG = "scale"
DOMAIN = "scale.example.org"

pytestmark = pytest.mark.django_db


def seed(slug=SLUG, seed_value=1, **options):
    options = {"entries": ENTRIES, "judges": JUDGES, "rounds": 3, "judges_per_entry": 5, **options}
    return seed_scale(seed=seed_value, slug=slug, stdout=StringIO(), **options)


@pytest.fixture
def competition(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        competition = seed()
    competition.on_commit_callbacks = callbacks
    return competition


def rounds_of(competition):
    return list(Round.objects.filter(competition=competition).order_by("position"))


def test_accounts_and_roles(competition):
    users = User.objects.filter(email__endswith="@" + DOMAIN)
    assert users.count() == 1 + JUDGES + ENTRIES
    assert all(user.email == user.email.lower() for user in users)
    organizer = User.objects.get(email=f"organizer@{DOMAIN}")
    assert organizer.is_staff is False
    assert organizer.check_password("scale-password")
    assert User.objects.get(email=f"entrant{ENTRIES:05d}@{DOMAIN}").check_password("scale-password")
    # One hash, reused: every account has the same stored password string.
    assert set(users.values_list("password", flat=True)) == {organizer.password}
    assert set(users.values_list("emailaddress__verified", flat=True)) == {True}
    assert CompetitionRole.objects.filter(competition=competition, user=organizer, role=Role.ORGANIZER).exists()
    judges = User.objects.filter(email__startswith="judge", email__endswith="@" + DOMAIN)
    assert sorted(judges.values_list("email", flat=True)) == [f"judge{n:04d}@{DOMAIN}" for n in range(1, JUDGES + 1)]
    assert CompetitionRole.objects.filter(competition=competition, role=Role.JUDGE).count() == JUDGES
    profiles = JudgeProfile.objects.filter(user__in=judges)
    assert profiles.count() == JUDGES
    assert all(profile.affiliation_list for profile in profiles)


def test_competition_and_entries(competition):
    assert competition.status == CompetitionStatus.JUDGING
    assert not competition.is_accepting_entries()
    assert sorted(competition.tracks.values_list("kind", flat=True)) == ["story", "work"]
    assert competition.units.count() == 12

    eligible = Entry.objects.filter(competition=competition, status=EntryStatus.ELIGIBLE)
    assert eligible.count() == ENTRIES
    assert len(set(eligible.values_list("number", flat=True))) == ENTRIES
    tracks = Counter(eligible.values_list("track__kind", flat=True))
    assert tracks["work"] > tracks["story"] > 0
    assert eligible.values("unit").distinct().count() > 6
    for entry in eligible:
        assert entry.title and entry.title_en and entry.logline and entry.synopsis_en and entry.submitted_at
        assert len(entry.synopsis_en) <= 300
        assert 2 <= Credit.objects.filter(entry=entry).count() <= 4

    entrant = User.objects.get(email=f"entrant00001@{DOMAIN}")
    own = Entry.objects.filter(owner=entrant)
    assert own.count() == 11
    drafts = own.filter(status=EntryStatus.DRAFT)
    assert drafts.count() == 3
    assert set(drafts.values_list("number", flat=True)) == {""}
    assert CoOwner.objects.filter(entry__competition=competition, user__isnull=False).exists()

    posters = Material.objects.filter(entry__competition=competition, kind="poster_vertical")
    assert posters.count() == Entry.objects.filter(competition=competition).count()
    names = set(posters.values_list("file", flat=True))
    assert len(names) == 1
    with default_storage.open(names.pop()) as handle:
        assert handle.read(3) == b"\xff\xd8\xff"  # a JPEG


def test_first_round(competition):
    first = rounds_of(competition)[0]
    assert first.state() == RoundState.CLOSED
    assert RoundEntry.objects.filter(round=first).count() == ENTRIES
    per_entry = Counter(Assignment.objects.filter(round=first).values_list("entry_id", flat=True))
    assert set(per_entry.values()) == {5} and len(per_entry) == ENTRIES
    judge1 = User.objects.get(email=f"judge0001@{DOMAIN}")
    assert Assignment.objects.filter(round=first, judge=judge1).count() == min(500, ENTRIES)
    loads = Counter(Assignment.objects.filter(round=first).exclude(judge=judge1).values_list("judge_id", flat=True))
    assert max(loads.values()) - min(loads.values()) <= 2  # balanced

    conflicts = Conflict.objects.filter(competition=competition)
    assert conflicts.exists() and set(conflicts.values_list("source", flat=True)) == {ConflictSource.DETECTED}
    assert all("追光影像工作室" in conflict.basis for conflict in conflicts)
    pairs = set(conflicts.values_list("judge_id", "entry_id"))
    assert not pairs & set(Assignment.objects.filter(round=first).values_list("judge_id", "entry_id"))
    assert Assignment.objects.active().filter(round=first).count() == ENTRIES * 5

    scores = Score.objects.filter(round=first)
    assert scores.count() == ENTRIES * 5
    assert set(scores.values_list("status", flat=True)) == {ScoreStatus.SUBMITTED}
    for score in scores.select_related("rubric")[:40]:
        criteria = list(Criterion.objects.filter(rubric=score.rubric))
        values = dict(score.values.values_list("criterion_id", "value"))
        assert len(values) == len(criteria)
        assert score.total == weighted_total(criteria, values)
        assert first.opens_at <= score.submitted_at <= first.closes_at
    assert ledger.verify(competition=competition) is None


def test_first_round_result_and_shortlist(competition, client):
    first, second, _final = rounds_of(competition)
    version = ResultVersion.objects.get(round=first)
    assert version.status == VersionStatus.PUBLISHED and version.in_notice()
    assert len(version.ranking) == ENTRIES
    advanced = set(Decision.objects.filter(round=first, outcome=Outcome.ADVANCED).values_list("entry_id", flat=True))
    assert 0 < len(advanced) < ENTRIES
    assert set(RoundEntry.objects.filter(round=second).values_list("entry_id", flat=True)) == advanced
    # The result emails are recorded as sent; nothing was queued for a worker.
    assert set(ResultNotification.objects.filter(version=version).values_list("status", flat=True)) == {
        NotificationStatus.SENT
    }
    assert competition.on_commit_callbacks  # publish_version's queueing ran ...
    assert not ResultNotification.objects.filter(version=version).exclude(status=NotificationStatus.SENT).exists()

    ranking = compute_ranking(first)
    assert len(ranking.entries) == ENTRIES
    assert sorted(result.rank for result in ranking.entries) == list(range(1, ENTRIES + 1))

    response = client.get(reverse("judging:results", args=[SLUG]))
    html = response.content.decode()
    shortlisted = Entry.objects.filter(pk__in=advanced).order_by("sequence").first()
    assert shortlisted.number in html
    assert version.round.name_zh in html or version.round.name_en in html


def test_second_and_final_rounds(competition):
    first, second, final = rounds_of(competition)
    assert second.state() == RoundState.OPEN and final.state() == RoundState.UPCOMING
    assert second.closes_at > timezone.now() + timezone.timedelta(days=13)
    shortlist = RoundEntry.objects.filter(round=second).count()
    per_entry = Counter(Assignment.objects.filter(round=second).values_list("entry_id", flat=True))
    assert set(per_entry.values()) == {7} and len(per_entry) == shortlist
    judge1 = User.objects.get(email=f"judge0001@{DOMAIN}")
    assert Assignment.objects.filter(round=second, judge=judge1).count() == min(500, shortlist)
    panel = set(PanelMembership.objects.filter(round=second).values_list("judge__email", flat=True))
    assert panel == {f"judge{n:04d}@{DOMAIN}" for n in range(1, min(60, JUDGES) + 1)}
    assert PanelMembership.objects.filter(round=second, terms_accepted_at__isnull=True).count() == 0
    statuses = Counter(Score.objects.filter(round=second).values_list("status", flat=True))
    assert statuses[ScoreStatus.SUBMITTED] == round(shortlist * 7 * 0.5)
    assert statuses[ScoreStatus.DRAFT] >= 1
    assert not Score.objects.filter(round=second, status=ScoreStatus.DRAFT, total__isnull=False).exists()

    assert final.live_final and not RoundEntry.objects.filter(round=final).exists()
    assert PanelMembership.objects.filter(round=final).count() == 7
    assert ledger.verify(competition=competition) is None


def signature(competition):
    """What a seed decides, without ids, times or the slug."""
    def local(email):
        return email.split("@")[0]

    entries = [
        (sequence, status, title, title_en, unit, track, local(owner))
        for sequence, status, title, title_en, unit, track, owner in Entry.objects.filter(competition=competition)
        .order_by("pk")
        .values_list("sequence", "status", "title", "title_en", "unit__slug", "track__kind", "owner__email")
    ]
    assignments = sorted(
        (round_, sequence, local(judge))
        for round_, sequence, judge in Assignment.objects.filter(round__competition=competition).values_list(
            "round__position", "entry__sequence", "judge__email"
        )
    )
    scores = sorted(
        (round_, sequence, local(judge), status, str(total))
        for round_, sequence, judge, status, total in Score.objects.filter(round__competition=competition).values_list(
            "round__position", "entry__sequence", "judge__email", "status", "total"
        )
    )
    conflicts = sorted(
        (sequence, local(judge))
        for sequence, judge in Conflict.objects.filter(competition=competition).values_list(
            "entry__sequence", "judge__email"
        )
    )
    return entries, assignments, scores, conflicts


def test_same_seed_same_data_other_seed_other_data():
    first = signature(seed(slug="scale-a", seed_value=7))
    again = signature(seed(slug="scale-b", seed_value=7))
    other = signature(seed(slug="scale-c", seed_value=8))
    assert first == again
    assert first[0] != other[0] and first[2] != other[2]


def test_refuses_an_existing_slug_and_replaces_it_when_asked(settings):
    settings.DEBUG = True  # the command is for development (published password)
    seed(entries=20, judges=8, rounds=1)
    with pytest.raises(ScaleSeedRefused, match="already exists"):
        seed(entries=20, judges=8, rounds=1)
    with pytest.raises(CommandError, match="--replace"):
        call_command("seed_scale", "--entries", "20", "--judges", "8", "--rounds", "1", stdout=StringIO())
    out = StringIO()
    call_command(
        "seed_scale", "--entries", "30", "--judges", "8", "--rounds", "2", "--seed", "3", "--replace", stdout=out
    )
    assert "total:" in out.getvalue() and "entries 40" in out.getvalue()
    assert Entry.objects.filter(competition__slug=SLUG, status=EntryStatus.ELIGIBLE).count() == 30
    assert Round.objects.filter(competition__slug=SLUG).count() == 2
    assert User.objects.filter(email__endswith="@" + DOMAIN).count() == 1 + 8 + 30


def test_command_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_scale", "--entries", "20", "--judges", "8", stdout=StringIO())
    assert not Entry.objects.exists()


def test_one_round_publishes_the_last_result(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        competition = seed(entries=20, judges=8, rounds=1)
    competition.refresh_from_db()
    assert Round.objects.filter(competition=competition).count() == 1
    assert ResultVersion.objects.get(round__competition=competition).status == VersionStatus.PUBLISHED
    assert competition.status == CompetitionStatus.PUBLISHED  # the last round's result is out
