from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubmissionsConfig(AppConfig):
    name = "submissions"
    verbose_name = _("Submissions")

    def ready(self):
        from allauth.account.signals import email_confirmed

        from portal.demo import demo_seeded
        from submissions import demo, receivers

        email_confirmed.connect(receivers.bind_coowner_invitations, dispatch_uid="submissions.bind_coowners")
        demo_seeded.connect(demo.seed_demo_entries, dispatch_uid="submissions.demo_entries")
