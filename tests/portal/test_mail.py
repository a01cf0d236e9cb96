from django.core import mail

from portal.mail import render_bilingual, send_bilingual


class EntryStub:
    pk = 1
    number = "LCP2026-0001"
    title = 'Tom & Jerry <script>alert(1)</script> "quoted"'


def test_text_parts_are_not_html_escaped_but_the_html_part_is(competition):
    context = {"entry": EntryStub(), "competition": competition}
    subject, text, html = render_bilingual("submissions/email/entry_submitted", context)
    assert 'Tom & Jerry <script>alert(1)</script> "quoted"' in subject
    assert "&amp;" not in subject and "&amp;" not in text
    assert 'Tom & Jerry <script>alert(1)</script> "quoted"' in text
    assert "Tom &amp; Jerry &lt;script&gt;" in html and "<script>" not in html


def test_a_sent_message_carries_both_parts(competition):
    context = {"entry": EntryStub(), "competition": competition}
    send_bilingual(template_prefix="submissions/email/entry_submitted", context=context, to=["a@x.org"])
    (message,) = mail.outbox
    assert "Tom & Jerry" in message.subject and "Tom & Jerry" in message.body
    assert message.alternatives[0][1] == "text/html"
