"""What each role gets from each URL of the portal, declared once per URL name (see test_access_matrix.py).

Outcomes: "ok" (2xx: the page, the file), "login" (a redirect to sign-in), "404" (the user may not know it
exists), "405" (the method is not accepted), "redirect" (any other redirect: done, or sent on), "admin_login"
(Django admin's sign-in), "403" (known, but not allowed), other codes as numbers. "a|b" accepts either.

A Spec gives, for GET and for POST (empty data, no CSRF check: this is about authorization), the outcome per
role, and the roles whose POST may write rows (everyone else's requests must write nothing but the session).
"""

from dataclasses import dataclass

ANONYMOUS = "anonymous"
ROLES = (
    ANONYMOUS,
    "entrant_a",
    "entrant_b",
    "coowner",
    "judge_assigned",
    "judge_unassigned",
    "judge_conflicted",
    "judge_other",
    "organizer_other",
    "organizer",
)
SIGNED_IN = frozenset(ROLES) - {ANONYMOUS}
EVERYONE = frozenset(ROLES)
ENTRY_EDITORS = frozenset({"entrant_a", "coowner"})  # A's entry: its owner and co-owner
ENTRY_OWNER = frozenset({"entrant_a"})
FILE_VIEWERS = ENTRY_EDITORS | {"organizer"}  # A's files on the entrant and organizer side
JUDGE_ASSIGNED = frozenset({"judge_assigned"})
PANEL = frozenset({"judge_assigned", "judge_unassigned", "judge_conflicted"})  # on the open round's panel
JUDGES = PANEL | {"judge_other"}
STAFF = JUDGES | {"organizer_other", "organizer"}  # a judge or organizer role somewhere
ORGANIZER = frozenset({"organizer"})
NOBODY = frozenset()


def _set(outcome):
    return frozenset(outcome.split("|"))


def who(allowed, ok="ok", *, others="404", anonymous="login", staff=None):
    """role -> accepted outcomes: `ok` for the allowed roles, `anonymous` for the anonymous visitor, `staff` for
    other staff roles when given (e.g. 405 after the staff check), `others` for everyone else."""
    table = {}
    for role in ROLES:
        if role in allowed:
            table[role] = _set(ok)
        elif role == ANONYMOUS:
            table[role] = _set(anonymous)
        elif staff is not None and role in STAFF:
            table[role] = _set(staff)
        else:
            table[role] = _set(others)
    return table


@dataclass(frozen=True)
class Spec:
    get: dict
    post: dict
    writers: frozenset = NOBODY  # roles whose POST (or other writing method) may write rows
    get_writers: frozenset = NOBODY  # roles whose GET may (a row made on first visit)
    other: dict = None  # method -> role -> outcomes, for URLs also requested with other methods (tus)

    @property
    def methods(self):
        return ("GET", "POST", *(self.other or {}))

    def expect(self, role, method):
        if method in ("GET", "POST"):
            return (self.get if method == "GET" else self.post)[role]
        return self.other[method][role]

    def may_write(self, role, method):
        return role in (self.get_writers if method in ("GET", "HEAD") else self.writers)


def page(allowed, *, post="same", writers=NOBODY, others="404", anonymous="login"):
    """A page for `allowed` (others 404, the anonymous visitor to sign-in); by default POST answers as GET."""
    get = who(allowed, others=others, anonymous=anonymous)
    if post == "same":
        post_table = get
    elif post == "405":
        post_table = who(NOBODY, others="405", anonymous=anonymous)
    else:
        post_table = who(allowed, post, others=others, anonymous=anonymous)
    return Spec(get, post_table, frozenset(writers))


def public(post="405"):
    """Anyone, signed in or not; POST `post` for everyone."""
    return Spec(who(EVERYONE), who(EVERYONE, post), NOBODY)


def staff_action(allowed, ok="redirect", writers=None):
    """A POST-only action behind portal.access.staff_page: non-staff get 404 before the method is looked at,
    staff 405 to GET; POST `ok` for `allowed` (who may write, unless `writers` says otherwise), 404 for the rest."""
    return Spec(
        who(NOBODY, staff="405"), who(allowed, ok), frozenset(allowed if writers is None else writers)
    )


def entrant_action(allowed, ok="redirect", writers=None, others="404"):
    """A POST-only action of entrant pages (login_required, then the method, then the entry)."""
    writers = allowed if writers is None else writers
    return Spec(who(NOBODY, others="405"), who(allowed, ok, others=others), frozenset(writers))


def file_get(allowed, *, staff_page=False):
    """A file or status answered to GET (and HEAD) only: POST is 405 past the sign-in (and staff) check."""
    post = who(NOBODY, others="404", staff="405") if staff_page else who(NOBODY, others="405")
    return Spec(who(allowed), post, NOBODY)


def same_for_signed_in(get, post="same", anonymous="login"):
    """An allauth page: one outcome for every signed-in role, `anonymous` for the visitor."""
    post = get if post == "same" else post
    return Spec(who(SIGNED_IN, get, anonymous=anonymous), who(SIGNED_IN, post, anonymous=anonymous), NOBODY)


def for_visitors(get="ok", post="ok"):
    """allauth's sign-in and sign-up: for the anonymous visitor; a signed-in user is sent on."""
    return Spec(
        who({ANONYMOUS}, get, others="redirect", anonymous=get),
        who({ANONYMOUS}, post, others="redirect", anonymous=post),
        NOBODY,
    )


ORGANIZER_PAGE = page(ORGANIZER)
ORGANIZER_ACTION = staff_action(ORGANIZER)

TABLE = {
    # ------------------------------------------------------------------------------------------- portal
    "portal:home": public(post="ok"),
    "portal:healthz": public(),
    "portal:competition_list": public(post="ok"),
    "portal:competition_detail": public(post="ok"),
    "portal:competition_rules": public(post="ok"),
    # Everyone edits only their own profile (made on the first visit; the empty POST saves it: it is theirs).
    "portal:profile": Spec(who(SIGNED_IN), who(SIGNED_IN, "redirect"), SIGNED_IN, get_writers=SIGNED_IN),
    "portal:set_language": Spec(who(NOBODY, others="405", anonymous="405"), who(EVERYONE, "redirect")),
    "portal:console_home": page(STAFF),
    # Only platform staff (none of the roles here) create competitions.
    "portal:console_competition_create": page(NOBODY),
    "portal:console_competition": ORGANIZER_PAGE,
    "portal:console_competition_edit": ORGANIZER_PAGE,
    "portal:console_track_edit": ORGANIZER_PAGE,
    "portal:console_unit_create": ORGANIZER_PAGE,
    "portal:console_unit_edit": ORGANIZER_PAGE,
    "portal:console_unit_delete": staff_action(ORGANIZER, writers=NOBODY),  # a unit with entries stays
    "portal:console_team": ORGANIZER_PAGE,
    "portal:console_team_remove": ORGANIZER_ACTION,
    # -------------------------------------------------------------------------------------- submissions
    "submissions:dashboard": page(SIGNED_IN),
    "submissions:entry_create": page(SIGNED_IN),
    "submissions:entry_overview": page(ENTRY_EDITORS),
    "submissions:entry_step": page(ENTRY_EDITORS),
    # A's entry is eligible already: submitting or withdrawing with an empty form shows the page again.
    "submissions:entry_submit": entrant_action(ENTRY_EDITORS, "ok", writers=NOBODY),
    "submissions:entry_withdraw": entrant_action(ENTRY_EDITORS, "ok", writers=NOBODY),
    "submissions:material_upload": entrant_action(ENTRY_EDITORS, "ok|redirect|400", writers=NOBODY),
    "submissions:material_delete": entrant_action(ENTRY_EDITORS, writers=NOBODY),
    # Co-owners see who shares the entry; only the owner changes it (they know the entry: 403, not 404).
    "submissions:coowners": Spec(who(ENTRY_EDITORS), {**who(ENTRY_OWNER), "coowner": _set("403")}),
    "submissions:coowner_remove": Spec(
        who(NOBODY, others="405"), {**who(ENTRY_OWNER, "redirect"), "coowner": _set("403")}, ENTRY_OWNER
    ),
    # tus speaks its own protocol: without Tus-Resumable every POST is 412 before anything else is looked at.
    "submissions:tus_create": Spec(who(NOBODY, others="405", anonymous="405"), who(EVERYONE, "412")),
    "route:uploads/tus": Spec(who(NOBODY, others="405", anonymous="405"), who(EVERYONE, "412")),
    # An upload in progress is its uploader's alone (HEAD and DELETE speak tus, with its header).
    "submissions:tus_upload": Spec(
        who(NOBODY, others="405", anonymous="405"),
        who(NOBODY, others="405", anonymous="405"),
        ENTRY_OWNER,
        other={"HEAD": who(ENTRY_OWNER, anonymous="401"), "DELETE": who(ENTRY_OWNER, anonymous="401")},
    ),
    "submissions:video_status": file_get(ENTRY_EDITORS),
    "submissions:video_delete": entrant_action(ENTRY_EDITORS, writers=NOBODY),
    "submissions:video_preview": file_get(FILE_VIEWERS),
    "submissions:video_poster": file_get(FILE_VIEWERS),
    "submissions:video_thumbnails": file_get(FILE_VIEWERS),
    "submissions:organizer_videos": file_get(ORGANIZER, staff_page=True),
    "submissions:organizer_video_retry": ORGANIZER_ACTION,
    "submissions:material_file": page(FILE_VIEWERS),
    "submissions:material_thumbnail": page(FILE_VIEWERS),
    "submissions:organizer_entry_list": ORGANIZER_PAGE,
    "submissions:organizer_export_csv": ORGANIZER_PAGE,
    "submissions:organizer_export_xlsx": ORGANIZER_PAGE,
    "submissions:organizer_entry_detail": ORGANIZER_PAGE,
    "submissions:organizer_entry_decide": staff_action(ORGANIZER, "ok", writers=NOBODY),
    # ------------------------------------------------------------------------------------ judging: public
    "judging:results": public(),
    "judging:public_version": public(),
    "judging:winners": public(),
    "judging:public_entry": public(),
    "judging:public_poster": public(),
    "judging:public_trailer": public(),
    "judging:laurel": public(),
    "judging:objection_create": page(SIGNED_IN),
    # Evidence: its author (entrant B objected to A's entry) and the competition's organizers.
    "judging:objection_evidence": file_get({"entrant_b", "organizer"}),
    # ------------------------------------------------------------------------------------ judging: judges
    "judging:judge_home": page(STAFF),
    # The token is the credential: anyone holding the link sees the invitation (and signs in to accept).
    "judging:invitation": public(post="ok"),
    "judging:judge_profile": page(JUDGES),
    "judging:declaration_delete": staff_action({"judge_conflicted"}),
    "judging:queue": page(PANEL),
    "judging:live": page(PANEL),
    # The assigned judge's empty POST saves an (empty) draft of their own score.
    # An empty POST lacks the form's version and is refused on the page; it never overwrites the score.
    "judging:entry": page(JUDGE_ASSIGNED, post="same", writers=NOBODY),
    "judging:entry_declare_conflict": staff_action(JUDGE_ASSIGNED),
    "judging:entry_material": file_get(JUDGE_ASSIGNED, staff_page=True),
    "judging:entry_material_thumbnail": file_get(JUDGE_ASSIGNED, staff_page=True),
    "judging:entry_video_preview": file_get(JUDGE_ASSIGNED, staff_page=True),
    "judging:entry_video_poster": file_get(JUDGE_ASSIGNED, staff_page=True),
    "judging:watch": staff_action(JUDGE_ASSIGNED, "400", writers=NOBODY),
    # -------------------------------------------------------------------------------- judging: organizers
    "judging:rounds": ORGANIZER_PAGE,
    "judging:round_create": ORGANIZER_PAGE,
    "judging:rounds_create_defaults": staff_action(ORGANIZER, writers=NOBODY),  # rounds exist already
    "judging:ledger": ORGANIZER_PAGE,
    "judging:conflicts": ORGANIZER_PAGE,
    "judging:conflicts_detect": ORGANIZER_ACTION,
    "judging:conflict_waive": staff_action(ORGANIZER, writers=NOBODY),  # a waiver needs a reason
    "judging:conflict_unwaive": staff_action(ORGANIZER, writers=NOBODY),
    # The round page creates the rubric a track still lacks (and its ledger row) when an organizer opens it.
    "judging:round_detail": Spec(who(ORGANIZER), who(ORGANIZER), ORGANIZER, get_writers=ORGANIZER),
    "judging:round_edit": ORGANIZER_PAGE,
    "judging:round_entries": ORGANIZER_PAGE,
    "judging:round_populate": staff_action(ORGANIZER, writers=NOBODY),
    "judging:round_entry_remove": staff_action(ORGANIZER, writers=NOBODY),
    "judging:rubric_edit": ORGANIZER_PAGE,
    "judging:panel": ORGANIZER_PAGE,
    "judging:panel_drop": staff_action(ORGANIZER, writers=NOBODY),
    "judging:panel_expertise": ORGANIZER_ACTION,
    "judging:invitation_revoke": ORGANIZER_ACTION,
    "judging:invitation_resend": ORGANIZER_ACTION,
    "judging:assignments": ORGANIZER_PAGE,
    "judging:assign_auto": staff_action(ORGANIZER, writers=NOBODY),
    "judging:assign_add": staff_action(ORGANIZER, writers=NOBODY),
    "judging:assign_remove": staff_action(ORGANIZER, writers=NOBODY),
    "judging:progress": ORGANIZER_PAGE,
    "judging:remind": staff_action(ORGANIZER, writers=NOBODY),
    "judging:ranking": page(ORGANIZER, post="redirect"),
    "judging:advance": ORGANIZER_PAGE,
    "judging:decision_override": staff_action(ORGANIZER, "ok", writers=NOBODY),
    "judging:versions": ORGANIZER_PAGE,
    "judging:version_detail": ORGANIZER_PAGE,
    "judging:version_schedule": staff_action(ORGANIZER, "ok", writers=NOBODY),
    "judging:version_publish": staff_action(ORGANIZER, "ok", writers=NOBODY),
    "judging:version_revise": staff_action(ORGANIZER, "ok", writers=NOBODY),
    "judging:version_finalise": staff_action(ORGANIZER, writers=NOBODY),  # refused: the notice is running
    "judging:notifications_retry": staff_action(ORGANIZER, writers=NOBODY),
    "judging:objection_answer": staff_action(ORGANIZER, "ok", writers=NOBODY),
    "judging:analytics": ORGANIZER_PAGE,
    "judging:export": ORGANIZER_PAGE,
    "judging:awards": ORGANIZER_PAGE,
    "judging:award_detail": ORGANIZER_PAGE,
    "judging:award_delete": staff_action(ORGANIZER, writers=NOBODY),  # it has a published winner
    "judging:nomination_winner": staff_action(ORGANIZER, "ok", writers=NOBODY),
    "judging:nomination_delete": ORGANIZER_ACTION,
    "judging:live_console": ORGANIZER_PAGE,
    "judging:live_status": ORGANIZER_PAGE,
    "judging:live_select": staff_action(ORGANIZER, "404", writers=NOBODY),  # no entry chosen: none found
    "judging:live_reveal": ORGANIZER_ACTION,
    # --------------------------------------------------------------------- allauth: sign-in pages and MFA
    "account_login": for_visitors(),
    "account_signup": for_visitors(),
    "account_logout": Spec(
        who(SIGNED_IN, anonymous="redirect"), who(SIGNED_IN, "redirect", anonymous="redirect"), NOBODY
    ),
    "account_inactive": public(),
    "account_email_verification_sent": public(),
    "account_reset_password": public(post="ok"),
    "account_reset_password_done": public(),
    "account_reset_password_from_key": public(post="ok"),  # a made-up key: "bad token" page
    "account_reset_password_from_key_done": public(),
    "account_confirm_email": Spec(who(EVERYONE), who(NOBODY, others="404", anonymous="404")),  # made-up key
    "account_change_password": same_for_signed_in("ok"),
    "account_reauthenticate": same_for_signed_in("ok"),
    "account_email": same_for_signed_in("ok", post="redirect"),
    "account_set_password": same_for_signed_in("redirect"),  # they have a password
    "account_confirm_login_code": same_for_signed_in("redirect"),  # no code was asked for
    "mfa_index": same_for_signed_in("ok", post="405"),
    "mfa_authenticate": same_for_signed_in("redirect"),  # no sign-in stage pending
    # Staff roles signed in with TOTP just now; entrants have no authenticator to confirm.
    "mfa_reauthenticate": Spec(who(STAFF, others="redirect"), who(STAFF, others="redirect")),
    # portal.views.account.activate_totp wins over allauth's view of the same path (both names are declared).
    "mfa_activate_totp": same_for_signed_in("redirect"),
    "mfa_deactivate_totp": Spec(who(STAFF, "redirect"), who(STAFF, "redirect")),  # reauthentication first
    "mfa_generate_recovery_codes": same_for_signed_in("redirect"),
    # Recovery codes: staff have them, and allauth asks for the password again first; entrants have none.
    "mfa_view_recovery_codes": Spec(who(STAFF, "redirect"), who(STAFF, "405", others="405")),
    "mfa_download_recovery_codes": Spec(who(STAFF, "redirect"), who(STAFF, "redirect")),
}

# ----------------------------------------------------------------------------------------------- admin
# No role of the matrix is platform staff: every admin page sends them to the admin's sign-in, except the sign-in
# itself, its JavaScript catalogue and the sign-out (which sends non-staff to the admin index).
ADMIN_STAFF_ONLY = Spec(who(NOBODY, others="admin_login", anonymous="admin_login"),
                        who(NOBODY, others="admin_login", anonymous="admin_login"))
ADMIN_EXCEPTIONS = {
    "admin:login": public(post="ok"),
    "admin:logout": Spec(who(NOBODY, others="redirect", anonymous="redirect"),
                         who(NOBODY, others="redirect", anonymous="redirect")),
}
GROUPS = {"admin:": ADMIN_STAFF_ONLY, "route:admin/": ADMIN_STAFF_ONLY}
# The admin lets in platform staff or no one, by one check for all of its ~200 URLs: every admin URL is requested
# by the anonymous visitor, an entrant and the organizer (the most trusted non-staff role); the other roles
# request a sample (index, sign-in and -out, an app index, a changelist and a change page), to keep the matrix fast.
ADMIN_FULL_ROLES = frozenset({ANONYMOUS, "entrant_a", "organizer"})
ADMIN_SAMPLE = frozenset(
    {"admin:index", "admin:login", "admin:logout", "admin:app_list", "admin:portal_user_changelist",
     "admin:portal_user_change"}
)


def requested(key, role):
    """Whether the matrix requests `key` as `role` (everything, but only the admin sample for most roles)."""
    if key.startswith(tuple(GROUPS)) or key in ADMIN_EXCEPTIONS:
        return role in ADMIN_FULL_ROLES or key in ADMIN_SAMPLE
    return True


def lookup(key):
    """The Spec of a URL key ("namespace:name", or "route:<route>" for an unnamed pattern); None if undeclared."""
    if key in TABLE:
        return TABLE[key]
    if key in ADMIN_EXCEPTIONS:
        return ADMIN_EXCEPTIONS[key]
    for prefix, spec in GROUPS.items():
        if key.startswith(prefix):
            return spec
    return None
