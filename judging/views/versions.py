"""The organizer's result-version pages of one round: prepare, schedule or publish a version into the public
notice (公示), answer objections, revise, finalise, and the entrants' result emails (retrying failed ones).

Every view is a staff page and finds its round through judging.access.get_round_for_organizer (404 for anyone who
does not organize the competition). Versions and objections are looked up under that round only: a forged id answers
404 and nothing changes. The work is done by judging.versions, judging.objections and judging.notifications; a
refusal (ValidationError) comes back on the page with what was typed.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, Q, When
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from judging import notifications as notification_services
from judging import objections as objection_services
from judging import versions as version_services
from judging.access import get_round_for_organizer
from judging.models import (
    NotificationStatus,
    Objection,
    ObjectionStatus,
    Outcome,
    ResultNotification,
    ResultVersion,
    VersionStatus,
)
from judging.results_forms import (
    AnswerForm,
    PrepareVersionForm,
    PublishNowForm,
    ReviseForm,
    ScheduleForm,
    publish_now_initial,
    schedule_initial,
)
from judging.views.common import messages_of
from judging.views.ranking import PAGE_SIZE, _add_errors, _label, _unit_names
from judging.views.rounds import count_of
from portal.access import staff_page

FAILED_SHOWN = 100
FAILED_STATUSES = (NotificationStatus.FAILED, NotificationStatus.GAVE_UP)


def _versions_with_counts(round):
    return (
        ResultVersion.objects.filter(round=round)
        .select_related("created_by")
        .annotate(
            objections_open=count_of(Objection.objects.filter(status=ObjectionStatus.OPEN), version="pk"),
            objections_total=count_of(Objection.objects.all(), version="pk"),
            notifications_sent=count_of(
                ResultNotification.objects.filter(status=NotificationStatus.SENT), version="pk"
            ),
            notifications_failed=count_of(ResultNotification.objects.filter(status__in=FAILED_STATUSES), version="pk"),
            notifications_total=count_of(ResultNotification.objects.all(), version="pk"),
        )
        .order_by("-number")
    )


@staff_page
def versions(request, slug, round_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    form = PrepareVersionForm(request.POST or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            version = version_services.prepare_version(
                round=round, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            errors = messages_of(error)
        else:
            messages.success(
                request,
                _("Version %(number)s of the result is ready as a draft. Check it, then schedule or publish it.")
                % {"number": version.number},
            )
            return redirect("judging:version_detail", slug=competition.slug, round_id=round.pk, version_id=version.pk)
    rows = list(_versions_with_counts(round))
    open_version = next(
        (
            version
            for version in rows
            if version.status in (VersionStatus.DRAFT, VersionStatus.SCHEDULED, VersionStatus.PUBLISHED)
        ),
        None,
    )
    with timezone.override(competition.tzinfo):
        return render(
            request,
            "judging/organizer/versions.html",
            {
                "competition": competition,
                "round": round,
                "versions": rows,
                "open_version": open_version,
                "form": form,
                "errors": errors,
                "is_open": round.is_open(),
            },
        )


def _version(round, version_id):
    versions = ResultVersion.objects.select_related("created_by", "finalised_by")
    return get_object_or_404(versions, pk=version_id, round=round)


def _version_redirect(competition, round, version, anchor=""):
    response = redirect("judging:version_detail", slug=competition.slug, round_id=round.pk, version_id=version.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@staff_page
def version_detail(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    return _render_version(request, competition, round, version)


def _render_version(request, competition, round, version, **forms):
    """The version page; `forms` are bound forms that failed (schedule, publish, revise, answer=(objection, form))."""
    with timezone.override(competition.tzinfo):
        notice_days = version_services.NOTICE_DAYS_DEFAULT
        status = version.status
        schedule_form = forms.get("schedule") or ScheduleForm(
            competition=competition, initial=schedule_initial(version, notice_days)
        )
        publish_form = forms.get("publish") or PublishNowForm(
            competition=competition, initial=publish_now_initial(version, notice_days)
        )
        revise_form = forms.get("revise") or ReviseForm()

        _errors_as_messages(request, status, forms)
        unit_names = _unit_names(competition)
        decisions = {_decision_entry_id(item): item for item in version.decisions}
        ranking_page = Paginator(version.ranking or [], PAGE_SIZE).get_page(request.GET.get("page"))
        ranking_rows = [
            {
                "row": row,
                "entry_id": _decision_entry_id(row),
                "unit": unit_names.get(row.get("unit_id") or row.get("unit")),
                "decision": decisions.get(_decision_entry_id(row)),
            }
            for row in ranking_page.object_list
        ]
        overridden = [item for item in version.decisions if item.get("overridden")]
        advanced = sum(1 for item in version.decisions if item.get("outcome") == Outcome.ADVANCED)

        # This version's objections, and any still open against an earlier version (finalising waits for them).
        objections = list(
            Objection.objects.filter(version__round=round)
            .filter(Q(version=version) | Q(version__number__lt=version.number, status=ObjectionStatus.OPEN))
            .select_related("entry", "author", "answered_by", "version")
            .order_by(Case(When(status=ObjectionStatus.OPEN, then=0), default=1), "created_at", "pk")
        )
        failed_answer = forms.get("answer")
        objection_rows = []
        for objection in objections:
            form = None
            if objection.status == ObjectionStatus.OPEN:
                if failed_answer and failed_answer[0].pk == objection.pk:
                    form = failed_answer[1]
                else:
                    form = AnswerForm(auto_id=f"answer-{objection.pk}-%s")
            objection_rows.append({"objection": objection, "form": form})
        open_objections = sum(1 for objection in objections if objection.status == ObjectionStatus.OPEN)

        notification_counts = {
            row["status"]: row["count"]
            for row in version.notifications.values("status").annotate(count=Count("pk")).order_by()
        }
        notification_summary = [
            {"status": value, "label": label, "count": notification_counts.get(value, 0)}
            for value, label in NotificationStatus.choices
        ]
        failed_count = sum(notification_counts.get(value, 0) for value in FAILED_STATUSES)
        failed = list(
            version.notifications.filter(status__in=FAILED_STATUSES)
            .select_related("entry")
            .order_by("status", "recipient", "pk")[:FAILED_SHOWN]
        )

        now = timezone.now()
        notice_over = version.notice_ends_at is not None and version.notice_ends_at <= now
        return render(
            request,
            "judging/organizer/version_detail.html",
            {
                "competition": competition,
                "round": round,
                "version": version,
                "other_versions": ResultVersion.objects.filter(round=round)
                .only("pk", "number", "status", "round_id")
                .order_by("-number"),
                "is_draft": status == VersionStatus.DRAFT,
                "is_scheduled": status == VersionStatus.SCHEDULED,
                "is_published": status == VersionStatus.PUBLISHED,
                "is_final": status == VersionStatus.FINAL,
                "is_public": version.is_public(),
                "in_notice": version.in_notice(now),
                "notice_over": notice_over,
                "can_finalise": status == VersionStatus.PUBLISHED and notice_over and not open_objections,
                "schedule_form": schedule_form,
                "publish_form": publish_form,
                "revise_form": revise_form,
                "ranking_page": ranking_page,
                "ranking_rows": ranking_rows,
                "ranked": len(version.ranking or []),
                "decision_count": len(version.decisions or []),
                "advanced": advanced,
                "overridden": overridden,
                "awards": version.awards or [],
                "objection_rows": objection_rows,
                "open_objections": open_objections,
                "notification_summary": notification_summary,
                "notification_total": sum(notification_counts.values()),
                "failed_count": failed_count,
                "failed": failed,
                "failed_more": max(0, failed_count - len(failed)),
            },
        )


def _errors_as_messages(request, status, forms):
    """A refused form that the page no longer shows (the version moved on meanwhile) reports as messages."""
    shown = {
        "schedule": status in (VersionStatus.DRAFT, VersionStatus.SCHEDULED),
        "publish": status in (VersionStatus.DRAFT, VersionStatus.SCHEDULED),
        "revise": status in (VersionStatus.PUBLISHED, VersionStatus.FINAL),
    }
    failed = [form for name, form in forms.items() if name in shown and not shown[name]]
    if forms.get("answer") and forms["answer"][0].status != ObjectionStatus.OPEN:
        failed.append(forms["answer"][1])
    for form in failed:
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)


def _decision_entry_id(item):
    for key in ("entry_id", "entry"):
        if key in item:
            return item[key]
    return None


@staff_page
@require_POST
def version_schedule(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    with timezone.override(competition.tzinfo):
        form = ScheduleForm(request.POST, competition=competition)
        if form.is_valid():
            try:
                version_services.schedule_publication(
                    version=version,
                    publish_at=form.cleaned_data["publish_at"],
                    notice_ends_at=form.cleaned_data["notice_ends_at"],
                    actor=request.user,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(number)s will be published on %(when)s.")
                    % {
                        "number": version.number,
                        "when": timezone.localtime(form.cleaned_data["publish_at"]).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return _version_redirect(competition, round, version)
    version.refresh_from_db()
    return _render_version(request, competition, round, version, schedule=form)


@staff_page
@require_POST
def version_publish(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    with timezone.override(competition.tzinfo):
        form = PublishNowForm(request.POST, competition=competition)
        if form.is_valid():
            try:
                version = _publish_now(version, form.cleaned_data["notice_ends_at"], request.user)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(number)s is published: the public notice runs until %(when)s.")
                    % {
                        "number": version.number,
                        "when": timezone.localtime(version.notice_ends_at).strftime("%Y-%m-%d %H:%M"),
                    },
                )
                return _version_redirect(competition, round, version)
    version.refresh_from_db()
    return _render_version(request, competition, round, version, publish=form)


def _publish_now(version, notice_ends_at, actor):
    """Publish at once with the notice end typed: the version is (re)scheduled for now when it has no notice end
    or another one (schedule_publication is the service that sets it), then published — in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        if version.status == VersionStatus.DRAFT or version.notice_ends_at != notice_ends_at:
            version = version_services.schedule_publication(
                version=version, publish_at=now, notice_ends_at=notice_ends_at, actor=actor
            )
        return version_services.publish_version(version=version, actor=actor, now=now)


@staff_page
@require_POST
def version_revise(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    form = ReviseForm(request.POST)
    if form.is_valid():
        try:
            revised = version_services.revise_version(
                version=version, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Version %(number)s is a new draft. Version %(previous)s stays public until the new one is "
                    "published."
                )
                % {"number": revised.number, "previous": version.number},
            )
            return _version_redirect(competition, round, revised)
    return _render_version(request, competition, round, version, revise=form)


@staff_page
@require_POST
def version_finalise(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    try:
        version_services.finalise_version(version=version, actor=request.user)
    except ValidationError as error:
        for text in messages_of(error):
            messages.error(request, text)
    else:
        messages.success(request, _("Version %(number)s is final.") % {"number": version.number})
    return _version_redirect(competition, round, version)


@staff_page
@require_POST
def notifications_retry(request, slug, round_id, version_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    version = _version(round, version_id)
    try:
        count = notification_services.retry_failed_notifications(version=version, actor=request.user)
    except ValidationError as error:
        for text in messages_of(error):
            messages.error(request, text)
    else:
        if count:
            messages.success(
                request,
                ngettext("%(count)s failed email is queued again.", "%(count)s failed emails are queued again.", count)
                % {"count": count},
            )
        else:
            messages.info(request, _("No email had failed; nothing was queued."))
    return _version_redirect(competition, round, version, anchor="notifications")


@staff_page
@require_POST
def objection_answer(request, slug, round_id, objection_id):
    competition, round = get_round_for_organizer(request.user, slug, round_id)
    objection = get_object_or_404(
        Objection.objects.select_related("version", "entry"), pk=objection_id, version__round=round
    )
    version = objection.version
    form = AnswerForm(request.POST, auto_id=f"answer-{objection.pk}-%s")
    if form.is_valid():
        try:
            objection_services.answer_objection(
                objection=objection, actor=request.user, upheld=form.upheld, answer=form.cleaned_data["answer"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if form.upheld:
                text = _(
                    "The objection against %(entry)s is upheld and its author has been told. To change the result, "
                    "override the decision or the award, then revise the version."
                )
            else:
                text = _("The objection against %(entry)s is rejected and its author has been told.")
            messages.success(request, text % {"entry": _label(objection.entry)})
            return _version_redirect(competition, round, version, anchor="objections")
    objection.refresh_from_db()
    return _render_version(request, competition, round, version, answer=(objection, form))
