"""Placeholder until implemented."""

from django.http import Http404


def results(request, *args, **kwargs):
    raise Http404


def version(request, *args, **kwargs):
    raise Http404


def winners(request, *args, **kwargs):
    raise Http404


def entry(request, *args, **kwargs):
    raise Http404


def poster(request, *args, **kwargs):
    raise Http404


def trailer(request, *args, **kwargs):
    raise Http404


def laurel(request, *args, **kwargs):
    raise Http404


def objection_create(request, *args, **kwargs):
    raise Http404


def objection_evidence(request, *args, **kwargs):
    raise Http404

