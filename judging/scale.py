"""A competition at scale for benchmarks: `manage.py seed_scale` (issue #7).

`seed_scale` builds a competition the size of twenty Light-Chasing Plans: --entries eligible
entries (about 85 % finished works) over the twelve demo units, one entrant account per entry, --judges judges,
and up to three rounds:
1. 初评 (closed): every entry, --judges-per-entry judges each (judge0001 exactly 500), every score submitted; a
   handful of pairs skipped because the portal detected a conflict of interest; the top ~10 % per unit advanced
   (judging.advancement) and the result published into its public notice (judging.versions);
2. 复评 (open now): the shortlist, 7 judges each from judge0001..judge0060 (judge0001 again exactly 500), about
   half of the assignments scored and a few drafts;
3. 终评 (upcoming): a live final with an empty list and a 7-judge panel.

The bulk of the rows (users, entries, credits, materials, assignments, scores, criterion values, ledger rows) is
written by `insert` (PostgreSQL COPY; bulk_create elsewhere), shaped as the services would store them: numbers
and events as submissions.services.change_status writes them, totals by judging.scoring.weighted_total, one
hash-chained ledger row per score as judging.scoring.save_score appends it. The few steps whose logic matters
more than their row count run through the real services: creating the competition and its rounds (rubrics and
their ledger rows), conflict detection, advancement, preparing and publishing the result. One password hash
serves every account, one tiny JPEG every poster. It runs in three transactions (build, results, later rounds);
a failure deletes what earlier ones committed.

Deterministic: every choice comes from random.Random(seed) in a fixed order, so one seed gives the same entries,
assignments and scores (ids and times differ between runs). Nobody is emailed: the result emails of the published
version are recorded as sent, as the demo does.
"""

import datetime
import io
import json
import random
import re
import time
from collections import deque, namedtuple
from datetime import timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from judging import advancement, conflicts, ledger, notifications, services, versions
from judging.invitations import INVITATION_DAYS, JUDGING_TERMS_VERSION
from judging.models import (
    Assignment,
    AssignmentMethod,
    Conflict,
    Criterion,
    CriterionScore,
    Invitation,
    JudgeProfile,
    LedgerEntry,
    LedgerHead,
    LedgerKind,
    NotificationStatus,
    PanelMembership,
    ResultNotification,
    Round,
    RoundEntry,
    RoundKind,
    Rubric,
    Score,
    ScoreStatus,
)
from judging.scoring import _number, weighted_total
from portal import services as portal_services
from portal.demo import DEMO_UNITS
from portal.models import (
    Competition,
    CompetitionRole,
    CompetitionStatus,
    Profile,
    Role,
    Track,
    TrackKind,
    Unit,
    User,
)
from submissions.materials import make_thumbnail, random_name
from submissions.models import (
    CoOwner,
    Credit,
    CreditRole,
    Entry,
    EntryCounter,
    EntryEvent,
    EntryStatus,
    Genre,
    Material,
    ThumbnailStatus,
)

PASSWORD = "scale-password"
BATCH = 5000
COPY_CHUNK = 50000
SPECIAL_JUDGE_LOAD = 500  # judge0001's assignments in rounds 1 and 2: the judge-queue benchmark's judge
SECOND_ROUND_PANEL = 60
SECOND_ROUND_JUDGES_PER_ENTRY = 7
FINAL_PANEL = 7
ADVANCE_SHARE = 0.10  # the top ~10 % of each unit goes on to round 2
CONFLICT_SHARE = 0.003  # of round-1 (entry, judge) pairs skipped for a detected conflict
COOWNED_SHARE = 0.03
STORY_SHARE = 0.15
SECOND_ROUND_SUBMITTED = 0.5
SECOND_ROUND_DRAFTS = 0.03
EXTRA_ENTRIES = 10  # entrant00001's own list besides their entry on the round: 3 drafts and 7 in other states
EXTRA_STATUSES = [EntryStatus.DRAFT] * 3 + [EntryStatus.SUBMITTED] * 4 + [EntryStatus.INELIGIBLE] * 2 + [
    EntryStatus.WITHDRAWN
]
# A unit's share of the entries: street life and sci-tech draw the most, as in the 2025 edition.
UNIT_WEIGHTS = [14, 10, 9, 11, 7, 6, 9, 8, 7, 8, 5, 6]
POSTER_SIZE = (54, 96)  # 9:16, a few hundred bytes

# ---------------------------------------------------------------------------------------------- word lists

PLACES = [
    ("胡同", "Hutong"), ("老街", "Old Street"), ("山村", "Mountain Village"), ("渡口", "Ferry Landing"),
    ("小镇", "Small Town"), ("茶馆", "Teahouse"), ("地铁站", "Subway Station"), ("天台", "Rooftop"),
    ("夜市", "Night Market"), ("书店", "Bookshop"), ("片场", "Film Set"), ("校园", "Campus"),
    ("戏台", "Opera Stage"), ("港口", "Harbour"), ("雪原", "Snowfield"), ("菜市场", "Wet Market"),
    ("长城脚下", "Foot of the Great Wall"), ("四合院", "Courtyard House"), ("急诊室", "Emergency Room"),
    ("直播间", "Livestream Room"), ("外卖站", "Delivery Depot"), ("养老院", "Care Home"), ("江南水乡", "Water Town"),
    ("草原", "Grassland"),
]
NOUNS = [
    ("光", "Light"), ("来信", "Letters"), ("约定", "Promise"), ("归途", "Way Home"), ("灯火", "Lanterns"),
    ("时间", "Time"), ("秘密", "Secret"), ("回声", "Echo"), ("春天", "Spring"), ("少年", "Youth"),
    ("星空", "Starry Sky"), ("旧梦", "Old Dream"), ("远方", "Far Away"), ("晚风", "Evening Breeze"),
    ("新年", "New Year"), ("奇遇", "Encounter"), ("钥匙", "Key"), ("味道", "Taste"), ("守望", "Watch"),
    ("告白", "Confession"),
]
CHAPTERS = [
    ("", ""), ("", ""), ("", ""), ("·冬至", ": Winter Solstice"), ("·重逢", ": Reunion"), ("·第二季", ": Season Two"),
    ("·番外", ": Side Story"), ("·上", ": Part One"),
]
PEOPLE = [
    ("外卖骑手", "delivery rider"), ("退休教师", "retired teacher"), ("返乡大学生", "graduate back home"),
    ("京剧演员", "opera performer"), ("程序员", "programmer"), ("老店主", "old shopkeeper"),
    ("实习医生", "junior doctor"), ("快递员", "courier"), ("群演", "film extra"), ("非遗传承人", "heritage craftsman"),
    ("出租车司机", "taxi driver"), ("单亲妈妈", "single mother"), ("留学生", "student abroad"),
    ("村支书", "village chief"), ("AI 客服", "AI help-desk agent"), ("老邮递员", "old postman"),
]
EVENTS = [
    ("发现了一家只在午夜营业的修表铺", "finds a watch-repair shop that only opens at midnight"),
    ("收到一封寄错了三十年的信", "receives a letter delivered thirty years late"),
    ("决定用手机拍一部自己的短剧", "decides to shoot a short drama on a phone"),
    ("必须在七天内找回丢失的传家宝", "has seven days to find a lost family heirloom"),
    ("在直播间里意外走红", "goes viral by accident on a livestream"),
    ("和一位陌生老人交换了人生", "swaps lives with an elderly stranger"),
    ("被迫接手一家快要倒闭的老字号", "has to take over an old shop on the brink of closing"),
    ("卷入一场没有证人的车祸", "is caught up in a crash with no witnesses"),
    ("要在春节前把全村人的年货送到", "must deliver the whole village's New Year goods before the festival"),
    ("偷偷报名了一场马拉松", "secretly signs up for a marathon"),
]
TURNS = [
    ("误会越积越深，所有人都在等一个解释。", "Misunderstandings pile up, and everyone waits for an explanation."),
    ("一段尘封的往事被重新翻开。", "A buried story from the past comes back to light."),
    ("家人的反对让一切变得更难。", "The family's objections make everything harder."),
    ("一个意想不到的帮手出现了。", "An unexpected helper turns up."),
    ("时间所剩无几，选择迫在眉睫。", "Time runs short and a choice cannot wait."),
    ("城市的喧嚣里，两个人慢慢靠近。", "In the noise of the city, two people slowly draw closer."),
]
ENDINGS = [
    ("最终，每个人都找到了属于自己的光。", "In the end, each of them finds a light of their own."),
    ("故事停在一个温暖而开放的结尾。", "The story stops on a warm, open ending."),
    ("真相揭开的那一刻，所有人都沉默了。", "When the truth comes out, nobody says a word."),
    ("他们把这段经历拍成了一部短片。", "They turn what happened into a short film."),
]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "林", "何", "郭", "马", "沈", "韩", "唐", "冯"]
GIVEN_NAMES = [
    "小雨", "子涵", "一鸣", "思远", "晓峰", "雨桐", "嘉怡", "浩然", "梓萱", "明轩", "欣怡", "俊杰", "安然", "书瑶",
    "志强", "海燕", "文博", "佳琪",
]
INSTITUTIONS = [
    "北京电影学院", "中国传媒大学", "中央戏剧学院", "上海戏剧学院", "清华大学新闻与传播学院",
    "北京师范大学艺术与传媒学院",
    "中央广播电视总台", "北京人民艺术剧院", "国家京剧院", "浙江传媒学院", "四川传媒学院", "北京市广播电视局",
]
WORK_CREDITS = [CreditRole.DIRECTOR, CreditRole.SCREENWRITER, CreditRole.PRODUCER, CreditRole.LEAD_ACTRESS]
GENRES = [choice.value for choice in Genre if choice != Genre.OTHER]
OVERALL_COMMENTS = [
    "立意清晰，人物有温度，节奏还可以更紧凑。",
    "题材新颖，结尾稍显仓促。",
    "视听完成度高，情感落点准确。",
    "故事扎实，但前两集铺垫偏长。",
    "",
    "",
]


AIGC_STATEMENT = "部分画面由生成式 AI 辅助制作。/ Some images were made with generative AI."
INELIGIBLE_REASON = "授权书缺少盖章。/ The rights letter lacks a company seal."
CENT = Decimal("0.01")

# What the seeding keeps of the rows it wrote (model instances for a million rows would cost time and memory).
_Person = namedtuple("_Person", "pk email name")
_EntryRecord = namedtuple("_EntryRecord", "pk owner_id track_id unit_id number status story")


def _event(entry, actor_id, from_status, to_status, reason=""):
    return {
        "entry_id": entry.pk,
        "actor_id": actor_id,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
    }


def round_to_ms(seconds):
    return round(seconds, 3)


class ScaleSeedRefused(Exception):
    """The seeding cannot start (the slug is taken, or the arguments make no competition); str() is translated."""


class _Clock:
    """Wall time per phase, printed as it goes."""

    def __init__(self, stdout):
        self.stdout = stdout
        self.started = self.last = time.perf_counter()
        self.phases = []

    def say(self, text):
        if self.stdout is not None:
            self.stdout.write(text + "\n")
            if hasattr(self.stdout, "flush"):
                self.stdout.flush()

    def lap(self, phase, detail=""):
        now = time.perf_counter()
        self.phases.append((phase, now - self.last))
        self.say(f"  {phase:<34} {now - self.last:7.1f} s  {detail}".rstrip())
        self.last = now

    def total(self):
        return time.perf_counter() - self.started


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _reserve_ids(model, count) -> list[int]:
    """`count` consecutive ids taken from the table's sequence in one statement (PostgreSQL)."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(pg_get_serial_sequence(%s, %s)) + %s - 1)",
            [table, column, table, column, count],
        )
        last = cursor.fetchone()[0]
    return list(range(last - count + 1, last + 1))


def insert(model, rows, *, ids=False):
    """Insert `rows` (dicts of field attnames -> values) of one model; the new ids in order when `ids`.

    Fields a row leaves out get what the ORM would store: now for auto_now(_add) fields, the field's default
    (evaluated once per call: never use it for a unique callable default) or NULL. On PostgreSQL through COPY,
    with ids reserved from the sequence beforehand: building a model instance per row and compiling the INSERT
    costs the ORM ~40 µs a row, several minutes over a million rows. Elsewhere (SQLite in the tests) bulk_create.
    """
    rows = list(rows)
    if not rows:
        return []
    if connection.vendor != "postgresql":
        saved = []
        for start in range(0, len(rows), BATCH):
            saved += model.objects.bulk_create([model(**row) for row in rows[start : start + BATCH]])
        return [obj.pk for obj in saved] if ids else None
    now = timezone.now()
    given = set(rows[0])
    pk = model._meta.pk
    columns, fills = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.attname in given:
            fills.append((field.attname, False, None))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fills.append((field.attname, True, now))
        else:  # the default, or "" for a text field without one (as Django stores it), else NULL
            fills.append((field.attname, True, field.get_default()))
    new_ids = _reserve_ids(model, len(rows)) if ids else None
    if ids:
        columns.insert(0, pk.column)
    fixed = {attname: _copy_text(value) for attname, is_fixed, value in fills if is_fixed}
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COPY_CHUNK):
            buffer = io.StringIO()
            for offset, row in enumerate(rows[start : start + COPY_CHUNK]):
                values = [fixed[attname] if is_fixed else _copy_text(row[attname]) for attname, is_fixed, _v in fills]
                if ids:
                    values.insert(0, str(new_ids[start + offset]))
                buffer.write("\t".join(values))
                buffer.write("\n")
            buffer.seek(0)
            cursor.cursor.copy_expert(sql, buffer)
    return new_ids


def domain_for(slug):
    """The accounts' email domain: scale.example.org for the default slug (the benchmark's contract)."""
    return f"{slug}.example.org"


def judge_email(slug, number):
    return f"judge{number:04d}@{domain_for(slug)}"


def entrant_email(slug, number):
    return f"entrant{number:05d}@{domain_for(slug)}"


def organizer_email(slug):
    return f"organizer@{domain_for(slug)}"


def _prefix(slug):
    prefix = re.sub(r"[^A-Z0-9]", "", slug.upper())[:12]
    return prefix if len(prefix) >= 2 else "SCALE"


# ---------------------------------------------------------------------------------------------- deleting


def delete_competition(*, slug, stdout=None) -> bool:
    """Delete the competition of `slug` with everything in it and the accounts of its email domain (seed_scale
    --replace). The big tables go with one DELETE each (no per-row collection); the rest through the ORM.
    Returns False when there was no such competition."""
    competition = Competition.objects.filter(slug=slug).first()
    clock = _Clock(stdout)
    if competition is None:
        return False
    from judging.models import Decision, Objection, ResultVersion

    with transaction.atomic():
        # _raw_delete: a plain DELETE ... WHERE, because collecting hundreds of thousands of rows for cascades
        # takes minutes; everything below these tables is deleted first, so nothing is left dangling.
        rounds = Round.objects.filter(competition=competition)
        entries = Entry.objects.filter(competition=competition)
        for queryset in (
            CriterionScore.objects.filter(score__round__in=rounds),
            Score.objects.filter(round__in=rounds),
            Assignment.objects.filter(round__in=rounds),
            RoundEntry.objects.filter(round__in=rounds),
            Decision.objects.filter(round__in=rounds),
            ResultNotification.objects.filter(version__round__in=rounds),
            Objection.objects.filter(version__round__in=rounds),
            ResultVersion.objects.filter(round__in=rounds),
            LedgerEntry.objects.filter(competition=competition),
            Conflict.objects.filter(competition=competition),
            EntryEvent.objects.filter(entry__in=entries),
            Credit.objects.filter(entry__in=entries),
            Material.objects.filter(entry__in=entries),
            CoOwner.objects.filter(entry__in=entries),
        ):
            queryset._raw_delete(queryset.db)
        clock.lap("deleted scores, ledger, entry rows")
        rounds.delete()
        entries.delete()
        competition.delete()
        clock.lap("deleted rounds, entries, competition")
        users = User.objects.filter(email__iendswith="@" + domain_for(slug))
        for queryset in (
            EmailAddress.objects.filter(user__in=users),
            Profile.objects.filter(user__in=users),
            JudgeProfile.objects.filter(user__in=users),
        ):
            queryset._raw_delete(queryset.db)
        users.delete()
        clock.lap("deleted the accounts")
    clock.say(f"deleted the earlier competition {slug!r} in {clock.total():.1f} s")
    return True


# ---------------------------------------------------------------------------------------------- planning


def _title(rng):
    place, noun, chapter = rng.choice(PLACES), rng.choice(NOUNS), rng.choice(CHAPTERS)
    pattern = rng.randrange(3)
    if pattern == 0:
        zh, en = f"{place[0]}的{noun[0]}", f"The {noun[1]} of the {place[1]}"
    elif pattern == 1:
        zh, en = f"{noun[0]}在{place[0]}", f"{noun[1]} in the {place[1]}"
    else:
        zh, en = f"{place[0]}{noun[0]}", f"{place[1]} {noun[1]}"
    return zh + chapter[0], en + chapter[1], place


def _texts(rng, place):
    person, event = rng.choice(PEOPLE), rng.choice(EVENTS)
    turns = rng.sample(TURNS, 2)
    ending = rng.choice(ENDINGS)
    logline = f"{place[0]}里的{person[0]}{event[0]}。"
    logline_en = f"At the {place[1].lower()}, a {person[1]} {event[1]}."
    synopsis = logline + turns[0][0] + ending[0]
    synopsis_en = f"{logline_en} {turns[0][1]} {ending[1]}"
    long_zh = "\n\n".join([synopsis, turns[1][0] + "每一集都以一个小小的转折收尾。", ending[0]])
    long_en = "\n\n".join(
        [synopsis_en, turns[1][1] + " Each episode ends on a small turn.", ending[1]]
    )
    return logline, logline_en, synopsis[:300], synopsis_en[:300], long_zh, long_en


def _name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _plan_entries(rng, *, entries):
    """Plain data for every entry: entry i (0-based) of the round belongs to entrant i + 1; then entrant00001's
    extra entries."""
    plans = []
    statuses = [EntryStatus.ELIGIBLE] * entries + EXTRA_STATUSES
    for index, status in enumerate(statuses):
        title, title_en, place = _title(rng)
        logline, logline_en, synopsis, synopsis_en, long_zh, long_en = _texts(rng, place)
        story = rng.random() < STORY_SHARE
        plans.append(
            {
                "owner": index if index < entries else 0,  # entrant index (0 = entrant00001)
                "status": status,
                "unit": rng.choices(range(len(DEMO_UNITS)), weights=UNIT_WEIGHTS)[0],
                "track": TrackKind.STORY if story else TrackKind.WORK,
                "title": title,
                "title_en": title_en,
                "logline": logline,
                "logline_en": logline_en,
                "synopsis": synopsis,
                "synopsis_en": synopsis_en,
                "synopsis_long": long_zh,
                "synopsis_long_en": long_en,
                "genres": rng.sample(GENRES, rng.randint(1, 2)),
                "episodes": rng.choice([12, 20, 24, 30, 40, 60, 80]),
                "runtime": rng.choice([60, 90, 120, 150, 180, 240]),
                "age_days": rng.randint(70, 400),
                "aigc": rng.random() < 0.25,
                "credits": [_name(rng) for _ in range(rng.randint(2, 4))],
                "submitted_after": rng.random(),  # share of the submission window
                "quality": rng.uniform(2.5, 8.5),
            }
        )
    return plans


def _deal(rng, *, entry_ids, judge_ids, per_entry, special, special_load, known, conflict_entries=()):
    """Assignments {entry id: [judge ids]} and the new conflict pairs [(judge id, entry id)].

    `special` (a judge id or None) gets exactly `special_load` entries picked at random; the other judges are
    dealt from a deck of seeded shuffles, so their loads differ by one or two at most. A judge skipped for an
    entry (already on it, or a conflict) stays at the front of the deck for the next entry, which keeps the loads
    even. In each of `conflict_entries` the first judge dealt turns out to be in conflict (the portal detects
    it later from the entrant's organisation, see _plan_conflicts): that judge is skipped and a conflict made."""
    others = [judge for judge in judge_ids if judge != special]
    per_entry = min(per_entry, len(judge_ids))
    special_entries = set(rng.sample(entry_ids, min(special_load, len(entry_ids)))) if special is not None else set()
    conflict_entries = set(conflict_entries)
    deck = deque()
    result = {}
    new_conflicts = []
    for entry_id in entry_ids:
        chosen = [special] if entry_id in special_entries else []
        skipped = []
        conflict_due = entry_id in conflict_entries
        while len(chosen) < per_entry:
            if not deck:
                shuffled = list(others)
                rng.shuffle(shuffled)
                deck.extend(shuffled)
                if not any(
                    judge not in chosen and judge not in skipped and (judge, entry_id) not in known
                    for judge in shuffled
                ):
                    break  # nobody left who may judge this entry: it stays short, as auto_assign reports
            judge = deck.popleft()
            if judge in chosen or judge in skipped or (judge, entry_id) in known:
                if judge not in skipped:
                    skipped.append(judge)
                continue
            if conflict_due:
                new_conflicts.append((judge, entry_id))
                conflict_due = False
                skipped.append(judge)
                continue
            chosen.append(judge)
        deck.extendleft(reversed(skipped))
        result[entry_id] = chosen
    return result, new_conflicts


def _value_index(rng, criterion, quality, leniency, offset, spread):
    steps = int((criterion.max_score - criterion.min_score) / criterion.step)
    share = (quality + leniency + offset + rng.gauss(0, 0.8) * spread) / 10
    return max(0, min(steps, round(share * steps)))


class _Totals:
    """weighted_total memoised per rubric and combination of values (the same Decimal arithmetic, once each)."""

    def __init__(self):
        self.cache = {}

    def __call__(self, rubric_id, criteria, values):
        key = (rubric_id, tuple(values))
        if key not in self.cache:
            self.cache[key] = weighted_total(criteria, dict(zip([c.pk for c in criteria], values, strict=True)))
        return self.cache[key]


# ---------------------------------------------------------------------------------------------- the seeding


def seed_scale(*, entries, judges, rounds, seed, slug="scale", judges_per_entry=5, stdout=None) -> Competition:
    """Build the competition (see the module docstring) and return it, printing each phase's wall time. Raises
    ScaleSeedRefused when `slug` is taken (delete_competition first) or the arguments cannot make it."""
    if entries < 1 or judges < 1 or rounds not in (1, 2, 3) or judges_per_entry < 1:
        raise ScaleSeedRefused(
            _("Give at least one entry and one judge, 1 to 3 rounds and at least one judge per entry.")
        )
    if judges_per_entry > judges:
        raise ScaleSeedRefused(_("There are fewer judges than judges per entry."))
    if Competition.objects.filter(slug=slug).exists():
        raise ScaleSeedRefused(
            _("A competition with the short name “%(slug)s” already exists; use --replace to delete it first.")
            % {"slug": slug}
        )
    if User.objects.filter(email__iendswith="@" + domain_for(slug)).exists():
        raise ScaleSeedRefused(
            _("Accounts @%(domain)s already exist; use --replace to delete them first.") % {"domain": domain_for(slug)}
        )
    clock = _Clock(stdout)
    clock.say(
        f"seed_scale: {entries:,} entries, {judges} judges, {rounds} round(s), seed {seed}, slug {slug!r} "
        f"on {connection.vendor}"
    )
    seeder = _Seeder(
        rng=random.Random(seed),  # noqa: S311 - reproducible test data, not secrets
        entries=entries,
        judges=judges,
        rounds=rounds,
        slug=slug,
        judges_per_entry=judges_per_entry,
        clock=clock,
    )
    # Three transactions rather than one: the foreign keys of a million rows are checked at each commit, and the
    # results step reads committed, analysed tables. A failure deletes whatever was committed before it.
    try:
        for step in seeder.steps():
            with transaction.atomic():
                step()
            clock.lap("commit")
    except BaseException:
        clock.say("seed_scale failed: deleting what it had made")
        delete_competition(slug=slug)
        raise
    competition = seeder.competition
    counts = seeder.counts()
    clock.say("counts: " + ", ".join(f"{name} {value:,}" for name, value in counts.items()))
    clock.say("phases: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in clock.phases))
    clock.say(f"total: {clock.total():.1f} s")
    return competition


class _Seeder:
    def __init__(self, *, rng, entries, judges, rounds, slug, judges_per_entry, clock):
        self.rng = rng
        self.entry_count = entries
        self.judge_count = judges
        self.round_count = rounds
        self.slug = slug
        self.per_entry = judges_per_entry
        self.clock = clock
        self.now = timezone.now().replace(microsecond=0)
        self.totals = _Totals()

    # -- orchestration

    def steps(self):
        """The seeding in steps, each to run in a transaction of its own."""
        yield self._build
        yield self._results
        if self.round_count >= 2:
            yield self._later_rounds

    def _build(self):
        self._accounts()
        self._competition()
        self._entries()
        self._rounds()
        self._first_round()

    def _results(self):
        self._analyse()
        if self.round_count >= 2:
            self._advance()
        self._publish_first()

    def _later_rounds(self):
        self._second_round()
        if self.round_count >= 3:
            self._final_panel()

    def counts(self):
        rounds = Round.objects.filter(competition=self.competition)
        return {
            "entries": Entry.objects.filter(competition=self.competition).count(),
            "users": User.objects.filter(email__iendswith="@" + domain_for(self.slug)).count(),
            "assignments": Assignment.objects.filter(round__in=rounds).count(),
            "scores": Score.objects.filter(round__in=rounds).count(),
            "submitted scores": Score.objects.filter(round__in=rounds, status=ScoreStatus.SUBMITTED).count(),
            "criterion scores": CriterionScore.objects.filter(score__round__in=rounds).count(),
            "conflicts": Conflict.objects.filter(competition=self.competition).count(),
            "ledger rows": LedgerEntry.objects.filter(competition=self.competition).count(),
        }

    # -- accounts

    def _accounts(self):
        rng, slug = self.rng, self.slug
        # One hash for every account: hashing is deliberately slow (hundreds of ms each).
        password = make_password(PASSWORD)
        self.plans = _plan_entries(rng, entries=self.entry_count)
        emails = [organizer_email(slug)] + [judge_email(slug, n) for n in range(1, self.judge_count + 1)]
        names = ["Scale Organizer"] + [f"评委{n:04d}" for n in range(1, self.judge_count + 1)]
        emails += [entrant_email(slug, n) for n in range(1, self.entry_count + 1)]
        names += [_name(rng) for _ in range(self.entry_count)]
        joined = self.now - timedelta(days=150)
        ids = insert(
            User,
            (
                {"email": email, "display_name": name, "password": password, "date_joined": joined}
                for email, name in zip(emails, names, strict=True)
            ),
            ids=True,
        )
        self.users = [_Person(pk, email, name) for pk, email, name in zip(ids, emails, names, strict=True)]
        self.organizer = User.objects.get(pk=ids[0])
        self.judges = self.users[1 : self.judge_count + 1]
        self.entrants = self.users[self.judge_count + 1 :]
        insert(
            EmailAddress,
            ({"user_id": user.pk, "email": user.email, "verified": True, "primary": True} for user in self.users),
        )
        # Judges' affiliations: a school or broadcaster, and a studio of their own (what conflict detection matches).
        self.studios = {judge.pk: f"追光影像工作室{n:04d}" for n, judge in enumerate(self.judges, start=1)}
        insert(
            JudgeProfile,
            (
                {
                    "user_id": judge.pk,
                    "affiliations": f"{rng.choice(INSTITUTIONS)}\n{self.studios[judge.pk]}",
                    "bio": "评委（压力测试数据）。/ A judge (load-test data).",
                }
                for judge in self.judges
            ),
        )
        self.clock.lap("accounts", f"{len(self.users):,} users, one password hash")

    # -- competition

    def _competition(self):
        now = self.now
        self.competition = portal_services.create_competition(
            competition=Competition(
                slug=self.slug,
                name_zh="北京大视听·追光计划（规模测试）",
                name_en="Light-Chasing Plan (scale test)",
                edition_year=now.year,
                entry_prefix=_prefix(self.slug),
                status=CompetitionStatus.JUDGING,
                description_zh="两万件参赛作品的压力测试数据。",
                description_en="Load-test data: twenty thousand entries.",
                submission_opens_at=now - timedelta(days=120),
                submission_closes_at=now - timedelta(days=60),
            ),
            creator=self.organizer,
        )
        self.tracks = {track.kind: track for track in Track.objects.filter(competition=self.competition)}
        self.units = Unit.objects.bulk_create(
            Unit(
                competition=self.competition,
                slug=slug,
                position=position,
                name_zh=name_zh,
                name_en=name_en,
                description_zh=description_zh,
                description_en=description_en,
                episode_min_seconds=30,
                episode_max_seconds=15 * 60,
            )
            for position, (slug, name_zh, name_en, description_zh, description_en) in enumerate(DEMO_UNITS, start=1)
        )
        CompetitionRole.objects.bulk_create(
            CompetitionRole(competition=self.competition, user_id=judge.pk, role=Role.JUDGE, granted_by=self.organizer)
            for judge in self.judges
        )
        self.clock.lap("competition, units, roles")

    # -- entries

    def _poster(self):
        """One tiny JPEG and its thumbnail, stored once; every poster row points at them."""
        image = Image.linear_gradient("L").resize(POSTER_SIZE).convert("RGB")
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=60)
        data = out.getvalue()
        name = default_storage.save(random_name("materials", "jpg"), ContentFile(data))
        thumbnail = make_thumbnail(io.BytesIO(data))
        return name, default_storage.save(random_name("thumbnails", "webp"), ContentFile(thumbnail)), len(data)

    def _entries(self):
        now, competition = self.now, self.competition
        opens, closes = competition.submission_opens_at, competition.submission_closes_at
        window = (closes - opens).total_seconds()
        prefix = competition.entry_prefix
        rows, records = [], []
        sequence = 0
        for plan in self.plans:
            status = plan["status"]
            numbered = status != EntryStatus.DRAFT
            if numbered:
                sequence += 1
            story = plan["track"] == TrackKind.STORY
            submitted_at = opens + timedelta(seconds=int(window * plan["submitted_after"])) if numbered else None
            aigc = plan["aigc"]
            row = {
                "competition_id": competition.pk,
                "track_id": self.tracks[plan["track"]].pk,
                "unit_id": self.units[plan["unit"]].pk,
                "owner_id": self.entrants[plan["owner"]].pk,
                "status": status,
                "sequence": sequence if numbered else None,
                "number": f"{prefix}-{sequence:04d}" if numbered else "",
                "title": plan["title"],
                "title_en": plan["title_en"],
                "logline": plan["logline"],
                "logline_en": plan["logline_en"],
                "synopsis": plan["synopsis"],
                "synopsis_en": plan["synopsis_en"],
                "synopsis_long": plan["synopsis_long"],
                "synopsis_long_en": plan["synopsis_long_en"],
                "genres": plan["genres"],
                "languages": ["zh"],
                "subtitle_languages": [] if story else ["zh-en"],
                "country": "中国",
                "completion_date": None if story else (now - timedelta(days=plan["age_days"])).date(),
                "episode_count": None if story else plan["episodes"],
                "episode_runtime_seconds": None if story else plan["runtime"],
                "total_runtime_seconds": None if story else plan["episodes"] * plan["runtime"],
                "outline": plan["synopsis_long"] if story else "",
                "episode_plan": "\n".join(f"第{n}集 / Episode {n}" for n in range(1, 7)) if story else "",
                "aigc_used": aigc,
                "aigc_tools": "可灵 Kling、即梦 Dreamina" if aigc else "",
                "aigc_parts": (["script", "images"] if story else ["images", "video"]) if aigc else [],
                "aigc_statement": AIGC_STATEMENT if aigc else "",
                "declared_originality_at": submitted_at,
                "declared_rights_at": submitted_at,
                "declared_terms_at": submitted_at,
                "terms_version": competition.terms_version if numbered else "",
                "eligibility_reason": INELIGIBLE_REASON if status == EntryStatus.INELIGIBLE else "",
                "submitted_at": submitted_at,
            }
            rows.append(row)
            records.append(row)
        ids = insert(Entry, rows, ids=True)
        self.entries = [
            _EntryRecord(pk, row["owner_id"], row["track_id"], row["unit_id"], row["number"], row["status"], story)
            for pk, row, story in zip(ids, records, (p["track"] == TrackKind.STORY for p in self.plans), strict=True)
        ]
        EntryCounter.objects.create(competition=competition, last_sequence=sequence)
        self.round_entries = [entry for entry in self.entries if entry.status == EntryStatus.ELIGIBLE]
        self.clock.lap("entries", f"{len(self.entries):,} entries")

        credits = []
        for entry, plan in zip(self.entries, self.plans, strict=True):
            roles = [CreditRole.SCREENWRITER] * 4 if entry.story else WORK_CREDITS
            credits += [
                {
                    "entry_id": entry.pk,
                    "role": role,
                    "role_other": "",
                    "name": name,
                    "position": position,
                    "user_id": entry.owner_id if position == 0 else None,
                }
                for position, (role, name) in enumerate(zip(roles, plan["credits"], strict=False))
            ]
        insert(Credit, credits)
        poster, thumbnail, size = self._poster()
        insert(
            Material,
            (
                {
                    "entry_id": entry.pk,
                    "kind": "poster_vertical",
                    "file": poster,
                    "original_name": "poster.jpg",
                    "content_type": "image/jpeg",
                    "size": size,
                    "width": POSTER_SIZE[0],
                    "height": POSTER_SIZE[1],
                    "thumbnail": thumbnail,
                    "thumbnail_status": ThumbnailStatus.READY,
                    "uploaded_by_id": entry.owner_id,
                }
                for entry in self.entries
            ),
        )
        # What submissions.services.change_status records: submitted by the owner, then the organizer's check.
        events = []
        for entry in self.entries:
            if entry.status == EntryStatus.DRAFT:
                continue
            events.append(_event(entry, entry.owner_id, "draft", "submitted"))
            if entry.status == EntryStatus.WITHDRAWN:
                events.append(_event(entry, entry.owner_id, "submitted", "withdrawn"))
            elif entry.status == EntryStatus.INELIGIBLE:
                events.append(_event(entry, self.organizer.pk, "submitted", entry.status, INELIGIBLE_REASON))
            elif entry.status != EntryStatus.SUBMITTED:
                events.append(_event(entry, self.organizer.pk, "submitted", entry.status))
        insert(EntryEvent, events)
        self.clock.lap("credits, posters, events", f"{len(credits):,} credits, {len(events):,} events")

    def _rounds(self):
        now, organizer = self.now, self.organizer
        windows = [
            (RoundKind.PRELIMINARY, "初评", "Preliminary round", now - timedelta(days=50), now - timedelta(days=10),
             {"judges_per_entry": self.per_entry}),
            (RoundKind.SEMI_FINAL, "复评", "Semi-final", now - timedelta(days=3), now + timedelta(days=14),
             {"judges_per_entry": SECOND_ROUND_JUDGES_PER_ENTRY}),
            (RoundKind.FINAL, "终评", "Final", now + timedelta(days=21), now + timedelta(days=28),
             {"judges_per_entry": FINAL_PANEL, "live_final": True}),
        ]
        self.rounds = [
            services.create_round(
                competition=self.competition, actor=organizer, kind=kind, name_zh=name_zh, name_en=name_en,
                opens_at=opens_at, closes_at=closes_at, **options,
            )
            for kind, name_zh, name_en, opens_at, closes_at, options in windows[: self.round_count]
        ]
        self.rubrics = {}
        for rubric in Rubric.objects.filter(round__in=self.rounds).select_related("track"):
            criteria = list(Criterion.objects.filter(rubric=rubric).order_by("position", "pk"))
            self.rubrics[(rubric.round_id, rubric.track_id)] = (rubric, criteria)
        self.clock.lap("rounds and rubrics", f"{len(self.rounds)} round(s)")

    def _seat(self, round, judges, accepted_at):
        PanelMembership.objects.bulk_create(
            PanelMembership(
                round=round, judge_id=judge.pk, terms_accepted_at=accepted_at, terms_version=JUDGING_TERMS_VERSION
            )
            for judge in judges
        )
        Invitation.objects.bulk_create(
            Invitation(
                round=round,
                email=judge.email,
                invited_by=self.organizer,
                sent_at=accepted_at - timedelta(days=1),
                expires_at=accepted_at + timedelta(days=INVITATION_DAYS),
                accepted_at=accepted_at,
                accepted_by_id=judge.pk,
            )
            for judge in judges
        )
        memberships = PanelMembership.objects.filter(round=round).order_by("judge_id")
        through = PanelMembership.expertise.through
        through.objects.bulk_create(
            through(panelmembership_id=membership.pk, unit_id=unit.pk)
            for membership in memberships
            for unit in self.rng.sample(self.units, 2)
        )

    def _plan_conflicts(self):
        """Entries where round 1's first-dealt judge will be in conflict: ~0.3 % of the pairs, at least one.
        Never entrant00001's (they own several entries), so each conflict is exactly one pair."""
        candidates = [entry.pk for entry in self.round_entries if entry.owner_id != self.entrants[0].pk]
        wanted = max(1, round(len(self.round_entries) * self.per_entry * CONFLICT_SHARE))
        return self.rng.sample(candidates, min(wanted, len(candidates)))

    def _first_round(self):
        rng, first = self.rng, self.rounds[0]
        self._seat(first, self.judges, first.opens_at - timedelta(days=5))
        insert(
            RoundEntry,
            (
                {"round_id": first.pk, "entry_id": entry.pk, "source": "eligible", "added_by_id": self.organizer.pk}
                for entry in self.round_entries
            ),
        )
        entry_ids = [entry.pk for entry in self.round_entries]
        judge_ids = [judge.pk for judge in self.judges]
        plan, conflict_pairs = _deal(
            rng, entry_ids=entry_ids, judge_ids=judge_ids, per_entry=self.per_entry, special=judge_ids[0],
            special_load=SPECIAL_JUDGE_LOAD, known=set(), conflict_entries=self._plan_conflicts(),
        )
        self.conflicts = set(conflict_pairs)
        self._make_conflicts_detectable()
        self.clock.lap("round 1: panel, list, plan", f"{sum(map(len, plan.values())):,} assignments planned")
        # The real detection, over every entry and judge, finds exactly the planned pairs.
        conflicts.detect_conflicts(competition=self.competition)
        found = set(Conflict.objects.filter(competition=self.competition).values_list("judge_id", "entry_id"))
        if found != self.conflicts:
            raise AssertionError(f"detected {len(found)} conflicts, planned {len(self.conflicts)}")
        self.clock.lap("round 1: conflict detection", f"{len(found)} conflicts detected")
        self._assign(first, plan)
        self.leniency = {judge.pk: rng.uniform(-1.5, 1.5) for judge in self.judges}
        self.spread = {judge.pk: rng.uniform(0.6, 1.4) for judge in self.judges}
        self.quality = {entry.pk: plan_["quality"] for entry, plan_ in zip(self.entries, self.plans, strict=True)}
        pairs = [(entry_id, judge_id) for entry_id in entry_ids for judge_id in plan[entry_id]]
        self._score(first, pairs, submitted=len(pairs), drafts=0, start=first.opens_at, end=first.closes_at)

    def _make_conflicts_detectable(self):
        """The owner of each conflict entry works at the conflicting judge's studio; a few entries get a co-owner
        (another entrant without such a tie, so they add no conflict)."""
        rng = self.rng
        by_entry = {entry.pk: entry for entry in self.entries}
        organisation = {by_entry[entry_id].owner_id: self.studios[judge_id] for judge_id, entry_id in self.conflicts}
        insert(
            Profile,
            (
                {"user_id": user.pk, "real_name": user.name, "organisation": organisation.get(user.pk, "")}
                for user in self.entrants
            ),
        )
        free = [user for user in self.entrants[1:] if user.pk not in organisation]
        coowned = rng.sample(self.round_entries, max(1, round(len(self.round_entries) * COOWNED_SHARE)))
        if self.entrants[0].pk not in {entry.owner_id for entry in coowned}:
            coowned[0] = self.round_entries[0]  # entrant00001's entry is among them: their dashboard shows one
        rows = []
        for entry in coowned:
            user = rng.choice(free) if free else None
            if user is not None and user.pk != entry.owner_id:
                rows.append(
                    {"entry_id": entry.pk, "email": user.email, "user_id": user.pk, "invited_by_id": entry.owner_id}
                )
        insert(CoOwner, rows)

    def _assign(self, round, plan):
        insert(
            Assignment,
            (
                {
                    "round_id": round.pk,
                    "entry_id": entry_id,
                    "judge_id": judge_id,
                    "method": AssignmentMethod.AUTO,
                    "assigned_by_id": self.organizer.pk,
                }
                for entry_id in sorted(plan)
                for judge_id in sorted(plan[entry_id])
            ),
        )
        self.clock.lap(f"round {round.position}: assignments", f"{sum(map(len, plan.values())):,}")

    def _score(self, round, pairs, *, submitted, drafts, start, end):
        """Scores for `pairs` (shuffled first, as judges score over days): the first `submitted` submitted, the
        next `drafts` drafts with their last value open; criterion values, ledger rows, the rubrics frozen."""
        rng = self.rng
        pairs = list(pairs)
        rng.shuffle(pairs)
        pairs = pairs[: submitted + drafts]
        span = (end - start).total_seconds()
        times = sorted(start + timedelta(seconds=round_to_ms(rng.uniform(0, span))) for _ in pairs)
        entry_of = {entry.pk: entry for entry in self.entries}
        offsets = [rng.uniform(-0.8, 0.8) for _ in range(8)]
        score_rows, planned = [], []
        last_active = {}
        for position, (entry_id, judge_id) in enumerate(pairs):
            is_submitted = position < submitted
            rubric, criteria = self.rubrics[(round.pk, entry_of[entry_id].track_id)]
            values = [
                (
                    criterion.min_score
                    + criterion.step
                    * _value_index(
                        rng, criterion, self.quality[entry_id], self.leniency[judge_id], offsets[index],
                        self.spread[judge_id],
                    )
                ).quantize(CENT)
                for index, criterion in enumerate(criteria)
            ]
            if not is_submitted:
                values[-1] = None
            moment = times[position]
            score_rows.append(
                {
                    "round_id": round.pk,
                    "entry_id": entry_id,
                    "judge_id": judge_id,
                    "rubric_id": rubric.pk,
                    "status": ScoreStatus.SUBMITTED if is_submitted else ScoreStatus.DRAFT,
                    "total": self.totals(rubric.pk, criteria, values) if is_submitted else None,
                    "comment": rng.choice(OVERALL_COMMENTS),
                    "version": 1,
                    "created_at": moment,
                    "updated_at": moment,
                    "submitted_at": moment if is_submitted else None,
                }
            )
            planned.append((rubric, criteria, values))
            last_active[judge_id] = moment
        score_ids = insert(Score, score_rows, ids=True)
        self.clock.lap(f"round {round.position}: scores", f"{len(score_ids):,} scores")

        head = LedgerHead.objects.select_for_update().get(competition=self.competition)
        sequence, previous = head.last_sequence, head.last_hash
        criterion_rows, ledger_rows = [], []
        for score_id, row, (rubric, criteria, values) in zip(score_ids, score_rows, planned, strict=True):
            criterion_rows += [
                {"score_id": score_id, "criterion_id": criterion.pk, "value": value, "comment": ""}
                for criterion, value in zip(criteria, values, strict=True)
            ]
            # As judging.scoring.save_score appends it (_ledger_content); only str/int/None inside, so the stored
            # JSON hashes as written.
            content = {
                "score": score_id,
                "round": round.pk,
                "entry": row["entry_id"],
                "entry_number": entry_of[row["entry_id"]].number,
                "judge": row["judge_id"],
                "rubric": rubric.pk,
                "rubric_version": rubric.version,
                "status": str(row["status"]),
                "version": 1,
                "total": str(row["total"]) if row["total"] is not None else None,
                "values": {
                    criterion.key: _number(value) if value is not None else None
                    for criterion, value in zip(criteria, values, strict=True)
                },
                "comments": {},
                "comment": row["comment"],
            }
            kind = LedgerKind.SCORE_SUBMITTED if row["status"] == ScoreStatus.SUBMITTED else LedgerKind.SCORE_CREATED
            sequence += 1
            digest = ledger.row_hash(
                previous_hash=previous, competition_id=self.competition.pk, sequence=sequence, kind=kind,
                actor_id=row["judge_id"], created_at=row["created_at"], content=content,
            )
            ledger_rows.append(
                {
                    "competition_id": self.competition.pk,
                    "sequence": sequence,
                    "kind": kind,
                    "actor_id": row["judge_id"],
                    "created_at": row["created_at"],
                    "content": content,
                    "previous_hash": previous,
                    "hash": digest,
                }
            )
            previous = digest
        insert(CriterionScore, criterion_rows)
        insert(LedgerEntry, ledger_rows)
        head.last_sequence, head.last_hash = sequence, previous
        head.save(update_fields=["last_sequence", "last_hash"])
        if pairs:
            Rubric.objects.filter(round=round, frozen_at__isnull=True).update(frozen_at=times[0])
        memberships = list(PanelMembership.objects.filter(round=round, judge_id__in=list(last_active)))
        for membership in memberships:
            membership.last_active_at = last_active[membership.judge_id]
        PanelMembership.objects.bulk_update(memberships, ["last_active_at"], batch_size=1000)
        self.clock.lap(
            f"round {round.position}: criterion values, ledger",
            f"{len(criterion_rows):,} criterion values, ledger to row {sequence:,}",
        )

    def _analyse(self):
        """Fresh planner statistics before the ranking queries (autovacuum would get there later)."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for model in (Entry, RoundEntry, Assignment, Score, CriterionScore, Conflict):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self.clock.lap("analyse")

    # -- results of round 1

    def _advance(self):
        first = self.rounds[0]
        per_unit = max(1, round(len(self.round_entries) * ADVANCE_SHARE / len(self.units)))
        decisions = advancement.advance(round=first, actor=self.organizer, top_k_per_unit=per_unit)
        advanced = sum(1 for decision in decisions if decision.outcome == "advanced")
        self.clock.lap("round 1: advancement", f"top {per_unit} per unit: {advanced:,} advanced")

    def _publish_first(self):
        first = self.rounds[0]
        published_at = self.now - timedelta(days=4)
        version = versions.prepare_version(round=first, actor=self.organizer)
        self.clock.lap("round 1: result prepared", f"{len(version.ranking):,} ranked")
        version.notice_ends_at = self.now + timedelta(days=3)
        version.save(update_fields=["notice_ends_at"])
        version = versions.publish_version(version=version, actor=self.organizer, now=published_at)
        # The result emails are recorded as sent (nobody is emailed); publish_version's queueing after commit then
        # finds every row there and queues nothing.
        ids = notifications.create_notifications(version)
        ResultNotification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.SENT, attempts=1, sent_at=published_at
        )
        self.version = version
        self.clock.lap("round 1: result published", f"{len(ids):,} result emails recorded as sent")

    # -- rounds 2 and 3

    def _second_round(self):
        rng, second = self.rng, self.rounds[1]
        panel = self.judges[:SECOND_ROUND_PANEL]
        self._seat(second, panel, second.opens_at - timedelta(hours=6))
        entry_ids = sorted(RoundEntry.objects.filter(round=second).values_list("entry_id", flat=True))
        judge_ids = [judge.pk for judge in panel]
        plan, _new = _deal(
            rng, entry_ids=entry_ids, judge_ids=judge_ids, per_entry=SECOND_ROUND_JUDGES_PER_ENTRY,
            special=judge_ids[0], special_load=SPECIAL_JUDGE_LOAD, known=self.conflicts,
        )
        self._assign(second, plan)
        pairs = [(entry_id, judge_id) for entry_id in entry_ids for judge_id in plan[entry_id]]
        submitted = round(len(pairs) * SECOND_ROUND_SUBMITTED)
        drafts = round(len(pairs) * SECOND_ROUND_DRAFTS)
        self._score(second, pairs, submitted=submitted, drafts=drafts, start=second.opens_at, end=self.now)

    def _final_panel(self):
        final = self.rounds[2]
        self._seat(final, self.judges[:FINAL_PANEL], self.now - timedelta(days=1))
        self.clock.lap("round 3: panel", f"{min(FINAL_PANEL, len(self.judges))} judges, no entries yet")


def refuse_in_production():
    """seed_scale creates accounts with a published password, like seed_demo: development (DEBUG) only."""
    if not settings.DEBUG:
        raise ScaleSeedRefused(
            _("seed_scale creates accounts with a published password, so it refuses to run with DEBUG off.")
        )

