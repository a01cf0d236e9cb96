"""The judge's page for one assigned entry: the work (videos with the judge's watched share, posters, stills,
the script), the score form, and declaring a conflict with the entry. Saving goes through judging.scoring.

Both views are staff pages and reach the entry only through judging.access, which answers 404 to anyone not on
the panel, not assigned, or conflicted. The page is blind when the round is: it never shows who made the work
(see _entry_context for what it does show).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from judging import conflicts, rubrics, scoring
from judging.access import get_assignment_for_judge
from judging.forms import (
    ACTION_SUBMIT_NEXT,
    ConflictDeclarationForm,
    ScoreForm,
    comment_field_name,
    value_field_name,
)
from judging.models import DeclarationKind, RoundState, Score, ScoreStatus, WatchProgress
from judging.views.judge import _window, next_unscored
from judging.views.judge_files import JUDGE_MATERIAL_KINDS
from portal.access import staff_page
from portal.models import MaterialKind
from submissions.models import AIGCPart, Genre, SpokenLanguage, SubtitleLanguage, ThumbnailStatus, VideoStatus
from submissions.videos import slot_label
from submissions.views.videos import format_duration


def _closed_note(round):
    """'Scoring closed on …' / 'Scoring opens on …', in the competition's timezone."""
    competition = round.competition
    if round.state() == RoundState.CLOSED:
        when = date_format(timezone.localtime(round.closes_at, competition.tzinfo), "Y-m-d H:i")
        return _("Scoring closed on %(date)s (%(timezone)s). Your score can no longer be changed.") % {
            "date": when,
            "timezone": competition.timezone,
        }
    when = date_format(timezone.localtime(round.opens_at, competition.tzinfo), "Y-m-d H:i")
    return _("Scoring opens on %(date)s (%(timezone)s). You can look at the entry until then.") % {
        "date": when,
        "timezone": competition.timezone,
    }


def _labels(codes, choices):
    labels = dict(choices)
    return [str(labels.get(code, code)) for code in codes] if isinstance(codes, list) else []


def _own_score(assignment):
    return (
        Score.objects.filter(round=assignment.round, entry=assignment.entry, judge=assignment.judge)
        .prefetch_related("values__criterion")
        .first()
    )


def _initial(score, criteria):
    """The form's starting values from the saved score; values follow their criterion by key across versions."""
    if score is None:
        return {"version": 0}  # "no score yet": a score saved meanwhile in another tab is then noticed
    saved = {value.criterion.key: value for value in score.values.all()}
    initial = {"comment": score.comment, "version": score.version}
    for criterion in criteria:
        value = saved.get(criterion.key)
        if value is not None:
            initial[value_field_name(criterion)] = "" if value.value is None else _plain_number(value.value)
            initial[comment_field_name(criterion)] = value.comment
    return initial


def _plain_number(value):
    """Decimal('7.50') -> '7.5', Decimal('8.00') -> '8': what a number input shows."""
    return format(value.normalize(), "f")


def _criterion_rows(form, criteria):
    rows = []
    for criterion in criteria:
        value_field = form[value_field_name(criterion)]
        comment_field = form[comment_field_name(criterion)]
        rows.append(
            {
                "criterion": criterion,
                "value_field": value_field,
                "comment_field": comment_field,
                "value": value_field.value() or "",
                "comment": comment_field.value() or "",
                "min": _plain_number(criterion.min_score),
                "max": _plain_number(criterion.max_score),
                "step": _plain_number(criterion.step),
                "weight": _plain_number(criterion.weight),
            }
        )
    return rows


def _videos(assignment):
    """The entry's playable previews (trailer, full length, episodes) with the judge's watched share of each."""
    entry = assignment.entry
    order = {"trailer": 0, "full": 1}
    videos = sorted(
        entry.videos.filter(status=VideoStatus.READY).exclude(preview=""),
        key=lambda video: (order.get(video.slot, 2), video.episode or 0, video.slot),
    )
    shares = {
        progress.video_id: progress.share
        for progress in WatchProgress.objects.filter(judge=assignment.judge, video__in=[video.pk for video in videos])
    }
    short = {
        video.pk
        for video, _share in scoring.watch_shortfall(judge=assignment.judge, round=assignment.round, entry=entry)
    }
    args = [assignment.round_id, entry.pk]
    for video in videos:
        video.label = slot_label(video.slot)
        video.preview_url = reverse("judging:entry_video_preview", args=[*args, video.pk])
        video.poster_url = reverse("judging:entry_video_poster", args=[*args, video.pk]) if video.poster.name else ""
        video.watch_url = reverse("judging:watch", args=[*args, video.pk])
        video.duration = format_duration(video.probe.get("duration") if isinstance(video.probe, dict) else None)
        video.watched_percent = int(100 * shares.get(video.pk, 0.0) + 1e-9)  # floored, as in scoring's messages
        # Trailers never count towards the required share; nor does a video whose length is unknown.
        video.counts = video.slot != "trailer"
        video.short = video.pk in short
    return videos


def _materials(assignment):
    materials = list(assignment.entry.materials.filter(kind__in=JUDGE_MATERIAL_KINDS).order_by("kind", "created_at"))
    args = [assignment.round_id, assignment.entry_id]
    for material in materials:
        material.url = reverse("judging:entry_material", args=[*args, material.pk])
        ready = material.thumbnail_status == ThumbnailStatus.READY and material.thumbnail.name
        material.thumbnail_url = reverse("judging:entry_material_thumbnail", args=[*args, material.pk]) if ready else ""
        material.format = "PDF" if material.content_type == "application/pdf" else "DOCX"
    return {
        "posters": [m for m in materials if m.kind in (MaterialKind.POSTER_VERTICAL, MaterialKind.POSTER_HORIZONTAL)],
        "stills": [m for m in materials if m.kind == MaterialKind.STILLS],
        "scripts": [m for m in materials if m.kind == MaterialKind.SCRIPT],
    }


def _entry_context(request, assignment, criteria, score, form, *, read_only, closed_note=""):
    """Everything the entry page shows. Blind rounds: the work only. Never the entry form, the rights letter,
    original file names or the uploader; credits and the owner's display name only when the round is not blind."""
    round = assignment.round
    entry = assignment.entry
    context = {
        "round": round,
        "assignment": assignment,
        "entry": entry,
        "window": _window(round),
        "score": score,
        "form": form,
        "rows": _criterion_rows(form, criteria),
        "read_only": read_only,
        "closed_note": closed_note,
        "videos": _videos(assignment),
        "required_share": round.required_watch_share,
        "genres": _labels(entry.genres, Genre.choices),
        "languages": _labels(entry.languages, SpokenLanguage.choices),
        "subtitle_languages": _labels(entry.subtitle_languages, SubtitleLanguage.choices),
        "aigc_parts": _labels(entry.aigc_parts, AIGCPart.choices),
        "episode_runtime": format_duration(entry.episode_runtime_seconds),
        "total_runtime": format_duration(entry.total_runtime_seconds),
        "peer_scores": scoring.peer_scores(assignment=assignment),
        "conflict_form": ConflictDeclarationForm(),
        "credits": [] if round.blind else list(entry.credits.all()),
        "owner_name": "" if round.blind else entry.owner.display_name,
        "queue_url": reverse("judging:queue", args=[round.pk]),
    }
    context.update(_materials(assignment))
    return context


def _render_entry(request, assignment, criteria, score, form, *, read_only=False, status=200):
    round = assignment.round
    closed_note = ""
    if not round.is_open():
        read_only = True
        closed_note = _closed_note(round)
    context = _entry_context(request, assignment, criteria, score, form, read_only=read_only, closed_note=closed_note)
    with timezone.override(round.competition.tzinfo):
        response = render(request, "judging/judge/entry.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    return response


def _field_for_error(key, form, criteria):
    """Which form field an error from save_score belongs to: its keys are criterion ids (the value), optionally
    with a comment suffix, "comment" (the overall comment); anything else is shown above the form."""
    key = str(key)
    for criterion in criteria:
        pk = str(criterion.pk)
        if key in (pk, f"c{pk}", f"{pk}_value", f"c{pk}_value", f"criterion_{pk}"):
            return value_field_name(criterion)
        if key in (f"{pk}_comment", f"c{pk}_comment", f"comment_{pk}", f"{pk}-comment", f"criterion_{pk}_comment"):
            return comment_field_name(criterion)
    return "comment" if key == "comment" else None


def _add_service_errors(form, error, criteria):
    if hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            field = _field_for_error(key, form, criteria)
            for message in errors:
                for text in message.messages:
                    form.add_error(field, text)
    else:
        for text in error.messages:
            form.add_error(None, text)


def _shortfall_message(round, shortfall):
    names = ", ".join(
        _("%(video)s (%(share)s %%)") % {"video": slot_label(video.slot), "share": round_percent(share)}
        for video, share in shortfall
    )
    return _(
        "Watch at least %(required)s %% of every episode before you submit. Still short of it: %(videos)s. "
        "Your score was saved as a draft; submit it once you have watched."
    ) % {"required": round.required_watch_share, "videos": names}


def round_percent(share):
    """Floored, as judging.scoring words it: 79.9 % watched is not 80 %."""
    return int(100 * (share or 0) + 1e-9)


@staff_page
@require_http_methods(["GET", "HEAD", "POST"])
def entry(request, round_id, entry_id):
    assignment = get_assignment_for_judge(request.user, round_id, entry_id)
    round = assignment.round
    rubric = rubrics.current_rubric(round, assignment.entry.track)
    criteria = list(rubric.criteria.all())
    score = _own_score(assignment)
    if request.method != "POST":
        form = ScoreForm(initial=_initial(score, criteria), criteria=criteria)
        return _render_entry(request, assignment, criteria, score, form)

    form = ScoreForm(request.POST, criteria=criteria)
    if not round.is_open():
        # Also for a POST made directly, without the (read-only) form: nothing is saved.
        messages.error(request, _closed_note(round))
        return _render_entry(request, assignment, criteria, score, form, read_only=True)
    if not form.is_valid():
        return _render_entry(request, assignment, criteria, score, form)

    data = form.cleaned_data
    values = {
        criterion_id: scoring.CriterionInput(value=value, comment=comment)
        for criterion_id, (value, comment) in data["values"].items()
    }
    submit = form.submit
    seen_version = data.get("version")
    shortfall = []
    if submit and (score is None or score.status != ScoreStatus.SUBMITTED):
        # Short of the required watch share: what was typed is saved as a draft, and the submit is refused.
        # (save_score alone refuses the whole save; a score already submitted stays submitted and the refusal
        # comes from save_score, with the typed values kept on the page.)
        shortfall = scoring.watch_shortfall(judge=request.user, round=round, entry=assignment.entry)
    try:
        saved = scoring.save_score(
            assignment=assignment,
            values=values,
            comment=data.get("comment", ""),
            submit=submit and not shortfall,
            expected_version=seen_version,
        )
    except scoring.ScoreRefused as refusal:
        messages.error(request, str(refusal))
        return _render_entry(request, assignment, criteria, _own_score(assignment), form, read_only=True)
    except ValidationError as error:
        _add_service_errors(form, error, criteria)
        current = _own_score(assignment)
        if current is not None and current.version != seen_version:
            # Saved elsewhere (another tab) meanwhile: the typed values stay on the page; saving again replaces
            # the other version on purpose, so the form now carries the current version.
            form.data = form.data.copy()
            form.data["version"] = str(current.version)
        return _render_entry(request, assignment, criteria, current, form)

    if shortfall:
        messages.warning(request, _shortfall_message(round, shortfall))
        return redirect("judging:entry", round_id=round.pk, entry_id=assignment.entry_id)
    number = assignment.entry.number
    if saved.status == ScoreStatus.SUBMITTED:
        messages.success(request, _("Your score for %(entry)s is submitted.") % {"entry": number})
    else:
        messages.success(request, _("Your draft for %(entry)s is saved.") % {"entry": number})
    if data["action"] == ACTION_SUBMIT_NEXT and saved.status == ScoreStatus.SUBMITTED:
        following = next_unscored(round, request.user, after=assignment)
        if following is None:
            messages.info(request, _("That was the last entry in your queue without a submitted score."))
            return redirect("judging:queue", round_id=round.pk)
        return redirect("judging:entry", round_id=round.pk, entry_id=following)
    return redirect("judging:entry", round_id=round.pk, entry_id=assignment.entry_id)


@staff_page
@require_POST
def entry_declare_conflict(request, round_id, entry_id):
    assignment = get_assignment_for_judge(request.user, round_id, entry_id)
    form = ConflictDeclarationForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("judging:entry", round_id=assignment.round_id, entry_id=assignment.entry_id)
    try:
        conflicts.declare_conflict(
            competition=assignment.round.competition,
            judge=request.user,
            kind=DeclarationKind.ENTRY,
            entry=assignment.entry,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("judging:entry", round_id=assignment.round_id, entry_id=assignment.entry_id)
    messages.success(
        request,
        _("You declared a conflict with %(entry)s. It has left your queue, and the organizers can see why.")
        % {"entry": assignment.entry.number},
    )
    return redirect("judging:queue", round_id=assignment.round_id)
