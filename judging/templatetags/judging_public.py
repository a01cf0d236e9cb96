"""Template tags for pages outside judging that link to the public results (the competition's page)."""

from django import template

from judging import public

register = template.Library()


@register.simple_tag
def has_public_results(competition):
    """Whether the competition has a published result (so its page may link to the results)."""
    return competition is not None and public.has_public_results(competition)
