"""Deeply nested JSON on any endpoint (finding 5) is a 400 `{"detail", "code"}` that changes
nothing: the API's JSON parser (core.parsers) refuses it before a RecursionError can be a 500."""

import pytest

from bookings.models import Booking

pytestmark = pytest.mark.django_db


def nested(depth):
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [100_000, 950, 65])
@pytest.mark.parametrize(
    "method, path",
    [("post", "/api/v1/bookings/"), ("patch", "/api/v1/me/"), ("post", "/api/v1/showtimes/"), ("post", "/api/v1/checkin/")],
)
def test_deeply_nested_json_is_a_400_anywhere(staff_client, showtime, method, path, depth):
    staff_client.raise_request_exception = False
    body = '{"showtime": %d, "seats": %s}' % (showtime.pk, nested(depth))
    response = getattr(staff_client, method)(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "parse_error" and "nested deeper than 64" in response.json()["detail"]
    assert not Booking.objects.exists()


def test_json_as_deep_as_the_limit_still_parses(user_client, showtime):
    body = '{"showtime": %d, "seats": [1], "x": %s}' % (showtime.pk, nested(62))
    response = user_client.post("/api/v1/bookings/", data=body, content_type="application/json")
    assert response.status_code != 400 or response.json()["code"] != "parse_error"


def test_the_parser_is_the_apis_default():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"][0] == "core.parsers.ShallowJSONParser"
