"""The access matrix's world: one competition with everything a URL of the portal can point at, a second
competition with its own judge and organizer, and the ten roles that request every URL.

Everything is built once per test module inside one transaction that the module fixture rolls back at the end
(see test_access_matrix.py), so the world is made with factories and the portal's services, never committed.
"""

import io
import time
from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.internal.flows import login as allauth_login
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from judging import advancement, objections, versions
from judging.models import (
    AwardCategory,
    Conflict,
    ConflictDeclaration,
    Invitation,
    Nomination,
    RoundEntry,
)
from portal.models import CompetitionStatus, Role
from submissions import tus
from submissions.models import CoOwner, Credit, Upload
from tests.factories import (
    AssignmentFactory,
    CompetitionFactory,
    PanelMembershipFactory,
    RoleFactory,
    RoundFactory,
    RubricFactory,
    UnitFactory,
    UserFactory,
    eligible_entry,
    submitted_score,
)
from tests.hardening.access_table import ROLES
from tests.judging.judge_support import make_document, make_image, make_score, make_video
from tests.submissions.entrant_support import image_bytes

# The roles whose pages need MFA (a competition role of any kind): they are signed in with an authenticator.
STAFF_ROLES = frozenset(
    {"judge_assigned", "judge_unassigned", "judge_conflicted", "judge_other", "organizer_other", "organizer"}
)


@dataclass
class World:
    users: dict  # role -> User (no "anonymous")
    params: dict  # URL keyword -> value, for the URLs of the main competition
    objects: dict = field(default_factory=dict)

    def identities(self):
        """{text: roles that may read it} for who the people behind the entries are (names and addresses).
        Judging is blind and entrants do not learn about each other: only the person, whoever shares the entry
        with them, and the competition's organizer may see them."""
        shared = {"entrant_a": {"coowner"}, "coowner": {"entrant_a"}}
        private = {}
        for role in ("entrant_a", "entrant_b", "coowner"):
            viewers = frozenset({role, "organizer", *shared.get(role, ())})
            user = self.users[role]
            private[user.email] = private[user.display_name] = viewers
        return private


def _png(name="evidence.png"):
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def build_world() -> World:
    now = timezone.now()
    competition = CompetitionFactory(slug="matrix", status=CompetitionStatus.JUDGING)
    unit_a = UnitFactory(competition=competition, slug="street", name_zh="街头巷尾", name_en="Street Life", position=1)
    unit_b = UnitFactory(competition=competition, slug="silver", name_zh="银发时光", name_en="Silver Years", position=2)

    users = {
        role: UserFactory(email=f"{role.replace('_', '-')}@example.com", display_name=f"Person-{role}")
        for role in ROLES
        if role != "anonymous"
    }
    organizer = users["organizer"]
    organizer_role = RoleFactory(competition=competition, user=organizer, role=Role.ORGANIZER)
    # A second organizer, so that removing one from the team is possible at all.
    co_organizer = RoleFactory(competition=competition, user=UserFactory(email="co-organizer@example.com"))

    # Entrant A's entry: a co-owner, credits, documents, a poster, a trailer and an episode, an upload in progress.
    entry_a = eligible_entry(unit_a, owner=users["entrant_a"], title="甲的作品", title_en="A's work")
    coowner = CoOwner.objects.create(
        entry=entry_a, email=users["coowner"].email, user=users["coowner"], invited_by=users["entrant_a"]
    )
    Credit.objects.create(entry=entry_a, role="screenwriter", name="甲编剧", user=users["coowner"])
    poster = make_image(entry_a, kind="poster_vertical")
    script = make_document(entry_a, kind="script", original_name="script.pdf")
    trailer = make_video(entry_a, slot="trailer", original_name="trailer.mp4")
    trailer.thumbnails = ContentFile(image_bytes(160, 90, fmt="JPEG", exif=False), name="thumbnails.jpg")
    trailer.save(update_fields=["thumbnails"])
    episode = make_video(entry_a, slot="episode-1")
    upload = Upload.objects.create(
        user=users["entrant_a"], entry=entry_a, slot="episode-2", filename="第2集.mp4", length=1000, offset=10,
        expires_at=now + timedelta(days=1),
    )
    # Entrant B owns nothing of A's.
    entry_b = eligible_entry(unit_b, owner=users["entrant_b"], title="乙的作品", title_en="B's work")

    # Round 1 (closed): both entries scored, advanced, an award won by A; version 1 published with A listed.
    round1 = RoundFactory(
        competition=competition, position=1, opens_at=now - timedelta(days=10), closes_at=now - timedelta(days=1)
    )
    RubricFactory(round=round1)
    scorer = UserFactory(email="scorer@example.com", display_name="Judge Wu")
    for entry, value in ((entry_a, 9), (entry_b, 8)):
        RoundEntry.objects.create(round=round1, entry=entry)
        AssignmentFactory(round=round1, entry=entry, judge=scorer)
        submitted_score(
            round=round1, entry=entry, judge=scorer, values={"story": value, "craft": value}, comments={"craft": "ok"}
        )
    # Round 2 (below) exists before round 1 advances: advancing puts the entries on its list.
    round2 = RoundFactory(
        competition=competition, position=2, kind="final", name_zh="终评", name_en="Final", live_final=True
    )
    RubricFactory(round=round2)
    decisions = advancement.advance(round=round1, actor=organizer, top_k_per_unit=1)
    award = AwardCategory.objects.create(
        competition=competition, slug="best-work", name_zh="年度最佳作品", name_en="Best Work", position=1
    )
    # Made directly: nominations normally come from the final round, and round 2 (below) is the last one here.
    nomination = Nomination.objects.create(
        category=award, round=round1, entry=entry_a, is_winner=True, citation_zh="好", citation_en="Good",
        created_by=organizer,
    )
    version = versions.prepare_version(round=round1, actor=organizer)
    version.notice_ends_at = now + timedelta(days=7)
    version.save(update_fields=["notice_ends_at"])
    version = versions.publish_version(version=version, actor=organizer)
    objection = objections.lodge_objection(
        version=version, entry=entry_a, author=users["entrant_b"], text="评分有误", evidence=_png(), notify=False
    )

    # Round 2 (open): A's entry assigned to one judge and scored; a judge on the panel with nothing assigned; a
    # judge with a declared conflict on A's entry; a pending invitation.
    for entry in (entry_a, entry_b):
        RoundEntry.objects.get_or_create(round=round2, entry=entry)
    memberships = {
        role: PanelMembershipFactory(round=round2, judge=users[role])
        for role in ("judge_assigned", "judge_unassigned", "judge_conflicted")
    }
    assignment = AssignmentFactory(round=round2, entry=entry_a, judge=users["judge_assigned"])
    make_score(assignment)
    round2.live_entry = entry_a
    round2.save(update_fields=["live_entry"])
    declaration = ConflictDeclaration.objects.create(
        competition=competition, judge=users["judge_conflicted"], kind="entry", entry=entry_a, reason="亲属"
    )
    conflict = Conflict.objects.create(
        competition=competition, judge=users["judge_conflicted"], entry=entry_a, source="declared",
        basis="test", declaration=declaration,
    )
    invitation = Invitation.objects.create(
        round=round2, email="invited@example.com", invited_by=organizer, expires_at=now + timedelta(days=7)
    )

    # A second competition with its own organizer and a judge on its own round.
    other = CompetitionFactory(slug="matrix-other")
    RoleFactory(competition=other, user=users["organizer_other"], role=Role.ORGANIZER)
    other_round = RoundFactory(competition=other, position=1)
    RubricFactory(round=other_round)
    PanelMembershipFactory(round=other_round, judge=users["judge_other"])

    params = {
        "slug": competition.slug,
        "unit_id": unit_a.pk,
        "kind": "work",
        "membership_id": co_organizer.pk,
        "entry_id": entry_a.pk,
        "step": "basics",
        "material_id": poster.pk,
        "coowner_id": coowner.pk,
        "upload_id": upload.pk,
        "video_id": trailer.pk,
        "version_id": version.pk,
        "number": entry_a.number,
        "award": award.slug,
        "objection_id": objection.pk,
        "token": invitation.token,
        "declaration_id": declaration.pk,
        "round_id": round2.pk,
        "conflict_id": conflict.pk,
        "invitation_id": invitation.pk,
        "assignment_id": assignment.pk,
        "decision_id": decisions[0].pk,
        "what": "scores",
        "fmt": "csv",
        "category_id": award.pk,
        "nomination_id": nomination.pk,
        # allauth and admin: made-up keys (their pages answer them), real object ids.
        "key": "not-a-real-key",
        "uidb36": "1",
        "app_label": "portal",
        "object_id": str(users["entrant_a"].pk),
        "id": str(users["entrant_a"].pk),
        "content_type_id": str(ContentType.objects.get_for_model(users["entrant_a"]).pk),
        "url": "no-such-page/",
    }
    # A few URLs take their ids from round 1 (results live there) or from a panel membership, not a team role.
    overrides = {
        "judging:panel_drop": {"membership_id": memberships["judge_unassigned"].pk},
        "judging:panel_expertise": {"membership_id": memberships["judge_unassigned"].pk},
        "judging:entry_material": {"material_id": script.pk},
        "judging:entry_material_thumbnail": {"material_id": poster.pk},
        "judging:entry_video_preview": {"video_id": episode.pk},
        "judging:entry_video_poster": {"video_id": episode.pk},
        "judging:watch": {"video_id": episode.pk},
        **{
            name: {"round_id": round1.pk}
            for name in (
                "judging:decision_override",
                "judging:version_detail",
                "judging:version_schedule",
                "judging:version_publish",
                "judging:version_revise",
                "judging:version_finalise",
                "judging:notifications_retry",
                "judging:objection_answer",
            )
        },
        "submissions:material_delete": {"material_id": script.pk},
        "submissions:material_upload": {"kind": "stills"},
        "submissions:video_delete": {"video_id": episode.pk},
    }
    return World(
        users=users,
        params=params,
        objects={
            "competition": competition,
            "other": other,
            "entry_a": entry_a,
            "entry_b": entry_b,
            "round1": round1,
            "round2": round2,
            "version": version,
            "organizer_role": organizer_role,
            "overrides": overrides,
        },
    )


def stage_upload(world: World):
    """The staging file of A's upload in progress (tus reads its offset from it; DELETE removes it)."""
    path = tus.staging_path(world.params["upload_id"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)


def mfa_authenticate(world: World):
    """Give every staff role a TOTP authenticator, as `mfa_activate_totp` does (allauth's own TOTP.activate)."""
    for role in STAFF_ROLES:
        TOTP.activate(world.users[role], generate_totp_secret())
        RecoveryCodes.activate(world.users[role])


def client_for(world: World, role: str) -> Client:
    """A client signed in as `role`; staff roles also carry allauth's record of a password + TOTP sign-in, as
    after allauth's login stage and its 2FA stage (account.internal.flows.login.record_authentication)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if role == "anonymous":
        return client
    user = world.users[role]
    client.force_login(user)
    session = client.session
    records = [{"method": "password", "at": time.time(), "email": user.email}]
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is not None:
        records.append({"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"})
    session[allauth_login.AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[allauth_login._AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    return client
