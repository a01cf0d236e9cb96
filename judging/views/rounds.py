"""Placeholder until implemented."""

from django.http import Http404


def round_list(request, *args, **kwargs):
    raise Http404


def round_create(request, *args, **kwargs):
    raise Http404


def rounds_create_defaults(request, *args, **kwargs):
    raise Http404


def ledger(request, *args, **kwargs):
    raise Http404


def round_detail(request, *args, **kwargs):
    raise Http404


def round_edit(request, *args, **kwargs):
    raise Http404


def round_entries(request, *args, **kwargs):
    raise Http404


def round_populate(request, *args, **kwargs):
    raise Http404


def round_entry_remove(request, *args, **kwargs):
    raise Http404


def rubric_edit(request, *args, **kwargs):
    raise Http404

