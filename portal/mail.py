"""Bilingual emails: every message carries Chinese first, then English, in one text and one HTML part."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

LANGUAGE_ORDER = ("zh-hans", "en")


def render_plain(template_name, context):
    """A subject or text part: no HTML escaping, or a title like "Tom & Jerry" would arrive as "Tom &amp; Jerry"."""
    return get_template(template_name).template.render(Context(context, autoescape=False))


def render_bilingual(template_prefix, context):
    """Render `<prefix>_subject.txt`, `_body.txt` and `_body.html` in both languages."""
    subjects, texts, htmls = [], [], []
    for language in LANGUAGE_ORDER:
        with translation.override(language):
            # One line: a line break from user text (an entry title) would make Django refuse the whole message.
            subjects.append(" ".join(render_plain(f"{template_prefix}_subject.txt", context).split()))
            texts.append(render_plain(f"{template_prefix}_body.txt", context).strip())
            htmls.append(render_to_string(f"{template_prefix}_body.html", context).strip())
    subject = " / ".join(dict.fromkeys(subjects))  # identical subjects are shown once
    text = "\n\n————————————————\n\n".join(texts) + "\n"
    html = '<hr style="margin:24px 0;border:0;border-top:1px solid #ddd">'.join(htmls)
    return subject, text, html


def send_bilingual(*, template_prefix, context, to):
    subject, text, html = render_bilingual(template_prefix, context)
    message = EmailMultiAlternatives(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
    )
    message.attach_alternative(html, "text/html")
    message.send()
    return message
