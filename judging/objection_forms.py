"""The public objection form (公示 异议). It validates only the shape; judging.objections.lodge_objection decides
whether an objection may be lodged (notice period, entry listed) and checks the evidence file by its content."""

from django import forms
from django.utils.translation import gettext_lazy as _

OBJECTION_MAX_LENGTH = 5000
EVIDENCE_ACCEPT = "image/jpeg,image/png,image/webp,.pdf,.docx"


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"),
        max_length=OBJECTION_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Say what is wrong with this result and why, as precisely as you can. The organizers answer "
            "every objection."
        ),
    )
    evidence = forms.FileField(
        label=_("Evidence (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": EVIDENCE_ACCEPT}),
        help_text=_(
            "A PDF or Word (DOCX) document, or a JPEG, PNG or WebP image; at most 20 MB. Only the organizers see it."
        ),
    )
