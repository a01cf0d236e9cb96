"""Placeholder until implemented."""

from django.http import Http404


def awards(request, *args, **kwargs):
    raise Http404


def award_detail(request, *args, **kwargs):
    raise Http404


def award_delete(request, *args, **kwargs):
    raise Http404


def nomination_winner(request, *args, **kwargs):
    raise Http404


def nomination_delete(request, *args, **kwargs):
    raise Http404

