"""Placeholder until implemented."""

from django.http import Http404


def home(request, *args, **kwargs):
    raise Http404


def queue(request, *args, **kwargs):
    raise Http404


def entry(request, *args, **kwargs):
    raise Http404


def entry_declare_conflict(request, *args, **kwargs):
    raise Http404

