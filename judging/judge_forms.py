"""Forms a judge fills in: accepting an invitation (the judging terms), the judge profile, conflict declarations.

Forms only validate; the views hand the cleaned data to judging.invitations, judging.panels and
judging.conflicts.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from judging.models import ConflictDeclaration, DeclarationKind, JudgeProfile
from portal.models import Competition

# The judging terms a judge accepts when joining a panel (judging.invitations.JUDGING_TERMS_VERSION records which).
CONFIDENTIALITY_TERMS = (
    _("I keep every work I judge, its materials and my scores confidential, during judging and afterwards."),
    _("I do not copy, download, record, forward or share any work, script, still or video, in whole or in part."),
    _(
        "I do not discuss works, scores or other judges' opinions with anyone outside the jury before the organizers "
        "publish the results."
    ),
)
CONFLICT_TERMS = (
    _(
        "I declare any conflict of interest: a work, person or organisation I am related to, work with or for, or "
        "have a financial or personal interest in."
    ),
    _(
        "I recuse myself (回避) from every work I have a conflict with, and tell the organizers at once if I recognise "
        "a work I should not judge."
    ),
    _(
        "I understand that my scores are recorded with the time in a tamper-evident ledger, and that a score given "
        "despite a conflict does not count."
    ),
)

AFFILIATIONS_HELP = _(
    "Companies, studios, schools and organisations you work or worked for, one per line. The portal compares "
    "them with the entrants' organisations, so you are never given a work you are connected to."
)


class AcceptInvitationForm(forms.Form):
    confidentiality = forms.BooleanField(
        label=_("I accept the confidentiality terms above."),
        error_messages={"required": _("Please accept the confidentiality terms to join the jury.")},
    )
    conflicts = forms.BooleanField(
        label=_("I accept the conflict-of-interest terms above."),
        error_messages={"required": _("Please accept the conflict-of-interest terms to join the jury.")},
    )
    affiliations = forms.CharField(
        label=_("Your affiliations"),
        required=False,
        max_length=JudgeProfile._meta.get_field("affiliations").max_length,
        help_text=AFFILIATIONS_HELP,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    confidentiality_terms = CONFIDENTIALITY_TERMS
    conflict_terms = CONFLICT_TERMS


class JudgeProfileForm(forms.Form):
    affiliations = forms.CharField(
        label=_("Affiliations"),
        required=False,
        max_length=JudgeProfile._meta.get_field("affiliations").max_length,
        help_text=AFFILIATIONS_HELP,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    bio = forms.CharField(
        label=_("Short bio"),
        required=False,
        max_length=JudgeProfile._meta.get_field("bio").max_length,
        help_text=_("For the organizers: your field and experience. Entrants never see it."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeclarationForm(forms.Form):
    """A person or an organisation the judge has a conflict with, in one competition they judge.

    (A specific entry is declared from that entry's page.)"""

    competition = forms.ModelChoiceField(label=_("Competition"), queryset=Competition.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        label=_("Conflict with"),
        choices=[
            (DeclarationKind.PERSON, DeclarationKind.PERSON.label),
            (DeclarationKind.ORGANISATION, DeclarationKind.ORGANISATION.label),
        ],
    )
    value = forms.CharField(
        label=_("Name"),
        error_messages={"required": _("Please give a name.")},
        max_length=ConflictDeclaration._meta.get_field("value").max_length,
        help_text=_("The person's full name, or the organisation's name as it is usually written."),
    )
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=ConflictDeclaration._meta.get_field("reason").max_length,
        help_text=_("For example: a relative, a former student, my employer. Only the organizers see it."),
    )

    def __init__(self, *args, competitions, **kwargs):
        super().__init__(*args, prefix="declaration", **kwargs)
        self.fields["competition"].queryset = competitions
