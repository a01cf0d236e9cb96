from datetime import timedelta

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from portal.models import Competition, CompetitionRole, CompetitionStatus, Role, Track, TrackKind, Unit, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    display_name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        # Accounts made by tests have a verified address unless asked otherwise, as after sign-up.
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)
        if create:
            self.save()


class CompetitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Competition
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"competition-{n}")
    name_zh = factory.Sequence(lambda n: f"追光计划 {n}")
    name_en = factory.Sequence(lambda n: f"Light-Chasing {n}")
    edition_year = 2026
    entry_prefix = "LCP2026"
    timezone = "Asia/Shanghai"
    status = CompetitionStatus.OPEN
    submission_opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    submission_closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))

    @factory.post_generation
    def with_tracks(self, create, extracted, **kwargs):
        if create and extracted is not False:
            Track.objects.create(competition=self, kind=TrackKind.WORK, name_zh="好作品", name_en="Finished work")
            Track.objects.create(competition=self, kind=TrackKind.STORY, name_zh="好故事", name_en="Story")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    competition = factory.SubFactory(CompetitionFactory)
    slug = factory.Sequence(lambda n: f"unit-{n}")
    name_zh = factory.Sequence(lambda n: f"单元 {n}")
    name_en = factory.Sequence(lambda n: f"Unit {n}")
    position = factory.Sequence(lambda n: n)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompetitionRole

    competition = factory.SubFactory(CompetitionFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ORGANIZER


class EntryFactory(factory.django.DjangoModelFactory):
    """A draft entry in the finished-work track of a unit; pass `track=` for a story."""

    class Meta:
        model = "submissions.Entry"

    unit = factory.SubFactory(UnitFactory)
    competition = factory.SelfAttribute("unit.competition")
    track = factory.LazyAttribute(lambda o: o.competition.tracks.get(kind=TrackKind.WORK))
    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"追光之作 {n}")
    title_en = factory.Sequence(lambda n: f"Chasing Light {n}")


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "submissions.Credit"

    entry = factory.SubFactory(EntryFactory)
    role = "director"
    name = factory.Faker("name")


def complete_entry(entry, materials=True):
    """Fill every field, credit, declaration and file material the entry's track requires (not videos)."""
    from django.core.files.base import ContentFile

    from submissions.models import Credit, Material

    entry.logline = "一句话讲清故事"
    entry.synopsis = "短梗概"
    entry.genres = ["drama"]
    entry.languages = ["zh"]
    entry.subtitle_languages = ["zh-en"]
    entry.country = "中国"
    entry.completion_date = timezone.now().date()
    entry.episode_count = 10
    entry.episode_runtime_seconds = 120
    entry.outline = "大纲"
    entry.episode_plan = "分集梗概"
    entry.aigc_used = False
    now = timezone.now()
    entry.declared_originality_at = entry.declared_rights_at = entry.declared_terms_at = now
    entry.terms_version = entry.competition.terms_version
    entry.save()
    role = "screenwriter" if entry.track.kind == TrackKind.STORY else "director"
    Credit.objects.create(entry=entry, role=role, name="林导演")
    if materials:
        for kind in entry.track.required_materials:
            if kind in ("trailer", "episodes"):
                continue
            Material.objects.create(
                entry=entry, kind=kind, file=ContentFile(b"%PDF-1.4\n%%EOF", name=f"{kind}.pdf"),
                content_type="application/pdf", size=14,
            )
    return entry


# --- Judging ------------------------------------------------------------------------------------------------


class RoundFactory(factory.django.DjangoModelFactory):
    """An open round (scoring window around now) of a competition, 3 judges per entry, blind."""

    class Meta:
        model = "judging.Round"

    competition = factory.SubFactory(CompetitionFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = "preliminary"
    name_zh = "初评"
    name_en = "Preliminary round"
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=14))


class RubricFactory(factory.django.DjangoModelFactory):
    """A rubric with two criteria: `story` (weight 60) and `craft` (weight 40), 0–10 in steps of 0.5."""

    class Meta:
        model = "judging.Rubric"
        skip_postgeneration_save = True

    round = factory.SubFactory(RoundFactory)
    track = factory.LazyAttribute(lambda o: o.round.competition.tracks.get(kind=TrackKind.WORK))

    @factory.post_generation
    def criteria(self, create, extracted, **kwargs):
        from judging.models import Criterion

        if not create or extracted is False:
            return
        Criterion.objects.create(rubric=self, position=1, key="story", name_zh="故事", name_en="Story", weight=60)
        Criterion.objects.create(
            rubric=self, position=2, key="craft", name_zh="制作", name_en="Craft", weight=40, comment_required=True
        )


class PanelMembershipFactory(factory.django.DjangoModelFactory):
    """A judge on a round's panel who has accepted the judging terms (and holds the judge role)."""

    class Meta:
        model = "judging.PanelMembership"
        skip_postgeneration_save = True

    round = factory.SubFactory(RoundFactory)
    judge = factory.SubFactory(UserFactory)
    terms_accepted_at = factory.LazyFunction(timezone.now)
    terms_version = "1"

    @factory.post_generation
    def with_role(self, create, extracted, **kwargs):
        if create and extracted is not False:
            CompetitionRole.objects.get_or_create(competition=self.round.competition, user=self.judge, role=Role.JUDGE)


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "judging.Assignment"

    round = factory.SubFactory(RoundFactory)
    entry = factory.SubFactory(EntryFactory, unit__competition=factory.SelfAttribute("...round.competition"))
    judge = factory.SubFactory(UserFactory)
    method = "manual"


def eligible_entry(unit, **kwargs):
    """A complete, submitted and eligible entry of the unit (no status emails or events: made directly)."""
    from submissions.models import EntryCounter

    entry = complete_entry(EntryFactory(unit=unit, **kwargs))
    counter, _ = EntryCounter.objects.get_or_create(competition=unit.competition)
    counter.last_sequence += 1
    counter.save()
    entry.sequence = counter.last_sequence
    entry.number = f"{unit.competition.entry_prefix}-{counter.last_sequence:04d}"
    entry.status = "eligible"
    entry.submitted_at = timezone.now()
    entry.save()
    return entry


def submitted_score(*, round, entry, judge, values, comment="", comments=None):
    """A submitted Score with its criterion values, made directly (no ledger row, no window or watch checks).

    `values` maps criterion key -> number for the round's current rubric of the entry's track; the total is
    computed as the portal does (judging.scoring.weighted_total)."""
    from decimal import Decimal

    from judging.models import CriterionScore, Score
    from judging.scoring import weighted_total

    rubric = round.rubrics.filter(track=entry.track).order_by("-version").first()
    criteria = list(rubric.criteria.all())
    by_id = {criterion.pk: Decimal(str(values[criterion.key])) for criterion in criteria}
    score = Score.objects.create(
        round=round, entry=entry, judge=judge, rubric=rubric, status="submitted", comment=comment,
        total=weighted_total(criteria, by_id), submitted_at=timezone.now(),
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(score=score, criterion=criterion, value=by_id[criterion.pk],
                       comment=(comments or {}).get(criterion.key, ""))
        for criterion in criteria
    )
    return score
