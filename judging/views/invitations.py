"""Placeholder until implemented."""

from django.http import Http404


def accept(request, *args, **kwargs):
    raise Http404


def judge_profile(request, *args, **kwargs):
    raise Http404


def declaration_delete(request, *args, **kwargs):
    raise Http404
