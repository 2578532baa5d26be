"""One-click unsubscribe: GET changes nothing, POST opts out without CSRF, forged tokens fail."""

import pytest
from django.test import Client

from notifications.unsubscribe import make_token, unsubscribe_url


@pytest.fixture
def fan(user):
    user.marketing_opt_in = True
    user.save()
    return user


def _opted_in(user):
    user.refresh_from_db()
    return user.marketing_opt_in


@pytest.mark.django_db
def test_get_shows_a_confirm_button_and_changes_nothing(fan):
    response = Client().get(f"/unsubscribe/{make_token(fan.pk)}/")
    assert response.status_code == 200
    assert b'<form method="post"' in response.content and fan.email.encode() in response.content
    assert _opted_in(fan)


@pytest.mark.django_db
def test_one_click_post_opts_out_without_a_csrf_token(fan, other_user):
    other_user.marketing_opt_in = True
    other_user.save()
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        f"/unsubscribe/{make_token(fan.pk)}/", "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not _opted_in(fan)
    assert _opted_in(other_user)
    assert client.post(f"/unsubscribe/{make_token(fan.pk)}/").status_code == 200  # twice is fine


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", "1:forgedsignature"])
def test_a_forged_token_answers_400_and_changes_nothing(fan, token):
    client = Client(enforce_csrf_checks=True)
    assert client.get(f"/unsubscribe/{token}/").status_code == 400
    assert client.post(f"/unsubscribe/{token}/").status_code == 400
    tampered = make_token(fan.pk).replace(f"{fan.pk}:", f"{fan.pk + 1}:")
    assert client.post(f"/unsubscribe/{tampered}/").status_code == 400
    assert _opted_in(fan)


@pytest.mark.django_db
def test_the_link_is_absolute_from_site_url(fan, settings):
    settings.SITE_URL = "https://cinema.example"
    assert unsubscribe_url(fan.pk) == f"https://cinema.example/unsubscribe/{make_token(fan.pk)}/"


@pytest.mark.django_db
def test_pages_speak_the_users_language(fan):
    """Given a Vietnamese-speaking user, the confirm page and the result are in Vietnamese."""
    fan.language = "vi"
    fan.save()
    url = f"/unsubscribe/{make_token(fan.pk)}/"
    page = Client().get(url).content.decode()
    assert "Huỷ nhận email về phim mới?" in page and 'lang="vi"' in page
    done = Client().post(url).content.decode()
    assert "Bạn đã huỷ đăng ký" in done
    assert not _opted_in(fan)
