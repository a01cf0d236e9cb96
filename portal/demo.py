"""The demo competition that `make run` shows a newcomer. Later issues extend it with entries, scores, results."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from portal import services
from portal.models import Competition, CompetitionStatus, Role, Unit, User

# Sent after the demo competition exists, so the apps above portal can add their own demo data to it.
demo_seeded = Signal()  # kwargs: competition, organizer, judges, entrants

DEMO_SLUG = "lcp-2026-demo"
DEMO_PASSWORD = "lightchasing-demo"
DEMO_ORGANIZER = "organizer@example.com"
DEMO_JUDGES = [f"judge{n}@example.com" for n in range(1, 6)]
DEMO_ENTRANTS = [f"entrant{n}@example.com" for n in range(1, 4)]

# (slug, Chinese name, English name, Chinese description, English description)
DEMO_UNITS = [
    ("street-life", "街头巷尾·人间烟火", "Street Life", "市井生活里的温度与烟火气。",
     "The warmth of everyday city life."),
    ("chinese-culture", "中华文化", "Chinese Culture", "传统文化的当代表达。", "Traditional culture told for today."),
    ("silver-years", "情感暖流·银发乐章", "Warmth · Silver Years", "亲情、友情与银发一代的故事。",
     "Family, friendship and the silver generation."),
    ("sci-tech", "科技奇境", "Sci-Tech Wonder", "科技与想象交汇的奇境。", "Where technology meets imagination."),
    ("international", "国际万象·视野无界", "Worlds Without Borders", "跨越国界的故事。", "Stories that cross borders."),
    ("brand-stories", "品牌故事", "Brand Stories", "有温度的品牌叙事。", "Brand stories with a human heart."),
    ("youth", "青春励志", "Youth & Aspiration", "青春、成长与奋斗。", "Growing up, striving, finding a way."),
    ("rural-revival", "乡村振兴", "Rural Revival", "新时代的乡村与乡亲。", "Villages and villagers of a new era."),
    ("beijing", "京味京韵", "Beijing Flavour", "北京的胡同、方言与人情。", "Beijing's hutongs, dialect and people."),
    ("mystery", "悬疑推理", "Mystery & Suspense", "环环相扣的悬疑故事。", "Tightly plotted mysteries."),
    ("history", "历史传奇", "Historical Legends", "历史人物与传奇故事。", "Figures and legends from history."),
    ("aigc", "AIGC 创新", "AIGC Innovation", "以生成式人工智能创作的作品。", "Works made with generative AI."),
]

DESCRIPTION_ZH = (
    "北京大视听·追光计划是面向全球创作者的微短剧征集活动（本站为演示数据）。"
    "设“好作品”“好故事”两个赛道、十二个主题单元，经初评、复评、终评及现场路演评出年度作品，结果公示后生效。"
)
DESCRIPTION_EN = (
    "The Light-Chasing Plan is an international micro-short drama competition (this is demo data). "
    "It has two tracks — finished works and stories — and twelve thematic units; entries go through a "
    "preliminary, a semi-final and a final round with a live pitch, and results become final after a public notice."
)
RULES_ZH = (
    "1. 参赛作品须为原创，参赛者拥有完整著作权或已获授权。\n"
    "2. 好作品赛道：竖屏 9:16，分辨率不低于 1080×1920，单集 30 秒至 15 分钟。\n"
    "3. 好故事赛道：提交故事大纲、分集梗概及剧本（PDF 或 DOCX）。\n"
    "4. 鼓励使用 AIGC 工具创作，须如实披露所用工具及用途。\n"
    "5. 评审结果公示 7 天，公示期内可提出异议。"
)
RULES_EN = (
    "1. Entries must be original; entrants hold the copyright or have written authorisation.\n"
    "2. Finished works: vertical 9:16, at least 1080×1920, each episode 30 seconds to 15 minutes.\n"
    "3. Stories: an outline, an episode plan and a script (PDF or DOCX).\n"
    "4. AIGC tools are welcome; disclose which tools you used and for what.\n"
    "5. Results are publicly noticed for 7 days, during which anyone may object."
)


def _account(email, *, display_name, staff=False):
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, display_name=display_name, is_staff=staff, is_superuser=staff
        )
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def seed_demo(now=None) -> Competition:
    """Create the demo competition and accounts; running it again changes nothing."""
    existing = Competition.objects.filter(slug=DEMO_SLUG).first()
    if existing:
        return existing
    now = now or timezone.now()
    organizer = _account(DEMO_ORGANIZER, display_name="Demo Organizer", staff=True)
    competition = services.create_competition(
        competition=Competition(
            slug=DEMO_SLUG,
            name_zh="北京大视听·追光计划 2026（演示）",
            name_en="Light-Chasing Plan 2026 (demo)",
            edition_year=2026,
            entry_prefix="LCP2026",
            timezone="Asia/Shanghai",
            description_zh=DESCRIPTION_ZH,
            description_en=DESCRIPTION_EN,
            rules_zh=RULES_ZH,
            rules_en=RULES_EN,
            status=CompetitionStatus.OPEN,
            # The window moves with the clock so the demo is always open for entries.
            submission_opens_at=(now - timedelta(days=30)).replace(minute=0, second=0, microsecond=0),
            submission_closes_at=(now + timedelta(days=45)).replace(hour=15, minute=59, second=0, microsecond=0),
        ),
        creator=organizer,
    )
    for position, (slug, name_zh, name_en, description_zh, description_en) in enumerate(DEMO_UNITS, start=1):
        Unit.objects.create(
            competition=competition,
            slug=slug,
            position=position,
            name_zh=name_zh,
            name_en=name_en,
            description_zh=description_zh,
            description_en=description_en,
            episode_min_seconds=30,
            episode_max_seconds=15 * 60,
        )
    judges = []
    for number, email in enumerate(DEMO_JUDGES, start=1):
        judge = _account(email, display_name=f"Demo Judge {number}")
        services.grant_role(competition=competition, user=judge, role=Role.JUDGE, granted_by=organizer)
        judges.append(judge)
    entrants = [
        _account(email, display_name=f"Demo Entrant {number}") for number, email in enumerate(DEMO_ENTRANTS, start=1)
    ]
    demo_seeded.send(sender=Competition, competition=competition, organizer=organizer, judges=judges,
                     entrants=entrants)
    return competition
