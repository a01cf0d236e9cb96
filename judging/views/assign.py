"""Placeholder until implemented."""

from django.http import Http404


def assignments(request, *args, **kwargs):
    raise Http404


def assign_auto(request, *args, **kwargs):
    raise Http404


def assign_add(request, *args, **kwargs):
    raise Http404


def assign_remove(request, *args, **kwargs):
    raise Http404


def progress(request, *args, **kwargs):
    raise Http404


def remind(request, *args, **kwargs):
    raise Http404

