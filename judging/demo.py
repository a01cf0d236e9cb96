"""Demo judging for the demo competition that `seed_demo` creates (connected to portal.demo.demo_seeded).

It runs after the demo entries (submissions connects its receiver first: signal receivers run in the order they
were connected, and submissions comes before judging in INSTALLED_APPS). It makes the three default rounds with
the preliminary round open now and holding the eligible demo entries; puts judge1..judge5 on its panel (terms
accepted, unit expertise, affiliations; judge5 once worked for a demo entrant's studio, so the conflicts page
shows a detected conflict); assigns with seed 1; and saves scores for judge1 and judge2 through the ordinary
scoring service (some submitted, some drafts), so the ledger, progress and coverage pages show something.
Everything comes from random.Random(SEED), so every seeding gives the same demo. Nobody is emailed.
"""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from judging import assignment, rubrics, scoring, services
from judging.invitations import INVITATION_DAYS, JUDGING_TERMS_VERSION
from judging.models import Assignment, Invitation, JudgeProfile, PanelMembership, Round
from portal.demo import DEMO_JUDGES
from portal.models import User
from portal.services import get_profile

SEED = 2026
ASSIGNMENT_SEED = 1
# judge5 worked for this studio, which the owner of a demo entry belongs to: a detected conflict.
CONFLICT_ORGANISATION = "追光青年影像工作室"
PENDING_INVITATION = "judge6@example.com"

# Per demo judge: (unit slugs of expertise, affiliations one per line, short bio).
JUDGE_PROFILES = [
    (
        ["street-life", "beijing", "silver-years"],
        "北京电影学院\n北京人民艺术剧院",
        "编剧、导演，长期关注城市生活题材。/ Writer-director of city-life stories.",
    ),
    (
        ["chinese-culture", "history", "international"],
        "中国传媒大学\n国家京剧院",
        "戏剧学者，研究传统文化的影像表达。/ Theatre scholar; traditional culture on screen.",
    ),
    (
        ["sci-tech", "aigc", "mystery"],
        "清华大学新闻与传播学院",
        "新媒体研究者，关注 AIGC 创作。/ New-media researcher focusing on AIGC.",
    ),
    (
        ["youth", "rural-revival", "brand-stories"],
        "中央广播电视总台",
        "制片人，出品多部网络微短剧。/ Producer of several online micro-dramas.",
    ),
    (
        ["mystery", "street-life", "international"],
        f"{CONFLICT_ORGANISATION}\n上海戏剧学院",
        "剪辑指导、摄影指导。/ Supervising editor and cinematographer.",
    ),
]

# What judge1 and judge2 do with their first assignments, in entry-number order.
SCORE_PLAN = [
    ["submitted", "draft"],
    ["submitted", "submitted", "draft"],
]

OVERALL_COMMENTS = [
    "立意清晰，人物有温度，节奏还可以更紧凑。/ Clear idea and warm characters; the pacing could be tighter.",
    "题材新颖，结尾稍显仓促。/ A fresh subject; the ending feels rushed.",
    "视听完成度高，情感落点准确。/ Polished sound and image; the emotional beats land.",
    "故事扎实，但前两集铺垫偏长。/ A solid story, though the first two episodes take long to set up.",
]
CRITERION_COMMENTS = [
    "表演自然，镜头语言克制。/ Natural acting, restrained camera work.",
    "主题表达积极，细节真实。/ A positive theme with truthful detail.",
    "AIGC 的使用有新意，与叙事结合得好。/ Inventive use of AIGC, well woven into the story.",
    "剪辑节奏可再打磨。/ The editing rhythm needs more polish.",
]


def seed_demo_judging(sender, *, competition, organizer=None, judges=(), **kwargs):
    """demo_seeded receiver: add the demo judging once (the competition already having rounds means done)."""
    if Round.objects.filter(competition=competition).exists():
        return []
    rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    now = timezone.now()
    judges = list(judges) or _demo_judges()

    rounds = services.create_default_rounds(competition=competition, actor=organizer)
    first = rounds[0]
    # The preliminary round is open now in the demo, whatever the submission deadline says.
    first.opens_at = (now - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    first.closes_at = (now + timedelta(days=14)).replace(hour=15, minute=59, second=0, microsecond=0)
    first.save(update_fields=["opens_at", "closes_at"])
    services.populate_round(round=first, actor=organizer)

    _link_entrant_to_studio(first)
    _seat_panel(first, judges, organizer, now)
    assignment.auto_assign(round=first, actor=organizer, seed=ASSIGNMENT_SEED)
    for judge, plan in zip(judges, SCORE_PLAN, strict=False):
        _score(first, judge, plan, rng)
    return rounds


def _demo_judges():
    by_email = {user.email: user for user in User.objects.filter(email__in=DEMO_JUDGES)}
    return [by_email[email] for email in DEMO_JUDGES if email in by_email]


def _link_entrant_to_studio(round):
    """The owner of the round's first entry works at CONFLICT_ORGANISATION (unless they gave another one)."""
    first_entry = round.round_entries.select_related("entry__owner").order_by("entry__sequence", "entry_id").first()
    if first_entry is None:
        return
    profile = get_profile(first_entry.entry.owner)
    if not profile.organisation:
        profile.organisation = CONFLICT_ORGANISATION
        profile.save(update_fields=["organisation"])


def _seat_panel(round, judges, organizer, now):
    """Each demo judge accepted an invitation two days ago; one more invitation is still pending."""
    units = {unit.slug: unit for unit in round.competition.units.all()}
    for number, (judge, (slugs, affiliations, bio)) in enumerate(zip(judges, JUDGE_PROFILES, strict=False)):
        accepted_at = now - timedelta(days=2, hours=number * 3)
        Invitation.objects.create(
            round=round,
            email=judge.email,
            invited_by=organizer,
            expires_at=accepted_at + timedelta(days=INVITATION_DAYS),
            sent_at=accepted_at - timedelta(days=1),
            accepted_at=accepted_at,
            accepted_by=judge,
        )
        JudgeProfile.objects.update_or_create(user=judge, defaults={"affiliations": affiliations, "bio": bio})
        membership, _created = PanelMembership.objects.get_or_create(
            round=round,
            judge=judge,
            defaults={"terms_accepted_at": accepted_at, "terms_version": JUDGING_TERMS_VERSION},
        )
        membership.expertise.set([units[slug] for slug in slugs if slug in units])
    Invitation.objects.create(
        round=round,
        email=PENDING_INVITATION,
        invited_by=organizer,
        sent_at=now - timedelta(hours=20),
        expires_at=now + timedelta(days=INVITATION_DAYS - 1),
    )


def _score(round, judge, plan, rng):
    """Scores for the judge's first assignments: submitted ones complete (watched first where the round asks),
    drafts with a value left open."""
    assignments = (
        Assignment.objects.active()
        .filter(round=round, judge=judge)
        .select_related("round__competition", "entry__track")
        .order_by("entry__sequence", "entry_id")
    )
    for item, status in zip(assignments, plan, strict=False):
        submit = status == "submitted"
        rubric = rubrics.current_rubric(round, item.entry.track)
        criteria = list(rubric.criteria.all())
        values = {}
        for index, criterion in enumerate(criteria):
            value = _value(criterion, rng)
            if not submit and index == len(criteria) - 1:
                value = None  # a draft still missing its last value
            comment = rng.choice(CRITERION_COMMENTS) if criterion.comment_required or rng.random() < 0.3 else ""
            values[criterion.pk] = scoring.CriterionInput(value=value, comment=comment)
        if submit:
            for video, _share in scoring.watch_shortfall(judge=judge, round=round, entry=item.entry):
                duration = float(video.probe.get("duration") or 0)
                if duration:
                    scoring.record_watch(judge=judge, video=video, start=0, end=duration)
        scoring.save_score(assignment=item, values=values, comment=rng.choice(OVERALL_COMMENTS), submit=submit)


def _value(criterion, rng):
    """A value on the criterion's step, mostly in the upper middle of its range."""
    steps = int((criterion.max_score - criterion.min_score) / criterion.step)
    chosen = rng.randint(int(steps * 0.45), int(steps * 0.9))
    return (criterion.min_score + criterion.step * chosen).quantize(Decimal("0.01"))
