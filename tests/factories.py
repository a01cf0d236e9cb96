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
