# Placeholder until the video pages land in this session; every view 404s.
from django.http import Http404


def _todo(*args, **kwargs):
    raise Http404


video_status = video_delete = organizer_videos = organizer_video_retry = _todo
