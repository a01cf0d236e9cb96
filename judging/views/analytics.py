"""The organizer's analytics of a round (score distributions as inline SVG, disagreements, judge severity) and its
exports (scores, ranking, judge progress as CSV or XLSX).

Staff pages found through judging.access.get_round_for_organizer: anyone but an organizer of the competition gets
404 (judges of the round included), anonymous visitors are sent to sign in.
"""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from judging import analytics as charts
from judging import exports
from judging.access import get_round_for_organizer
from judging.models import Score, ScoreStatus
from portal.access import staff_page


@staff_page
def analytics(request, slug, round_id):
    from judging.aggregation import cached_ranking

    competition, round = get_round_for_organizer(request.user, slug, round_id)
    judges = charts.judge_distribution(round)
    criteria = charts.criterion_distribution(round)
    histograms = [
        {
            "row": row,
            "svg": charts.svg_histogram(row, title=_("Scores of %(criterion)s") % {"criterion": row["name"]}),
        }
        for row in criteria
    ]
    ranking = cached_ranking(round) if judges else None
    disagreements = []
    severity = []
    if ranking is not None:
        disagreements = sorted(
            (result for result in ranking.entries if result.disagreement),
            key=lambda result: (-result.spread, -result.stdev, result.number),
        )
        severity = sorted(ranking.judges, key=lambda judge: (-abs(judge.severity), judge.name.lower()))
    return render(
        request,
        "judging/organizer/analytics.html",
        {
            "competition": competition,
            "round": round,
            "judges": judges,
            "boxplots": charts.svg_boxplots(judges, title=_("Weighted totals per judge (0–100)")),
            "histograms": histograms,
            "ranking": ranking,
            "disagreements": disagreements,
            "severity": severity,
            "drafts": Score.objects.filter(round=round, status=ScoreStatus.DRAFT).count(),
            "exports": [
                {"what": "scores", "label": _("Scores")},
                {"what": "ranking", "label": _("Ranking")},
                {"what": "progress", "label": _("Judge progress")},
            ],
        },
    )


@staff_page
def export(request, slug, round_id, what, fmt):
    _competition, round = get_round_for_organizer(request.user, slug, round_id)
    if what not in exports.EXPORTS or fmt not in exports.FORMATS:
        raise Http404
    return exports.EXPORTS[what](round, fmt)
