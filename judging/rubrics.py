"""Rubrics: the default criteria of each track (with their guidance in both languages), validation of
criteria, and the actions that read, edit and version a round's rubric per track. Editing is allowed until the
first score freezes a rubric; afterwards new_rubric_version adds a version and existing scores keep theirs.
Every change writes the score ledger (judging.ledger); a new version is also logged in portal's ActionLog.

Errors a user can fix are raised as django.core.exceptions.ValidationError with translated messages.
"""

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, Max, OuterRef, Subquery
from django.utils.translation import gettext as _

from judging import ledger
from judging.models import Criterion, LedgerKind, Round, Rubric, Score
from portal.models import LoggedAction, Track, TrackKind
from portal.services import log_action

CRITERION_TEXT_FIELDS = (
    "name_zh",
    "name_en",
    "guidance_low_zh",
    "guidance_low_en",
    "guidance_mid_zh",
    "guidance_mid_en",
    "guidance_high_zh",
    "guidance_high_en",
)
CRITERION_NUMBER_FIELDS = ("weight", "min_score", "max_score", "step")
# The largest value each decimal field holds (max_digits - decimal_places digits before the point).
CRITERION_NUMBER_LIMITS = {
    "weight": Decimal("1000"),
    "min_score": Decimal("1000"),
    "max_score": Decimal("1000"),
    "step": Decimal("100"),
}
KEY_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
CENT = Decimal("0.01")


def _c(key, name_zh, name_en, weight, low, mid, high, comment_required=False):
    return {
        "key": key,
        "name_zh": name_zh,
        "name_en": name_en,
        "guidance_low_zh": low[0],
        "guidance_low_en": low[1],
        "guidance_mid_zh": mid[0],
        "guidance_mid_en": mid[1],
        "guidance_high_zh": high[0],
        "guidance_high_en": high[1],
        "weight": Decimal(weight),
        "min_score": Decimal("0"),
        "max_score": Decimal("10"),
        "step": Decimal("0.5"),
        "comment_required": comment_required,
    }


# Guidance says what a 2, a 5 and an 8 look like (out of 10). Stored data in both languages, not UI strings.
WORK_CRITERIA = (
    (
        "social_value",
        "思想性",
        "Social value",
        "30",
        (
            "约2分：价值导向模糊或有偏差，主题浅薄，脱离现实生活，或传递不良观念。",
            "About 2: values unclear or questionable; a shallow theme, detached from real life, or a harmful message.",
        ),
        (
            "约5分：主题积极、立意清楚，但表达常规，对现实的观照停留在表面。",
            "About 5: a positive, clear theme, but handled conventionally; it touches real life only on the surface.",
        ),
        (
            "约8分：立意深刻、导向正确，以小切口折射时代与人情，引发共鸣与思考而不说教。",
            "About 8: a deep, sound theme that reflects the times and people through a small, concrete story; "
            "moving and thought-provoking without preaching.",
        ),
    ),
    (
        "artistic_depth",
        "艺术性",
        "Artistic depth",
        "30",
        (
            "约2分：叙事混乱或拖沓，人物单薄，情节依赖套路与巧合，缺少情感层次。",
            "About 2: muddled or slack storytelling, thin characters, a plot running on clichés and coincidence, "
            "little emotional range.",
        ),
        (
            "约5分：故事完整，节奏基本合适，人物有辨识度，但表现手法较为常见。",
            "About 5: a complete story with workable pacing and recognisable characters, told in familiar ways.",
        ),
        (
            "约8分：结构精巧、节奏紧凑，人物立体可信，视听语言有个性，短时长内完成情感递进并留下记忆点。",
            "About 8: tight structure and pacing, rounded and believable characters, a distinctive audiovisual voice; "
            "builds emotion and memorable moments within a short running time.",
        ),
    ),
    (
        "production_quality",
        "制作水准",
        "Production quality",
        "25",
        (
            "约2分：画面、声音或剪辑有明显技术缺陷（失焦、杂音、穿帮、字幕错误），表演生硬。",
            "About 2: obvious flaws in picture, sound or editing (focus, noise, continuity, subtitle errors); "
            "stiff acting.",
        ),
        (
            "约5分：技术规范达标，摄影、录音、剪辑、表演合格，竖屏构图基本适配，无明显失误。",
            "About 5: technically sound; competent camera, sound, editing and acting; framing suits the vertical "
            "screen; no obvious mistakes.",
        ),
        (
            "约8分：摄影、美术、声音、剪辑与表演俱佳，竖屏视听语言运用娴熟，完成度达到专业播出水准。",
            "About 8: excellent camera, design, sound, editing and acting; confident use of the vertical frame; "
            "finished to a professional broadcast standard.",
        ),
    ),
    (
        "innovation",
        "创新性",
        "Innovation (incl. use of AIGC)",
        "15",
        (
            "约2分：题材与形式照搬常见模式；如使用AIGC，只是简单拼贴或留下明显瑕疵。",
            "About 2: subject and form copy common formulas; AIGC, if used, is a gimmick or leaves visible artefacts.",
        ),
        (
            "约5分：在题材、叙事或技术某一方面有新意；AIGC等新技术运用合理，但提升有限。",
            "About 5: fresh in one respect (subject, storytelling or technique); AIGC or other new tools are used "
            "sensibly but add little.",
        ),
        (
            "约8分：在题材、形式或技术上有突破，拓展了微短剧的表达可能；AIGC等新技术与创作深度融合、服务表达。",
            "About 8: breaks new ground in subject, form or technique; AIGC or other new tools are woven into the "
            "work and serve what it says.",
        ),
    ),
)

STORY_CRITERIA = (
    (
        "story_theme",
        "故事与主题",
        "Story and theme",
        "30",
        (
            "约2分：主题模糊或导向有偏差，故事核心不清，无法用一句话说明。",
            "About 2: a vague theme or questionable values; the core of the story is unclear and cannot be told "
            "in one sentence.",
        ),
        (
            "约5分：主题积极，故事核心清楚，但切入角度常见，现实意义一般。",
            "About 5: a positive theme and a clear core, but an ordinary angle and modest relevance.",
        ),
        (
            "约8分：主题鲜明深刻、以小见大，故事核心有力、易于传播，兼具现实意义与情感共鸣。",
            "About 8: a strong, deep theme seen through a small story; a compelling core that is easy to pitch, "
            "relevant and emotionally resonant.",
        ),
    ),
    (
        "characters",
        "人物塑造",
        "Characters",
        "25",
        (
            "约2分：人物扁平、动机不清，行为只为推动情节而非出于性格。",
            "About 2: flat characters with unclear motives who act for the plot's sake, not their own.",
        ),
        (
            "约5分：主要人物有目标和特点，但成长弧线与人物关系还不够丰富。",
            "About 5: the main characters have goals and traits, but their arcs and relationships stay thin.",
        ),
        (
            "约8分：人物鲜活立体，动机可信，成长弧线清晰，人物关系令人难忘。",
            "About 8: vivid, rounded characters with believable motives, clear arcs and memorable relationships.",
        ),
    ),
    (
        "structure_pacing",
        "结构与节奏",
        "Structure and pacing",
        "25",
        (
            "约2分：结构松散，开篇没有钩子，分集节奏拖沓或失衡，结尾草率。",
            "About 2: loose structure, no hook at the start, slack or uneven episodes, a rushed ending.",
        ),
        (
            "约5分：结构完整，每集有基本的冲突与悬念，但节奏起伏不够。",
            "About 5: a complete structure; each episode has some conflict and suspense, but little rise and fall.",
        ),
        (
            "约8分：开篇即抓人，每集都有冲突和钩子，张弛有度，符合微短剧分集逻辑，可拍性强。",
            "About 8: grips from the first minute; every episode has conflict and a hook; well-judged pacing for "
            "micro-drama episodes; clearly filmable.",
        ),
    ),
    (
        "originality",
        "原创性",
        "Originality",
        "20",
        (
            "约2分：情节与设定和已有作品高度雷同，依赖常见套路。",
            "About 2: plot and premise closely resemble existing works and rely on common formulas.",
        ),
        (
            "约5分：在熟悉的类型中有一定新意，如独特的设定、视角或细节。",
            "About 5: some freshness within a familiar genre: an unusual premise, viewpoint or detail.",
        ),
        (
            "约8分：构思独特、视角新颖，题材或讲述方式令人耳目一新，个人风格鲜明。",
            "About 8: a distinctive idea and fresh viewpoint; new in subject or telling, with a clear personal voice.",
        ),
    ),
)


def default_criteria(track_kind) -> list[dict]:
    """The demo rubric (../shared/domain.md): social value 30, artistic depth 30, production quality 25,
    innovation 15, 0–10 in steps of 0.5, with guidance for 2, 5 and 8; a story-track variant for scripts.
    Each dict has the Criterion field names (key, name_zh, name_en, guidance_*_zh/en, weight, min_score,
    max_score, step, comment_required)."""
    rows = STORY_CRITERIA if str(track_kind) == TrackKind.STORY else WORK_CRITERIA
    return [_c(*row) for row in rows]


def _number(value) -> str:
    """A Decimal as plain text without trailing zeros or exponent: 30.00 -> "30", 0.50 -> "0.5"."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def criteria_content(criteria) -> list[dict]:
    """Criteria (models or cleaned dicts) as ledger content: every field, numbers as text."""
    rows = []
    for criterion in criteria:
        get = criterion.get if isinstance(criterion, dict) else lambda name, c=criterion: getattr(c, name)
        row = {"key": get("key"), "comment_required": bool(get("comment_required"))}
        row.update({name: get(name) or "" for name in CRITERION_TEXT_FIELDS})
        row.update({name: _number(get(name)) for name in CRITERION_NUMBER_FIELDS})
        rows.append(row)
    return rows


def _label(index, data):
    name = str(data.get("name_zh") or data.get("name_en") or "").strip()
    return name or _("Criterion %(number)s") % {"number": index}


def _clean_criteria(criteria) -> list[dict]:
    """Validated, normalised copies of the criteria dicts; ValidationError listing every problem."""
    if not criteria:
        raise ValidationError(_("A rubric needs at least one criterion."), code="empty")
    errors = []
    cleaned = []
    keys = set()
    for index, data in enumerate(criteria, start=1):
        label = _label(index, data)
        row = {"position": index}
        key = str(data.get("key") or "").strip()
        if not key or not KEY_PATTERN.match(key) or len(key) > 40:
            errors.append(
                _("%(name)s: give a key of at most 40 letters, digits, hyphens or underscores, e.g. social_value.")
                % {"name": label}
            )
        elif key in keys:
            errors.append(
                _("The key “%(key)s” is used by two criteria: each criterion needs its own key.") % {"key": key}
            )
        keys.add(key)
        row["key"] = key
        for name in CRITERION_TEXT_FIELDS:
            text = str(data.get(name) or "").strip()
            limit = Criterion._meta.get_field(name).max_length
            if len(text) > limit:
                errors.append(
                    _("%(name)s: “%(field)s” is too long (at most %(max)s characters).")
                    % {"name": label, "field": Criterion._meta.get_field(name).verbose_name, "max": limit}
                )
            row[name] = text
        if not (row["name_zh"] or row["name_en"]):
            errors.append(_("%(name)s: give the criterion a name.") % {"name": label})
        row["comment_required"] = bool(data.get("comment_required"))
        numbers_ok = True
        for name in CRITERION_NUMBER_FIELDS:
            field_label = Criterion._meta.get_field(name).verbose_name
            raw = data.get(name, Criterion._meta.get_field(name).default)
            try:
                number = Decimal(str(raw).strip())
            except (InvalidOperation, ValueError, TypeError):
                number = None
            if number is None or not number.is_finite():
                errors.append(_("%(name)s: “%(field)s” must be a number.") % {"name": label, "field": field_label})
                numbers_ok = False
                continue
            limit = CRITERION_NUMBER_LIMITS[name]
            if abs(number) >= limit or number != number.quantize(CENT):
                errors.append(
                    _("%(name)s: “%(field)s” must be below %(limit)s with at most two decimal places.")
                    % {"name": label, "field": field_label, "limit": limit}
                )
                numbers_ok = False
                continue
            row[name] = number.quantize(CENT)
        if numbers_ok:
            if row["weight"] <= 0:
                errors.append(_("%(name)s: the weight must be above zero.") % {"name": label})
            if row["min_score"] < 0:
                errors.append(_("%(name)s: the lowest score cannot be below zero.") % {"name": label})
            if row["max_score"] <= row["min_score"]:
                errors.append(_("%(name)s: the highest score must be above the lowest.") % {"name": label})
            elif row["step"] <= 0:
                errors.append(_("%(name)s: the step must be above zero.") % {"name": label})
            elif (row["max_score"] - row["min_score"]) % row["step"] != 0:
                errors.append(
                    _("%(name)s: the range from %(min)s to %(max)s must be a whole number of steps of %(step)s.")
                    % {
                        "name": label,
                        "min": _number(row["min_score"]),
                        "max": _number(row["max_score"]),
                        "step": _number(row["step"]),
                    }
                )
        cleaned.append(row)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _rubric_ledger(*, rubric, kind, actor, criteria, extra=None):
    content = {
        "round": rubric.round_id,
        "track": rubric.track.kind,
        "rubric": rubric.pk,
        "version": rubric.version,
        "criteria": criteria_content(criteria),
    }
    content.update(extra or {})
    ledger.append(competition=rubric.round.competition_id, kind=kind, actor=actor, content=content)


def _create_rubric(*, round, track, version, actor, criteria, kind=LedgerKind.RUBRIC_CHANGED, extra=None) -> Rubric:
    rubric = Rubric.objects.create(round=round, track=track, version=version, created_by=actor)
    Criterion.objects.bulk_create([Criterion(rubric=rubric, **row) for row in criteria])
    _rubric_ledger(rubric=rubric, kind=kind, actor=actor, criteria=criteria, extra=extra)
    return rubric


def create_default_rubric(*, round, track, actor) -> Rubric:
    """Version 1 of the round's rubric for the track, with the track's default criteria (ledger RUBRIC_CHANGED).
    Used by judging.services.create_round and by current_rubric for a track that has none."""
    return _create_rubric(
        round=round, track=track, version=1, actor=actor, criteria=_clean_criteria(default_criteria(track.kind))
    )


def current_rubric(round, track) -> Rubric:
    """The highest version of the round's rubric for the track (created from the defaults if missing)."""
    rubric = Rubric.objects.filter(round=round, track=track).order_by("-version").first()
    if rubric is not None:
        return rubric
    try:
        with transaction.atomic():
            return create_default_rubric(round=round, track=track, actor=None)
    except IntegrityError:  # made by a parallel request in the meantime
        return Rubric.objects.filter(round=round, track=track).order_by("-version").first()


def current_rubrics(round) -> dict:
    """{track_id: Rubric with criteria prefetched} for every track of the competition; two queries."""
    newer = Rubric.objects.filter(round=OuterRef("round"), track=OuterRef("track"), version__gt=OuterRef("version"))
    track_count = (
        Track.objects.filter(competition_id=round.competition_id)
        .order_by()
        .values("competition")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rubrics = list(
        Rubric.objects.filter(round=round)
        .exclude(Exists(newer))
        .annotate(track_count=Subquery(track_count))
        .select_related("track")
        .prefetch_related("criteria")
    )
    result = {rubric.track_id: rubric for rubric in rubrics}
    if not rubrics or len(result) < rubrics[0].track_count:
        # A track without a rubric (e.g. added after the round was made): give it the defaults.
        for track in Track.objects.filter(competition_id=round.competition_id).exclude(pk__in=list(result)):
            rubric = current_rubric(round, track)
            result[track.pk] = Rubric.objects.prefetch_related("criteria").select_related("track").get(pk=rubric.pk)
    return result


@transaction.atomic
def save_rubric(*, rubric, actor, criteria: list[dict]) -> Rubric:
    """Replace an unfrozen rubric's criteria (validated: >= 1 criterion, unique keys, range, step, weight).
    A frozen rubric (a score exists) is refused: use new_rubric_version. Ledger row RUBRIC_CHANGED."""
    locked = Rubric.objects.select_for_update().select_related("track", "round").get(pk=rubric.pk)
    if locked.frozen_at is not None or Score.objects.filter(rubric=locked).exists():
        raise ValidationError(
            _(
                "Judges have already scored with this rubric, so it can no longer be edited. Create a new version "
                "instead; scores already given keep the version they were given with."
            ),
            code="frozen",
        )
    cleaned = _clean_criteria(criteria)
    existing = {criterion.key: criterion for criterion in locked.criteria.all()}
    keep = {row["key"] for row in cleaned}
    Criterion.objects.filter(rubric=locked).exclude(key__in=keep).delete()
    for row in cleaned:
        criterion = existing.get(row["key"])
        if criterion is None:
            Criterion.objects.create(rubric=locked, **row)
        else:
            for name, value in row.items():
                setattr(criterion, name, value)
            criterion.save()
    _rubric_ledger(rubric=locked, kind=LedgerKind.RUBRIC_CHANGED, actor=actor, criteria=cleaned)
    return locked


@transaction.atomic
def new_rubric_version(*, rubric, actor, criteria: list[dict], reason) -> Rubric:
    """A new version after scoring began; existing scores keep their version. Ledger row RUBRIC_VERSIONED,
    ActionLog row with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why the rubric changes: judges and entrants may ask later."), code="reason_required"
        )
    if len(reason) > 500:
        raise ValidationError(_("Keep the reason under 500 characters."), code="reason_too_long")
    cleaned = _clean_criteria(criteria)
    # Lock the round: serialises version numbers of the round's rubrics.
    round = Round.objects.select_for_update().get(pk=rubric.round.pk)
    track = rubric.track
    version = (Rubric.objects.filter(round=round, track=track).aggregate(last=Max("version"))["last"] or 0) + 1
    new = _create_rubric(
        round=round,
        track=track,
        version=version,
        actor=actor,
        criteria=cleaned,
        kind=LedgerKind.RUBRIC_VERSIONED,
        extra={"reason": reason, "previous_rubric": rubric.pk},
    )
    log_action(
        competition=round.competition,
        actor=actor,
        action=LoggedAction.RUBRIC_VERSIONED,
        subject=new,
        data={"round": round.pk, "track": track.kind, "version": version, "reason": reason},
    )
    return new
