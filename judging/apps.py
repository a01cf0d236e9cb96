from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JudgingConfig(AppConfig):
    name = "judging"
    verbose_name = _("Judging")

    def ready(self):
        from django.db.models.signals import post_save

        from judging import receivers
        from portal.models import Competition
        from submissions.models import EntryEvent

        post_save.connect(
            receivers.detect_conflicts_on_status_change, sender=EntryEvent, dispatch_uid="judging.detect_on_status"
        )
        # Demo judging needs the demo entries: submissions (earlier in INSTALLED_APPS) connected its receiver
        # first, and a signal calls its receivers in the order they were connected.
        from judging import demo
        from portal.demo import demo_seeded

        demo_seeded.connect(demo.seed_demo_judging, dispatch_uid="judging.demo_judging")
        # Demo results finish the judging demo's round 1, so they are connected after it.
        from judging import demo_results

        demo_seeded.connect(demo_results.seed_demo_results, dispatch_uid="judging.demo_results")
        post_save.connect(
            receivers.forget_public_state_on_competition_save,
            sender=Competition,
            dispatch_uid="judging.forget_public_state",
        )
