"""Placeholder until implemented."""

from django.http import Http404


def analytics(request, *args, **kwargs):
    raise Http404


def export(request, *args, **kwargs):
    raise Http404

