from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.models import ActionLog, Competition, CompetitionRole, Profile, Track, Unit, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "display_name", "language", "is_staff", "is_active", "date_joined"]
    search_fields = ["email", "display_name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Personal info"), {"fields": ["display_name", "language"]}),
        (_("Permissions"), {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "real_name", "organisation", "country"]
    search_fields = ["user__email", "real_name", "organisation"]
    raw_id_fields = ["user"]


class TrackInline(admin.StackedInline):
    model = Track
    extra = 0


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ["position", "slug", "name_zh", "name_en", "episode_min_seconds", "episode_max_seconds", "closes_at"]


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "edition_year", "status", "submission_closes_at"]
    list_filter = ["status", "edition_year"]
    search_fields = ["name_zh", "name_en", "slug"]
    prepopulated_fields = {"slug": ["name_en"]}
    inlines = [TrackInline, UnitInline]


@admin.register(CompetitionRole)
class CompetitionRoleAdmin(admin.ModelAdmin):
    list_display = ["competition", "user", "role", "created_at"]
    list_filter = ["role", "competition"]
    search_fields = ["user__email"]
    raw_id_fields = ["user", "granted_by"]


@admin.register(ActionLog)
class ActionLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "competition", "actor", "action", "subject"]
    list_filter = ["action", "competition"]
    readonly_fields = ["created_at", "competition", "actor", "action", "subject", "data"]
