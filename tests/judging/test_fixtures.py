from judging.models import Assignment, Criterion


def test_fixture_assignment_is_active(assignment, bob):
    assert list(Assignment.objects.active().filter(judge=bob)) == [assignment]
    assert assignment.entry.status == "eligible" and assignment.entry.number.startswith("LCP2026-")
    assert Criterion.objects.filter(rubric__round=assignment.round).count() == 2
