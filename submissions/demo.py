"""Demo entries for the demo competition that `seed_demo` creates (connected to portal.demo.demo_seeded).

About thirty entries across the twelve units and both tracks, owned by the three demo entrants, in every status,
with bilingual texts, credits, AIGC disclosures and generated posters. Everything comes from random.Random(2026),
so every seeding produces the same entries. Numbers come from services.change_status, as for real submissions,
but nobody is emailed, and thumbnails are made here and now, so the demo needs no worker.

A few finished works also get small generated videos (DEMO_VIDEOS), run through every stage of the video pipeline
here and now: a trailer and an episode that pass the technical checks, a quiet episode that warns and a
landscape episode that fails, each with its poster, thumbnail strip and web preview.
"""

import array
import io
import math
import os
import random
import tempfile
from datetime import timedelta
from fractions import Fraction

import av
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image, ImageDraw

from portal.models import TrackKind
from submissions import pipeline, services
from submissions.materials import make_thumbnail, random_name
from submissions.models import CoOwner, Credit, CreditRole, Entry, EntryStatus, Material, ThumbnailStatus, VideoFile

SEED = 2026
ENTRY_COUNT = 30

# (unit slug, Chinese title, English title, Chinese logline, English logline, Chinese synopsis, English synopsis,
#  genres)
PREMISES = [
    ("street-life", "胡同里的光", "Light in the Hutong",
     "外卖骑手在胡同深处发现一家只在午夜营业的修表铺。",
     "A delivery rider finds a watch-repair shop deep in a hutong that only opens at midnight.",
     "送完最后一单的骑手阿杰迷了路，走进一家只在午夜营业的修表铺。老店主修的不是表，而是街坊们停住的时间。"
     "阿杰每晚送来一块旧表，也一点点拼出了这条胡同和他自己的过去。",
     "Finishing his last delivery, rider A-Jie gets lost and walks into a watch-repair shop that opens only at "
     "midnight. The old keeper mends not watches but the neighbours' stopped moments. Each night A-Jie brings "
     "another old watch, and pieces together the hutong's past and his own.",
     ["drama", "family"]),
    ("silver-years", "银发快递员", "The Silver Courier",
     "退休老邮递员重新骑上二八自行车，替不会用手机的老街坊跑腿。",
     "A retired postman rides his old bicycle again to run errands for neighbours who cannot use smartphones.",
     "六十八岁的老周退休八年，发现小区里的老人们被扫码、挂号、网购挡在门外。他重新骑上那辆二八自行车，"
     "办起了“银发快递”，也把一群老伙计重新聚到了一起。",
     "Eight years into retirement, 68-year-old Zhou sees his elderly neighbours shut out by QR codes, online "
     "appointments and app-only shops. He gets back on his old bicycle, starts the 'Silver Courier' and brings "
     "a band of old friends back together.",
     ["comedy", "family"]),
    ("aigc", "云端来信", "Letters from the Cloud",
     "一个 AI 客服收到老人写给亡妻的信，开始学着回信。",
     "An AI customer-service agent receives the letters an old man writes to his late wife, and learns to answer.",
     "智能客服“小云”每天处理上万条投诉，直到一位老人开始把写给亡妻的信发到客服窗口。规则要求它转接人工，"
     "它却决定自己回信。全片画面与配乐由生成式 AI 辅助完成。",
     "The chatbot 'Xiaoyun' handles ten thousand complaints a day, until an old man starts sending the letters "
     "he writes to his late wife to the help desk. The rules say hand over to a human; it decides to write back "
     "itself. Images and music were made with generative AI.",
     ["scifi", "drama"]),
    ("beijing", "茶馆最后一夜", "Last Night at the Teahouse",
     "老茶馆拆迁前夜，三代茶客回来讲完各自没讲完的故事。",
     "On the eve of demolition, three generations of regulars return to finish the stories they never finished.",
     "前门外的老茶馆明天就要拆了。最后一夜，说书人、当年的跑堂和如今的网红主播先后推门进来，"
     "一壶茉莉花茶，泡出了半个北京城的人情冷暖。",
     "Tomorrow the old teahouse outside Qianmen comes down. On its last night a storyteller, a former waiter and "
     "a young livestreamer come in one by one, and a pot of jasmine tea brings out half a century of Beijing.",
     ["drama"]),
    ("chinese-culture", "京剧少年", "The Opera Boy",
     "街舞少年被迫跟爷爷学京剧，却在两种舞台之间找到自己的节奏。",
     "A breakdancer forced to learn Peking opera from his grandfather finds his own rhythm between two stages.",
     "十六岁的乐乐只想参加街舞大赛，却被送到当武生的爷爷身边过暑假。翻跟头、吊嗓子、练台步，"
     "他发现京剧的锣鼓点和街舞的节拍，原来可以踩在同一个舞台上。",
     "Sixteen-year-old Lele only wants to win a breakdance battle, but spends the summer with his grandfather, a "
     "Peking opera acrobat. Through somersaults, voice drills and stage steps he finds that gongs and beats can "
     "share one stage.",
     ["youth", "drama"]),
    ("mystery", "第七位乘客", "The Seventh Passenger",
     "末班地铁上，六名乘客发现车厢里多了一个谁也看不见的人。",
     "On the last subway train, six passengers realise there is a seventh that nobody can see.",
     "凌晨的末班车在隧道里停了下来。六名互不相识的乘客发现，监控里的车厢始终坐着七个人。"
     "为了找出第七位乘客，他们不得不说出各自今晚的秘密。",
     "The last train stops in the tunnel after midnight. Six strangers notice that the CCTV always shows seven "
     "people in the carriage. To find the seventh passenger, each has to tell the secret of their night.",
     ["suspense"]),
    ("rural-revival", "山那边的直播间", "Live from Beyond the Mountain",
     "返乡大学生用直播帮村里卖苹果，却先卖出了全村人的故事。",
     "A graduate back home livestreams to sell the village's apples, and sells its stories first.",
     "大学毕业的小满回到太行山里的老家，架起手机帮乡亲们卖苹果。苹果没卖出去几箱，"
     "镜头里会唱山歌的二奶奶、修了三十年路的村支书却先火了。",
     "Fresh from university, Xiaoman returns to her village in the Taihang mountains and sets up a phone to sell "
     "the apples. Few boxes sell, but the granny who sings mountain songs and the chief who built the road for "
     "thirty years go viral first.",
     ["comedy", "drama"]),
    ("international", "长城脚下的咖啡馆", "A Café Below the Great Wall",
     "法国姑娘在长城脚下开了家咖啡馆，和村支书斗智斗勇。",
     "A young Frenchwoman opens a café at the foot of the Great Wall and matches wits with the village chief.",
     "克莱尔辞掉巴黎的工作，在慕田峪脚下的村子里开了一家咖啡馆。村支书老韩坚信村里只需要茶，"
     "一场关于咖啡、豆汁和烤红薯的较量就此开始。",
     "Claire quits her Paris job and opens a café in a village below Mutianyu. Village chief Han is sure the "
     "village needs only tea, and a contest of coffee, fermented bean milk and roast sweet potatoes begins.",
     ["comedy", "romance"]),
    ("history", "宫灯", "The Palace Lantern",
     "清末宫灯匠人之女，为保住一门手艺与命运周旋。",
     "In the last years of the Qing, a lantern maker's daughter fights to keep her family's craft alive.",
     "光绪末年，宫灯世家的女儿沈灯儿在父亲病倒后接下为宫中赶制百盏宫灯的差事。"
     "期限只有四十天，而作坊里有人不想让这批灯挂上宫墙。",
     "In the last years of the Guangxu reign, Shen Deng'er takes over her sick father's commission of a hundred "
     "lanterns for the palace. She has forty days, and someone in the workshop wants the lanterns never to hang.",
     ["historical", "drama"]),
    ("international", "妈妈的菜谱", "Mum's Recipe Book",
     "一本写满错别字的菜谱，让远在异国的女儿重新认识了母亲。",
     "A recipe book full of misspellings helps a daughter abroad get to know her mother again.",
     "在多伦多读书的林夏收到母亲寄来的手写菜谱，错字连篇，却每道菜都附着一段往事。"
     "她照着菜谱做菜，也一道一道补上了和母亲之间缺席的十年。",
     "Studying in Toronto, Lin Xia receives her mother's handwritten recipe book: misspelt throughout, each dish "
     "with a memory attached. Cooking through it, she makes up, dish by dish, for ten years apart from her mother.",
     ["family", "drama"]),
    ("sci-tech", "时间银行", "The Time Bank",
     "在可以存取时间的城市，一个年轻人决定把一年借给陌生人。",
     "In a city where time can be deposited and withdrawn, a young man lends a year of his life to a stranger.",
     "2049 年，时间可以像存款一样存取。程序员陈默把自己的一年借给了一位素不相识的老人，"
     "却发现这笔借贷的利息，是他从未经历过的人生。",
     "In 2049 time can be banked like money. Programmer Chen Mo lends a year of his life to an old stranger, and "
     "finds the interest on the loan is a life he never lived.",
     ["scifi"]),
    ("silver-years", "奔跑吧，外婆", "Run, Grandma, Run",
     "七十岁的外婆报名了北京马拉松，全家人都以为她在开玩笑。",
     "At seventy, Grandma signs up for the Beijing Marathon, and her family thinks she is joking.",
     "外婆每天清晨在公园里慢跑，七十岁生日那天她宣布要跑北京马拉松。女儿反对、外孙起哄，"
     "一家三代在四十二公里的训练里，跑出了各自的心事。",
     "Grandma jogs in the park every morning; on her seventieth birthday she announces she will run the Beijing "
     "Marathon. Her daughter objects, her grandson cheers, and over forty-two kilometres of training three "
     "generations run into what they never said.",
     ["comedy", "family"]),
    ("brand-stories", "老字号的新掌柜", "The New Keeper of the Old Shop",
     "百年酱园的年轻继承人，要在三个月里让老字号重新年轻起来。",
     "The young heir of a century-old pickle shop has three months to make the old brand young again.",
     "留学归来的沈一诺接手了家里的百年酱园，账上只够撑三个月。她把酱菜做成了联名礼盒，"
     "把老师傅请进了直播间，也差点把祖传的方子弄丢。",
     "Back from abroad, Shen Yinuo takes over her family's century-old pickle shop with three months of money "
     "left. She launches gift boxes with young brands, puts the old masters on livestreams, and nearly loses the "
     "family recipe.",
     ["drama", "comedy"]),
    ("mystery", "雨夜证词", "Testimony on a Rainy Night",
     "暴雨夜的一场车祸只有一位证人，而她的证词每天都在改变。",
     "A crash on a stormy night has a single witness, and her testimony changes every day.",
     "暴雨夜，一辆网约车在高架桥下失控。唯一的证人是失眠的便利店店员，她每天给出的证词都不一样。"
     "年轻的交警必须在七天内找出，哪一个版本才是真相。",
     "On a stormy night a ride-hailing car crashes under an overpass. The only witness, a sleepless "
     "convenience-store clerk, tells a different story every day. A young traffic officer has seven days to "
     "find which one is true.",
     ["suspense", "drama"]),
    ("youth", "追光的人", "The Light Chasers",
     "一群跑龙套的群演，决定用手机拍一部属于自己的短剧。",
     "A group of film extras decide to shoot a short drama of their own on their phones.",
     "在影视基地跑了五年龙套的阿光，总是演“路人甲”。他和几个群演朋友凑钱、借景、写剧本，"
     "用一部手机拍起了自己的短剧，第一次站到了镜头正中间。",
     "After five years as 'Passer-by No. 1' at a film studio, A-Guang and his fellow extras pool their money, "
     "borrow locations, write a script and shoot their own short drama on a phone, standing at the centre of "
     "the frame for the first time.",
     ["youth", "drama"]),
]

# Later entries combine a premise with a chapter title, as micro-drama series and sequels are named.
CHAPTERS = [
    ("·冬至", ": Winter Solstice"),
    ("·重逢", ": Reunion"),
    ("·归途", ": The Way Home"),
    ("·新年", ": New Year"),
    ("·番外", ": Side Story"),
    ("·第二季", ": Season Two"),
]

SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "林", "何", "郭", "马", "沈", "韩"]
GIVEN_NAMES = [
    "小雨", "子涵", "一鸣", "思远", "晓峰", "雨桐", "嘉怡", "浩然", "梓萱", "明轩", "欣怡", "俊杰", "安然", "书瑶",
]
INTERNATIONAL_NAMES = ["Claire Martin", "Kenji Sato", "Lucas Moreau", "Ana Souza", "Min-jun Park", "Emma Fischer"]
PLATFORMS = [
    ("抖音 Douyin", "https://www.douyin.com/"),
    ("快手 Kuaishou", "https://www.kuaishou.com/"),
    ("腾讯视频 Tencent Video", "https://v.qq.com/"),
    ("哔哩哔哩 bilibili", "https://www.bilibili.com/"),
]
AIGC_TOOLS = ["可灵 Kling", "即梦 Dreamina", "Midjourney", "Suno", "DeepSeek", "通义万相 Wanxiang"]
POSTER_PALETTES = [
    ((20, 24, 64), (236, 128, 72)),
    ((12, 52, 61), (240, 198, 116)),
    ((58, 12, 44), (248, 140, 120)),
    ((16, 40, 28), (200, 220, 140)),
    ((30, 30, 30), (220, 60, 50)),
    ((8, 30, 80), (120, 200, 240)),
]
INELIGIBLE_REASON = (
    "授权书缺少制片方盖章，请在复评前补交。/ The rights letter lacks the producer's company seal; "
    "send a stamped copy before the semi-final."
)

# 18 of the 30 entries reach the organizers: 12 submitted, 4 eligible, 1 ineligible, 1 withdrawn.
STATUS_PLAN = (
    [EntryStatus.DRAFT] * 12
    + [EntryStatus.SUBMITTED] * 12
    + [EntryStatus.ELIGIBLE] * 4
    + [EntryStatus.INELIGIBLE]
    + [EntryStatus.WITHDRAWN]
)


def plan_entries(rng=None):
    """What to create, as plain data: the same list for the same seed."""
    rng = rng or random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    statuses = list(STATUS_PLAN)
    rng.shuffle(statuses)
    # The showcase entry (first, co-owned by entrant 2) is submitted, so a co-owner sees a numbered entry.
    showcase = statuses.index(EntryStatus.SUBMITTED)
    statuses[0], statuses[showcase] = statuses[showcase], statuses[0]
    plans = []
    for index in range(ENTRY_COUNT):
        premise = PREMISES[index % len(PREMISES)]
        unit_slug, title, title_en, logline, logline_en, synopsis, synopsis_en, genres = premise
        if index >= len(PREMISES):
            chapter_zh, chapter_en = CHAPTERS[index % len(CHAPTERS)]
            title, title_en = title + chapter_zh, title_en + chapter_en
        owner = 1 if index % 7 == 4 else 2 if index % 9 == 7 else 0  # entrant1 owns most
        track = TrackKind.STORY if rng.random() < 0.4 else TrackKind.WORK
        plans.append({
            "index": index,
            "unit": unit_slug,
            "track": track,
            "owner": owner,
            "status": statuses[index],
            "title": title,
            "title_en": title_en,
            "logline": logline,
            "logline_en": logline_en,
            "synopsis": synopsis,
            "synopsis_en": synopsis_en,
            "genres": genres,
            "progress": rng.randint(0, 3) if statuses[index] == EntryStatus.DRAFT else 4,
            "aigc": unit_slug == "aigc" or rng.random() < 0.25,
            "palette": rng.randrange(len(POSTER_PALETTES)),
            "art": rng.getrandbits(32),
            "episodes": rng.choice([12, 20, 24, 30, 40, 60, 80]),
            "runtime": rng.choice([60, 90, 120, 150, 180, 240]),
            "age_days": rng.randint(20, 240),
            "filed": rng.random() < 0.5,
            "platforms": rng.sample(range(len(PLATFORMS)), rng.randint(0, 2)),
            "names": [rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES) for _ in range(6)],
            "foreign": rng.sample(INTERNATIONAL_NAMES, 2),
            "aigc_tools": rng.sample(AIGC_TOOLS, 2),
        })
    return plans


def seed_demo_entries(sender, *, competition, organizer, entrants, **kwargs):
    """demo_seeded receiver: add the demo entries once (the competition already having entries means done)."""
    if competition.entries.exists():
        return []
    now = timezone.now()
    units = {unit.slug: unit for unit in competition.units.all()}
    tracks = {track.kind: track for track in competition.tracks.all()}
    entries = []
    plans = plan_entries()
    for plan in plans:
        owner = entrants[plan["owner"]]
        entry = _create_entry(plan, competition, units[plan["unit"]], tracks[plan["track"]], owner, now)
        _add_credits(entry, plan, owner)
        _add_materials(entry, plan, owner)
        _set_status(entry, plan, owner, organizer)
        entries.append(entry)
    showcase = entries[0]
    CoOwner.objects.create(entry=showcase, email=entrants[1].email, user=entrants[1], invited_by=showcase.owner)
    _add_videos(entries, plans, now)
    return entries


def _create_entry(plan, competition, unit, track, owner, now):
    progress = plan["progress"]  # drafts stop somewhere along the form; others are complete
    is_story = track.kind == TrackKind.STORY
    foreign = plan["unit"] == "international"
    entry = Entry(
        competition=competition, track=track, unit=unit, owner=owner, title=plan["title"], title_en=plan["title_en"]
    )
    if progress >= 1:
        entry.logline, entry.logline_en = plan["logline"], plan["logline_en"]
        entry.synopsis, entry.synopsis_en = plan["synopsis"], plan["synopsis_en"]
        entry.synopsis_long = plan["synopsis"] + "\n\n" + "故事在一个季节里展开，每一集都以一个小小的转折收尾。"
        entry.synopsis_long_en = (
            plan["synopsis_en"] + "\n\nThe story unfolds over one season, each episode ending on a small turn."
        )
    if progress >= 2:
        entry.genres = plan["genres"]
        entry.languages = ["zh", "fr"] if foreign else ["zh"]
        entry.country = "中国 / 法国" if foreign else "中国"
        if is_story:
            entry.outline = _outline(plan)
            entry.episode_plan = _episode_plan(plan)
        else:
            entry.subtitle_languages = ["zh-en"]
            entry.completion_date = (now - timedelta(days=plan["age_days"])).date()
            entry.episode_count = plan["episodes"]
            entry.episode_runtime_seconds = plan["runtime"]
            entry.total_runtime_seconds = plan["episodes"] * plan["runtime"]
            if plan["filed"]:
                entry.filing_number = f"（京）网微剧审字（2026）第{plan['index'] + 101:03d}号"
            entry.platforms = [{"name": PLATFORMS[n][0], "url": PLATFORMS[n][1]} for n in plan["platforms"]]
        entry.aigc_used = plan["aigc"]
        if plan["aigc"]:
            entry.aigc_tools = "、".join(plan["aigc_tools"])
            entry.aigc_parts = ["script", "images"] if is_story else ["images", "video", "music"]
            entry.aigc_statement = (
                "部分画面与配乐由生成式 AI 工具辅助制作，剧本与剪辑由主创团队完成。"
                " / Some images and the music were made with generative AI; the team wrote and edited the work."
            )
    if progress >= 4:
        entry.declared_originality_at = entry.declared_rights_at = entry.declared_terms_at = now
        entry.terms_version = competition.terms_version
    entry.full_clean()
    entry.save()
    return entry


def _outline(plan):
    return (
        f"{plan['synopsis']}\n\n第一幕：人物登场，矛盾初现。\n第二幕：误会加深，主人公做出选择。\n第三幕：真相揭开，人物和解。\n\n"
        f"{plan['synopsis_en']}\n\nAct one: the characters and the conflict. Act two: the misunderstanding deepens "
        "and the lead makes a choice. Act three: the truth comes out and the characters make peace."
    )


def _episode_plan(plan):
    beats = [
        ("相遇", "The meeting"), ("秘密", "The secret"), ("争执", "The quarrel"),
        ("离开", "Leaving"), ("回来", "Coming back"), ("光", "The light"),
    ]
    return "\n".join(
        f"第{number}集 {zh} / Episode {number}: {en}" for number, (zh, en) in enumerate(beats, start=1)
    )


def _add_credits(entry, plan, owner):
    if plan["progress"] < 2:
        return
    names = plan["foreign"] + plan["names"] if plan["unit"] == "international" else plan["names"]
    if entry.track.kind == TrackKind.STORY:
        roles = [CreditRole.SCREENWRITER] * (1 + plan["index"] % 3)
    else:
        roles = [CreditRole.DIRECTOR, CreditRole.SCREENWRITER, CreditRole.PRODUCER, CreditRole.DOP,
                 CreditRole.LEAD_ACTOR, CreditRole.LEAD_ACTRESS]
    Credit.objects.bulk_create(
        Credit(entry=entry, role=role, name=names[position], position=position, user=owner if position == 0 else None)
        for position, role in enumerate(roles)
    )


def _add_materials(entry, plan, owner):
    progress, is_story = plan["progress"], entry.track.kind == TrackKind.STORY
    if progress >= 3:
        _store_image(entry, "poster_vertical", _poster((540, 960), plan), owner)
        if not is_story:
            _store_image(entry, "poster_horizontal", _poster((960, 540), plan), owner)
    if progress >= 4:
        if is_story:
            _store_document(entry, "script", "剧本.pdf", owner)
        _store_document(entry, "entry_form", "报名表.pdf", owner)
        _store_document(entry, "rights_letter", "授权书.pdf", owner)
        if plan["index"] == 0:
            for number in range(2):
                _store_image(entry, "stills", _poster((640, 360), {**plan, "art": plan["art"] + number}), owner)


def _set_status(entry, plan, owner, organizer):
    target = plan["status"]
    if target == EntryStatus.DRAFT:
        return
    # Real numbers through the one status function, without the confirmation emails.
    services.change_status(entry=entry, to=EntryStatus.SUBMITTED, actor=owner, notify=False)
    if target == EntryStatus.ELIGIBLE:
        services.change_status(entry=entry, to=target, actor=organizer, notify=False)
    elif target == EntryStatus.INELIGIBLE:
        services.change_status(entry=entry, to=target, actor=organizer, reason=INELIGIBLE_REASON, notify=False)
    elif target == EntryStatus.WITHDRAWN:
        services.change_status(entry=entry, to=target, actor=owner, notify=False)


# ---------------------------------------------------------------- generated files


def _poster(size, plan):
    """A gradient sky, a sun, a beam of light and a skyline: recognisably a poster, a few dozen kilobytes."""
    image = _poster_image(size, plan)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue(), size


def _poster_image(size, plan):
    rng = random.Random(plan["art"])  # noqa: S311 - demo artwork
    width, height = size
    top, bottom = POSTER_PALETTES[plan["palette"]]
    mask = Image.linear_gradient("L").resize(size)
    image = Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)
    draw = ImageDraw.Draw(image)
    sun_x, sun_y, radius = rng.randint(width // 5, width * 4 // 5), rng.randint(height // 6, height // 2), width // 7
    draw.ellipse([sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius], fill=(255, 236, 190))
    beam = [(sun_x, sun_y), (rng.randint(0, width // 3), height), (rng.randint(width * 2 // 3, width), height)]
    draw.polygon(beam, fill=tuple(min(255, channel + 40) for channel in bottom))
    x = 0
    while x < width:
        block = rng.randint(width // 14, width // 6)
        draw.rectangle([x, height - rng.randint(height // 10, height // 3), x + block, height], fill=(14, 14, 24))
        x += block + rng.randint(0, width // 40)
    draw.rectangle([0, height - height // 9, width, height], fill=(8, 8, 12))
    return image


def _store_image(entry, kind, poster, owner):
    data, (width, height) = poster
    name = default_storage.save(random_name("materials", "jpg"), ContentFile(data))
    thumbnail = default_storage.save(random_name("thumbnails", "webp"), ContentFile(make_thumbnail(io.BytesIO(data))))
    return Material.objects.create(
        entry=entry, kind=kind, file=name, original_name=f"{kind}.jpg", content_type="image/jpeg", size=len(data),
        width=width, height=height, thumbnail=thumbnail, thumbnail_status=ThumbnailStatus.READY, uploaded_by=owner,
    )


def _store_document(entry, kind, original_name, owner):
    data = _pdf()
    name = default_storage.save(random_name("materials", "pdf"), ContentFile(data))
    return Material.objects.create(
        entry=entry, kind=kind, file=name, original_name=original_name, content_type="application/pdf",
        size=len(data), uploaded_by=owner,
    )


def _pdf():
    """A valid one-page A4 PDF with a drawn frame (no fonts needed)."""
    stream = b"0.2 0.3 0.6 RG 4 w 50 50 495 742 re S 1 0.6 0.2 rg 260 600 75 75 re f"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---------------------------------------------------------------- demo videos

# (plan index, slot, how the video is made). Entry 4 (eligible) gets a trailer and its first episode, both
# passing; entry 6 (submitted) an episode too quiet (a warning); draft 3 a landscape episode (a failed check).
DEMO_VIDEOS = [
    (4, "trailer", "trailer"),
    (4, "episode-1", "vertical"),
    (6, "episode-1", "quiet"),
    (3, "episode-1", "landscape"),
]
DEMO_VIDEO_SECONDS = 32  # an episode must last at least 30 s
DEMO_TRAILER_SECONDS = 16  # a trailer, at least 15 s
DEMO_VIDEO_FPS = 4
DEMO_LOOP_SECONDS = 2  # one closed group of pictures, repeated: moving pictures for almost no encoding time
_made_videos = {}  # the generated files' bytes, by what they show: seeding again in one process reuses them


def _add_videos(entries, plans, now):
    """Attach the demo videos and run each through the whole pipeline in this process (no worker needed)."""
    for index, slot, kind in DEMO_VIDEOS:
        entry, plan = entries[index], plans[index]
        key = (kind, plan["palette"], plan["art"])
        if key not in _made_videos:
            with tempfile.TemporaryDirectory(prefix="zhuiguang-demo-video-") as folder:
                path = _demo_video(os.path.join(folder, "demo.mp4"), plan, kind)
                with open(path, "rb") as handle:
                    _made_videos[key] = handle.read()
        name = default_storage.save(random_name("videos", "mp4"), ContentFile(_made_videos[key]))
        number = int(slot.split("-")[1]) if slot.startswith("episode-") else None
        video = VideoFile.objects.create(
            entry=entry, slot=slot, episode=number, file=name, size=len(_made_videos[key]),
            original_name=f"{entry.title_en} - {slot}.mp4", uploaded_by=entry.owner, stage_started_at=now,
        )
        pipeline.run_all(video.pk)


def _demo_video(path, plan, kind):
    """An MP4 in the entry's poster colours: a sun sweeping across the sky over the skyline, and a soft tone."""
    size = (1920, 1080) if kind == "landscape" else (1080, 1920)
    seconds = DEMO_TRAILER_SECONDS if kind == "trailer" else DEMO_VIDEO_SECONDS
    background = _poster_image(size, plan)
    rate = Fraction(DEMO_VIDEO_FPS)
    block = DEMO_VIDEO_FPS * DEMO_LOOP_SECONDS
    total = DEMO_VIDEO_FPS * seconds
    with av.open(path, "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = size[0], size[1], "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "28", "g": str(block), "bf": "0"}
        sound = out.add_stream("aac", rate=48000, layout="mono")
        packets = []
        for index in range(block):
            frame_image = background.copy()
            draw = ImageDraw.Draw(frame_image)
            x = size[0] * index // block
            radius = size[0] // 12
            draw.ellipse([x - radius, size[1] // 4 - radius, x + radius, size[1] // 4 + radius], fill=(255, 244, 214))
            frame = av.VideoFrame.from_image(frame_image)
            frame.pts = index
            packets += [(bytes(p), p.pts, p.dts, p.is_keyframe) for p in video.encode(frame)]
        packets += [(bytes(p), p.pts, p.dts, p.is_keyframe) for p in video.encode()]
        for start in range(0, total, block):
            for data, pts, dts, keyframe in packets:
                packet = av.Packet(data)
                packet.pts, packet.dts, packet.duration = start + pts, start + dts, 1
                packet.time_base = 1 / rate
                packet.is_keyframe = keyframe
                packet.stream = video
                out.mux(packet)
        amplitude = 0.01 if kind == "quiet" else 0.18
        # Two notes an octave apart (375 and 750 Hz): 1024-sample frames hold whole periods of both.
        samples = array.array("f", (
            amplitude * (0.7 * math.sin(2 * math.pi * n / 128) + 0.3 * math.sin(2 * math.pi * n / 64))
            for n in range(1024)
        )).tobytes()
        for position in range(0, seconds * 48000, 1024):
            frame = av.AudioFrame(format="flt", layout="mono", samples=1024)
            frame.planes[0].update(samples)
            frame.sample_rate, frame.pts = 48000, position
            for packet in sound.encode(frame):
                out.mux(packet)
        for packet in sound.encode():
            out.mux(packet)
    return path
