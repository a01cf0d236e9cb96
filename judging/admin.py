"""Judging in the Django admin: for looking, hardly for changing.

Scores, rubrics, conflicts and assignments change only through the services, which write the ledger and the
organizers' history; here they are view-only. Ledger rows can be neither added, changed nor deleted (the
chain would break, and `verify_ledger` would say so). Invitation tokens are credentials and are never shown.
"""

from django.contrib import admin

from judging.models import (
    Assignment,
    Conflict,
    ConflictDeclaration,
    Criterion,
    CriterionScore,
    Invitation,
    JudgeProfile,
    LedgerEntry,
    LedgerHead,
    PanelMembership,
    Round,
    RoundEntry,
    Rubric,
    Score,
    WatchProgress,
)


class ViewOnlyMixin:
    """Listed and opened, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ViewOnlyAdmin(ViewOnlyMixin, admin.ModelAdmin):
    pass


class ViewOnlyTabularInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0


class RoundEntryInline(ViewOnlyTabularInline):
    model = RoundEntry
    fields = readonly_fields = ["entry", "source", "added_by", "created_at"]


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    """The window and settings may be corrected here (e.g. an emergency extension); nothing is added or deleted,
    since deleting a round would take its scores with it."""

    list_display = ["name_zh", "competition", "position", "kind", "opens_at", "closes_at", "live_final"]
    list_filter = ["kind", "competition"]
    search_fields = ["name_zh", "name_en", "competition__slug"]
    readonly_fields = ["competition", "position", "kind", "live_entry", "live_revealed", "created_at"]
    filter_horizontal = ["units"]
    inlines = [RoundEntryInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CriterionInline(ViewOnlyTabularInline):
    model = Criterion
    fields = ["position", "key", "name_zh", "name_en", "weight", "min_score", "max_score", "step", "comment_required"]


@admin.register(Rubric)
class RubricAdmin(ViewOnlyAdmin):
    list_display = ["round", "track", "version", "frozen_at", "created_by", "created_at"]
    list_filter = ["round__competition"]
    inlines = [CriterionInline]


@admin.register(JudgeProfile)
class JudgeProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "updated_at"]
    search_fields = ["user__email", "user__display_name", "affiliations"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PanelMembership)
class PanelMembershipAdmin(ViewOnlyAdmin):
    list_display = ["judge", "round", "active", "terms_accepted_at", "last_active_at", "last_reminded_at"]
    list_filter = ["active", "round__competition"]
    search_fields = ["judge__email", "judge__display_name"]


@admin.register(Invitation)
class InvitationAdmin(ViewOnlyAdmin):
    list_display = ["email", "round", "created_at", "expires_at", "sent_at", "accepted_at", "revoked_at"]
    list_filter = ["round__competition"]
    search_fields = ["email"]
    exclude = ["token"]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ViewOnlyAdmin):
    list_display = ["judge", "competition", "kind", "entry", "value", "created_at"]
    list_filter = ["kind", "competition"]
    search_fields = ["judge__email", "value"]


@admin.register(Conflict)
class ConflictAdmin(ViewOnlyAdmin):
    list_display = ["judge", "entry", "source", "basis", "waived_at", "created_at"]
    list_filter = ["source", "competition"]
    search_fields = ["judge__email", "entry__number", "basis"]


@admin.register(Assignment)
class AssignmentAdmin(ViewOnlyAdmin):
    list_display = ["judge", "entry", "round", "method", "created_at"]
    list_filter = ["method", "round__competition"]
    search_fields = ["judge__email", "entry__number"]


class CriterionScoreInline(ViewOnlyTabularInline):
    model = CriterionScore
    fields = ["criterion", "value", "comment"]


@admin.register(Score)
class ScoreAdmin(ViewOnlyAdmin):
    list_display = ["judge", "entry", "round", "status", "total", "version", "updated_at"]
    list_filter = ["status", "round__competition"]
    search_fields = ["judge__email", "entry__number"]
    inlines = [CriterionScoreInline]


@admin.register(WatchProgress)
class WatchProgressAdmin(ViewOnlyAdmin):
    list_display = ["judge", "video", "watched_seconds", "duration", "updated_at"]
    search_fields = ["judge__email"]


@admin.register(LedgerHead)
class LedgerHeadAdmin(ViewOnlyAdmin):
    list_display = ["competition", "last_sequence", "last_hash"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ViewOnlyAdmin):
    list_display = ["competition", "sequence", "kind", "actor", "created_at", "hash"]
    list_filter = ["kind", "competition"]
    search_fields = ["hash"]
    ordering = ["competition", "-sequence"]
