"""Access to entries in one place: views get entries only through these helpers, which 404 outsiders."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from portal.access import get_competition_for_organizer
from submissions.models import Entry, Material, VideoFile

ENTRY_RELATED = ("competition", "track", "unit", "owner")


def get_entry_for_entrant(user, entry_id) -> Entry:
    """An entry the user owns or co-owns. Anyone else, organizers included, gets 404 on entrant pages."""
    return get_object_or_404(Entry.objects.editable_by(user).select_related(*ENTRY_RELATED), pk=entry_id)


def get_entry_for_organizer(user, slug, entry_id):
    competition = get_competition_for_organizer(user, slug)
    entry = get_object_or_404(
        Entry.objects.filter(competition=competition).select_related(*ENTRY_RELATED), pk=entry_id
    )
    return competition, entry


def get_material_for_user(user, material_id) -> Material:
    """A material file of an entry the user may see (entrants of the entry, its competition's organizers)."""
    material = get_object_or_404(Material.objects.select_related("entry__competition"), pk=material_id)
    if not user.has_perm("submissions.view_entry", material.entry):
        raise Http404
    return material


def get_video_for_user(user, video_id) -> VideoFile:
    """A video of an entry the user may see (entrants of the entry, its competition's organizers)."""
    video = get_object_or_404(VideoFile.objects.select_related("entry__competition"), pk=video_id)
    if not user.has_perm("submissions.view_entry", video.entry):
        raise Http404
    return video
