"""Where posters show: the API's list, the site (srcset), the new-movie email, the admin, seed_demo."""

import pytest
from django.core.management import call_command

from cinema import posters
from cinema.models import Movie
from notifications.announcements import plan_announcement, send_announcement_batch
from notifications.models import AnnouncementBatch, EmailMessage
from tests.factories import MovieFactory, ShowtimeFactory, UserFactory

from tests.support.images import image_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def movie_with_poster():
    movie = MovieFactory(title="Spirited Away")
    posters.set_poster(movie, upload(image_bytes((600, 900))), enqueue=False)
    posters.process_poster(movie.pk)
    movie.refresh_from_db()
    return movie


def test_listing_gives_absolute_urls_and_poster_url_is_the_large_size(anon_client, movie_with_poster):
    ShowtimeFactory(movie=movie_with_poster)

    [listed] = anon_client.get("/api/v1/movies/").json()["results"]

    sizes = listed["poster"]["sizes"]
    assert listed["poster"]["status"] == "ready" and listed["poster"]["error"] == ""
    assert all(url.startswith("http://testserver/media/posters/") for url in sizes.values())
    assert listed["poster_url"] == sizes["large"]


def test_a_movie_without_an_uploaded_poster_has_poster_null(anon_client, showtime):
    [listed] = anon_client.get("/api/v1/movies/").json()["results"]

    assert listed["poster"] is None and listed["poster_url"] == ""


def test_the_site_uses_the_sizes_with_srcset_and_the_placeholder_colour(client, movie_with_poster):
    ShowtimeFactory(movie=movie_with_poster)
    urls = posters.size_urls(movie_with_poster)

    html = client.get("/").content.decode()

    # 600 wide: thumb 160, card 480, large not enlarged (600)
    assert f'srcset="{urls["thumb"]} 160w, {urls["card"]} 480w, {urls["large"]} 600w"' in html
    assert f'src="{urls["card"]}"' in html and 'width="480" height="720"' in html
    assert f"background-color: {movie_with_poster.poster_placeholder}" in html
    assert "poster-placeholder" not in html
    detail = client.get(f"/movies/{movie_with_poster.slug}/").content.decode()
    assert f'{urls["large"]} 600w' in detail


def test_the_site_keeps_the_generated_card_while_the_first_poster_is_processing(client):
    movie = MovieFactory(title="Spirited Away")
    posters.set_poster(movie, upload(image_bytes()), enqueue=False)
    ShowtimeFactory(movie=movie)

    html = client.get("/").content.decode()

    assert "<span>SA</span>" in html and "srcset" not in html


def test_the_new_movie_email_shows_the_card_size_or_the_generated_card(settings, movie_with_poster):
    settings.ANNOUNCEMENT_BATCH_SIZE = 10
    UserFactory(marketing_opt_in=True)
    plain = MovieFactory(title="Grand Budapest")
    for movie in (movie_with_poster, plain):
        plan_announcement(movie.pk)
        for batch in AnnouncementBatch.objects.filter(announcement__movie=movie):
            send_announcement_batch(movie.pk, batch.from_user_id, batch.before_user_id)

    with_poster = EmailMessage.objects.get(idempotency_key__startswith=f"new_movie:{movie_with_poster.pk}:")
    card = posters.size_urls(movie_with_poster)["card"]
    assert f'src="http://testserver{card}"' in with_poster.body_html
    assert 'width="200" height="300"' in with_poster.body_html
    without = EmailMessage.objects.get(idempotency_key__startswith=f"new_movie:{plain.pk}:")
    assert ">GB</td>" in without.body_html and "<img" not in without.body_html


def test_staff_upload_a_poster_in_the_admin(client, django_capture_on_commit_callbacks):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    movie = MovieFactory()
    form = {"title": movie.title, "slug": movie.slug, "overview": "", "runtime_minutes": 100,
            "release_date": "", "poster_url": ""}

    refused = client.post(f"/admin/cinema/movie/{movie.pk}/change/", {**form, "poster_image": upload(b"GIF89a...")})
    assert refused.status_code == 200 and "not a JPEG, PNG or WebP image" in refused.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        saved = client.post(f"/admin/cinema/movie/{movie.pk}/change/", {**form, "poster_image": upload(image_bytes())})

    assert saved.status_code == 302
    movie.refresh_from_db()
    assert movie.poster_status == "processing" and movie.poster_original.name
    assert len(callbacks) == 1  # cinema.process_poster, after commit
    posters.process_poster(movie.pk)
    page = client.get(f"/admin/cinema/movie/{movie.pk}/change/").content.decode()
    assert posters.size_urls(Movie.objects.get(pk=movie.pk))["thumb"] in page


def test_seed_demo_draws_real_posters_once(settings):
    call_command("seed_demo", verbosity=0)
    first = dict(Movie.objects.values_list("slug", "poster_sizes"))

    call_command("seed_demo", verbosity=0)

    assert dict(Movie.objects.values_list("slug", "poster_sizes")) == first
    assert all(sizes["large"]["width"] == 720 and sizes["thumb"]["width"] == 160 for sizes in first.values())
    placeholders = set(Movie.objects.values_list("poster_placeholder", flat=True))
    assert len(placeholders) == len(first)  # each movie its own picture
