"""`make bench-pipeline`: the video pipeline's wall time on a 3-minute 1080x1920 episode against bare ffmpeg.

The episode (25 fps, H.264 at phone-like quality with a keyframe every 2 s, stereo AAC) is made once with the
ffmpeg binary's test sources and kept under var/bench. Each run then:

1. times the pipeline: the four stage functions (probe, check, thumbnails, preview) called in this process on a
   VideoFile in a scratch database, as a worker would run them, storage moves and database writes included;
2. times the bare ffmpeg commands the pipeline runs: the same analysis pass (ebur128 + blackdetect +
   silencedetect) and the same preview transcode, with the same arguments, straight from a shell-like call.

It reports pipeline / bare in wall time (target <= 1.15; the median of the runs) and in CPU time (steadier on a
busy machine), and writes the figures to var/bench/pipeline.json.
Usage: .venv/bin/python bench/pipeline_bench.py [--runs N] [--seconds S] [--output PATH]
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
TARGET_RATIO = 1.15


def make_episode(path, seconds):
    """A 1080x1920 25 fps episode: a moving test pattern with a little grain, a tone under pink noise."""
    import imageio_ffmpeg

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.mp4")
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=1080x1920:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:duration={seconds}",
        "-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.05:sample_rate=48000:duration={seconds}",
        "-filter_complex", "[0:v]noise=alls=3:allf=t,format=yuv420p[v];[1:a][2:a]amix=inputs=2,volume=0.5[a]",
        "-map", "[v]", "-map", "[a]",
        # About 10 Mb/s, as a phone or an editor's H.264 export of this size would be.
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "21", "-maxrate", "10M", "-bufsize", "20M", "-g", "50",
        "-profile:v", "high",
        "-c:a", "aac", "-b:a", "192k", "-ac", "2", "-movflags", "+faststart", str(partial),
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True)  # noqa: S603 - fixed arguments
    partial.rename(path)
    print(f"made {path.relative_to(BASE_DIR)} in {time.perf_counter() - started:.0f} s")


def setup_django(scratch):
    """Django on a scratch SQLite database and media folder, so the bench touches nothing of yours."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch / 'bench.sqlite3'}"
    os.environ["VAR_DIR"] = str(scratch / "var")
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(BASE_DIR))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_video(source):
    """A VideoFile for a copy of the episode in storage, as the tus endpoint leaves it (not timed)."""
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from portal.models import Competition, Track, Unit, User
    from submissions.materials import random_name
    from submissions.models import Entry, VideoFile

    competition = Competition.objects.first()
    if competition is None:
        now = timezone.now()
        competition = Competition.objects.create(
            slug="bench", name_zh="基准", name_en="Bench", edition_year=2026, entry_prefix="BENCH",
            submission_opens_at=now, submission_closes_at=now + timedelta(days=30),
        )
        Track.objects.create(competition=competition, kind="work", name_zh="好作品")
        Unit.objects.create(competition=competition, slug="bench", name_zh="单元")
        User.objects.create_user("bench@example.com", "bench-password-unused")
    entry = Entry.objects.create(
        competition=competition, track=competition.tracks.get(kind="work"), unit=competition.units.get(),
        owner=User.objects.get(), title="基准", episode_count=1,
    )
    name = default_storage.get_available_name(random_name("videos", "mp4"))
    target = Path(default_storage.path(name))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return VideoFile.objects.create(
        entry=entry, slot="episode-1", episode=1, file=name, size=target.stat().st_size, stage_started_at=timezone.now()
    )


def cpu_seconds():
    """CPU time (user + system) used so far by this process and by its finished children (the ffmpeg runs)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def time_pipeline(source):
    from submissions import pipeline
    from submissions.models import VideoFile

    video = make_video(source)
    stages = {}
    cpu = cpu_seconds()
    started = time.perf_counter()
    for stage in (pipeline.probe_stage, pipeline.check_stage, pipeline.thumbnails_stage, pipeline.preview_stage):
        began = time.perf_counter()
        result = stage(video.pk)
        stages[stage.__name__] = round(time.perf_counter() - began, 3)
        assert result == "done", (stage.__name__, result)
    total = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    video = VideoFile.objects.get(pk=video.pk)
    assert video.status == "ready", (video.status, video.error)
    return round(total, 3), round(cpu, 3), stages, video


def time_bare(source, info, scratch):
    """The same two ffmpeg commands, run bare: no Python around them but the call itself."""
    from submissions import media

    out = scratch / "bare-preview.mp4"
    commands = {
        "analysis": media.analysis_arguments(source, has_audio=info["has_audio"], info=info),
        "transcode": media.preview_arguments(source, out, info=info),
    }
    times = {}
    cpu = cpu_seconds()
    for name, arguments in commands.items():
        command = [media.ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", *arguments]
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        times[name] = round(time.perf_counter() - began, 3)
    cpu = cpu_seconds() - cpu
    out.unlink()
    return round(sum(times.values()), 3), round(cpu, 3), times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1, help="pipeline and bare runs, alternated (default 1)")
    parser.add_argument("--seconds", type=int, default=180, help="length of the episode (default 180)")
    parser.add_argument("--output", default=str(BENCH_DIR / "pipeline.json"))
    args = parser.parse_args()

    source = BENCH_DIR / f"episode-{args.seconds}s-1080x1920-25fps.mp4"
    if not source.exists():
        make_episode(source, args.seconds)
    scratch = Path(tempfile.mkdtemp(prefix="pipeline-bench-", dir=BENCH_DIR))
    try:
        setup_django(scratch)
        from submissions import media

        info = media.probe(source)
        print(
            f"episode: {info['display_width']}x{info['display_height']}, {info['fps']:g} fps, "
            f"{info['duration']:.0f} s, {info['size'] / 1e6:.0f} MB, {info['video_codec']}/{info['audio_codec']}"
        )
        runs = []
        for number in range(1, args.runs + 1):
            # Alternate which goes first, so neither always gets the warmer page cache.
            order = ("bare", "pipeline") if number % 2 else ("pipeline", "bare")
            run = {}
            for which in order:
                if which == "bare":
                    run["bare_seconds"], run["bare_cpu_seconds"], run["bare_commands"] = time_bare(
                        source, info, scratch
                    )
                else:
                    run["pipeline_seconds"], run["pipeline_cpu_seconds"], run["stages"], video = time_pipeline(
                        source
                    )
                    preview = media.probe(scratch / "media" / video.preview.name)
                    run["preview"] = {
                        "width": preview["display_width"], "height": preview["display_height"],
                        "codecs": f"{preview['video_codec']}/{preview['audio_codec']}", "bytes": preview["size"],
                        "bit_rate": preview["bit_rate"], "qc_level": video.qc_level,
                    }
            run["ratio"] = round(run["pipeline_seconds"] / run["bare_seconds"], 3)
            run["cpu_ratio"] = round(run["pipeline_cpu_seconds"] / run["bare_cpu_seconds"], 3)
            runs.append(run)
            print(
                f"run {number}: pipeline {run['pipeline_seconds']:.1f} s {run['stages']} | "
                f"bare ffmpeg {run['bare_seconds']:.1f} s {run['bare_commands']} | wall ratio {run['ratio']:.3f}, "
                f"CPU ratio {run['cpu_ratio']:.3f} "
                f"({run['pipeline_cpu_seconds']:.1f} / {run['bare_cpu_seconds']:.1f} s)"
            )
        ratio = round(statistics.median(run["ratio"] for run in runs), 3)
        cpu_ratio = round(statistics.median(run["cpu_ratio"] for run in runs), 3)
        result = {
            "benchmark": "video pipeline vs the bare ffmpeg commands it runs",
            "episode": {key: info[key] for key in (
                "display_width", "display_height", "fps", "duration", "size", "video_codec", "audio_codec",
                "bit_rate",
            )},
            "runs": runs,
            "pipeline_seconds": statistics.median(run["pipeline_seconds"] for run in runs),
            "bare_seconds": statistics.median(run["bare_seconds"] for run in runs),
            "ratio": ratio,
            # CPU time is what the pipeline adds in work; unlike wall time it hardly moves when the machine is busy.
            "cpu_ratio": cpu_ratio,
            "load_average_at_end": os.getloadavg(),
            "target_ratio": TARGET_RATIO,
            "meets_target": ratio <= TARGET_RATIO,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
            "ffmpeg": subprocess.run(  # noqa: S603
                [media.ffmpeg_exe(), "-version"], capture_output=True, text=True, check=True
            ).stdout.splitlines()[0],
        }
        output = Path(args.output)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(result, indent=2) + "\n")
        verdict = "meets" if result["meets_target"] else "MISSES"
        print(
            f"pipeline / bare ffmpeg = {ratio:.3f} wall time, median of {len(runs)} ({verdict} the target of "
            f"{TARGET_RATIO}); {cpu_ratio:.3f} in CPU time; wrote {output}"
        )
        if os.getloadavg()[0] > (os.cpu_count() or 1):
            print("note: the machine was busy with other work; wall times are noisy (see the CPU ratio)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
