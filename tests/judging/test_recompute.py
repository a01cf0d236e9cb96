"""`manage.py recompute_results <round> [--version N]`: reproduce a published ranking exactly, or say what differs."""

from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from judging import advancement, versions
from judging.models import AggregationMethod, CriterionScore, Score
from tests.judging.results_support import scored_competition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def published(competition, unit, alice):
    data = scored_competition(competition, unit)
    first = data["first"]
    first.aggregation_method = AggregationMethod.ZSCORE  # the version keeps its method even if the round's changes
    first.save()
    advancement.advance(round=first, actor=alice, top_k_per_unit=2)
    version = versions.prepare_version(round=first, actor=alice)
    version.notice_ends_at = timezone.now() + timedelta(days=7)
    version.save(update_fields=["notice_ends_at"])
    with mock.patch.object(versions, "queue_notifications"):
        data["version"] = versions.publish_version(version=version, actor=alice)
    return data


def run(*args):
    out = StringIO()
    call_command("recompute_results", *[str(arg) for arg in args], stdout=out)
    return out.getvalue()


def test_reproduced_exactly(published):
    first = published["first"]
    first.aggregation_method = AggregationMethod.MEAN
    first.save()
    output = run(first.pk)
    assert "version 1 (zscore)" in output
    assert "Reproduced exactly: 6 entries." in output
    assert "Reproduced exactly: 6 entries." in run(first.pk, "--version", 1)


def test_changed_score_is_reported(published):
    first, entry = published["first"], published["entries"][1]
    score = Score.objects.filter(round=first, entry=entry).order_by("pk").first()
    Score.objects.filter(pk=score.pk).update(total="100.000")
    CriterionScore.objects.filter(score=score).update(value=10)

    out = StringIO()
    with pytest.raises(CommandError, match="not reproduced"):
        call_command("recompute_results", str(first.pk), stdout=out)
    output = out.getvalue()
    assert f"Scores changed since publication: {score.pk}" in output
    line = next(line for line in output.splitlines() if line.strip().startswith(entry.number))
    assert "score" in line and "raw" in line and "->" in line
    assert "Reproduced exactly" not in output


def test_tampered_ranking_is_reported(published):
    version = published["version"]
    ranking = list(version.ranking)
    ranking[0] = {**ranking[0], "rank": 99}
    type(version).objects.filter(pk=version.pk).update(ranking=ranking)
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("recompute_results", str(published["first"].pk), stdout=out)
    assert f"{ranking[0]['number']}: rank 99 -> 1" in out.getvalue()
    assert "Scores changed" not in out.getvalue()


def test_missing_round_or_version(published, competition, unit):
    with pytest.raises(CommandError, match="no round"):
        run(999999)
    with pytest.raises(CommandError, match="no version 7"):
        run(published["first"].pk, "--version", 7)
    with pytest.raises(CommandError, match="no published result"):
        run(published["second"].pk)
