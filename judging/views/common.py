"""Small pieces every judging view module uses."""

from django.contrib import messages
from django.core.exceptions import ValidationError


def messages_of(error) -> list[str]:
    """The user-facing texts of a refusal: a ValidationError's messages, or the translated str() of the
    services' own exceptions (AssignmentError, NotReady, …)."""
    return error.messages if isinstance(error, ValidationError) else [str(error)]


def report_errors(request, error) -> None:
    for text in messages_of(error):
        messages.error(request, text)
