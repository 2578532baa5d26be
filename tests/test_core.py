"""core/: domain errors answered through the one code -> status table; money formatted by Babel."""

from decimal import Decimal

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.api import STATUS_BY_CODE, error_response, status_for
from core.errors import DomainError
from core.money import format_amount, format_money_with_code


def answer_to(error):
    class Refusing(APIView):
        authentication_classes, permission_classes = [], []

        def post(self, request):
            raise error

    return Refusing.as_view()(APIRequestFactory().post("/api/v1/x/"))


@pytest.mark.parametrize(
    "code, status",
    [("seats_unavailable", 409), ("too_late", 409), ("not_found", 404), ("payment_unavailable", 503), ("no_seats", 400)],
)
def test_a_domain_error_answers_the_status_of_its_code(code, status):
    response = answer_to(DomainError("Refused.", code=code, seats=[3, 1]))

    assert response.status_code == status
    assert response.data == {"detail": "Refused.", "code": code, "seats": [3, 1]}


def test_a_code_missing_from_the_table_is_a_400_not_a_500():
    assert "made_up_code" not in STATUS_BY_CODE
    assert answer_to(DomainError("Nope.", code="made_up_code")).status_code == 400
    assert status_for("made_up_code") == 400


def test_plain_responses_take_their_status_from_the_same_table():
    response = error_response("database_unavailable", "Down.")
    assert response.status_code == 503
    assert error_response("request_too_large", "Too big.").status_code == 413


@pytest.mark.parametrize(
    "amount, currency, language, written",
    [
        (Decimal("1234567.5"), "usd", "en", "1,234,567.50"),
        (Decimal("1234567.5"), "usd", "vi", "1.234.567,50"),
        (Decimal("120000"), "vnd", "vi", "120.000"),
        (Decimal("120000"), "mga", "en", "120,000"),
        (Decimal("0.005"), "usd", "en", "0.01"),
    ],
)
def test_amounts_are_grouped_by_babel_in_the_language(amount, currency, language, written):
    assert format_amount(amount, currency, language) == written


def test_emails_write_the_amount_and_the_code():
    assert format_money_with_code(Decimal("9.5"), "usd") == "9.50 USD"
    assert format_money_with_code(Decimal("120000"), "vnd") == "120,000 VND"
    assert format_money_with_code(None, "usd") == ""
