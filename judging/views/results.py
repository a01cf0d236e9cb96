"""Placeholder until implemented."""

from django.http import Http404


def ranking(request, *args, **kwargs):
    raise Http404


def advance(request, *args, **kwargs):
    raise Http404


def decision_override(request, *args, **kwargs):
    raise Http404


def versions(request, *args, **kwargs):
    raise Http404


def version_detail(request, *args, **kwargs):
    raise Http404


def version_schedule(request, *args, **kwargs):
    raise Http404


def version_publish(request, *args, **kwargs):
    raise Http404


def version_revise(request, *args, **kwargs):
    raise Http404


def version_finalise(request, *args, **kwargs):
    raise Http404


def notifications_retry(request, *args, **kwargs):
    raise Http404


def objection_answer(request, *args, **kwargs):
    raise Http404

