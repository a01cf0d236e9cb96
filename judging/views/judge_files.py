"""Placeholder until implemented."""

from django.http import Http404


def material(request, *args, **kwargs):
    raise Http404


def material_thumbnail(request, *args, **kwargs):
    raise Http404


def video_preview(request, *args, **kwargs):
    raise Http404


def video_poster(request, *args, **kwargs):
    raise Http404


def watch(request, *args, **kwargs):
    raise Http404

