"""Placeholder until implemented."""

from django.http import Http404


def conflicts(request, *args, **kwargs):
    raise Http404


def conflicts_detect(request, *args, **kwargs):
    raise Http404


def conflict_waive(request, *args, **kwargs):
    raise Http404


def conflict_unwaive(request, *args, **kwargs):
    raise Http404


def panel(request, *args, **kwargs):
    raise Http404


def panel_drop(request, *args, **kwargs):
    raise Http404


def panel_expertise(request, *args, **kwargs):
    raise Http404


def invitation_revoke(request, *args, **kwargs):
    raise Http404


def invitation_resend(request, *args, **kwargs):
    raise Http404

