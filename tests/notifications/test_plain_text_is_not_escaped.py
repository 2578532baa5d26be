"""Subjects and plain-text bodies are not HTML: "Tom & Jerry" arrives as written; only the HTML
part escapes. Rendered from the real templates and delivered to a real SMTP server."""

import pytest
from django.db import transaction

from bookings import emails
from notifications import delivery
from notifications.models import EmailMessage

TITLE = "Tom & Jerry <3 \"Live\""


@pytest.mark.django_db
def test_a_title_with_html_characters_arrives_as_written(
    user, showtime, make_paid_booking, accepting_smtp, use_providers
):
    use_providers(accepting_smtp)
    showtime.movie.title = TITLE
    showtime.movie.save(update_fields=["title"])
    user.first_name = "O'Brien"
    user.save(update_fields=["first_name"])
    booking = make_paid_booking(user, showtime)

    with transaction.atomic():
        emails.queue_booking_confirmation(booking)
    message = EmailMessage.objects.get(kind="booking_confirmation")
    assert delivery.deliver(message.pk).status == "sent"
    [received] = [m["message"] for m in accepting_smtp.messages]

    assert TITLE in received["Subject"] and "&amp;" not in received["Subject"]
    assert TITLE in message.subject
    text = received.get_body(("plain",)).get_content()
    assert TITLE in text and "O'Brien" in text and "&amp;" not in text and "&#x27;" not in text
    html = received.get_body(("html",)).get_content()
    assert "Tom &amp; Jerry &lt;3 &quot;Live&quot;" in html and TITLE not in html
