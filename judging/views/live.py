"""Placeholder until implemented."""

from django.http import Http404


def judge_live(request, *args, **kwargs):
    raise Http404


def live_console(request, *args, **kwargs):
    raise Http404


def live_status(request, *args, **kwargs):
    raise Http404


def live_select(request, *args, **kwargs):
    raise Http404


def live_reveal(request, *args, **kwargs):
    raise Http404

