"""Posters: the upload answers 202 with only the original stored; a real worker makes the sizes."""

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from cinema import posters
from cinema.models import Movie
from cinema.serializers import MovieSerializer
from tests.support.waiting import wait_for
from tests.factories import MovieFactory

from tests.support.images import image_bytes, png_header_only, upload

pytestmark = pytest.mark.django_db


def stored_files():
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture(autouse=True)
def empty_media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def fetch_webp(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    return Image.open(io.BytesIO(b"".join(response.streaming_content)))


def test_upload_answers_202_and_a_worker_makes_the_webp_sizes(celery_worker, staff_client, client, poster_url):
    movie = MovieFactory()

    response = staff_client.post(poster_url(movie), {"image": upload(image_bytes((1200, 1800)))}, format="multipart")

    assert response.status_code == 202
    assert response.json()["poster"] == {"status": "processing", "error": "",
                                         "sizes": {"thumb": None, "card": None, "large": None}}
    wait_for(lambda: Movie.objects.get(pk=movie.pk).poster_status == "ready", what="poster ready")
    movie.refresh_from_db()
    data = MovieSerializer(movie).data
    assert data["poster"]["status"] == "ready"
    assert data["poster_url"] == data["poster"]["sizes"]["large"]
    widths = {}
    for key, url in data["poster"]["sizes"].items():
        assert url.startswith(settings.MEDIA_URL + "posters/") and url.endswith(".webp")
        image = fetch_webp(client, url)
        assert image.format == "WEBP"
        widths[key] = image.size
    assert widths == {"thumb": (160, 240), "card": (480, 720), "large": (1080, 1620)}
    assert movie.poster_placeholder.startswith("#") and len(movie.poster_placeholder) == 7


def test_small_images_are_never_enlarged_and_exif_orientation_is_applied_then_stripped(staff_client, poster_url):
    movie = MovieFactory()
    # Stored 300 wide, 200 high, with "rotate 90° clockwise to display" (orientation 6).
    data = image_bytes((300, 200), orientation=6)

    assert staff_client.post(poster_url(movie), {"image": upload(data)}, format="multipart").status_code == 202
    assert posters.process_poster(movie.pk) == "ready"

    movie.refresh_from_db()
    sizes = movie.poster_sizes
    assert [(sizes[k]["width"], sizes[k]["height"]) for k in ("thumb", "card", "large")] == [(160, 240), (200, 300), (200, 300)]
    with default_storage.open(sizes["large"]["name"]) as f:
        image = Image.open(f)
        image.load()
        assert not image.getexif() and "exif" not in image.info and "icc_profile" not in image.info
        top_right = image.convert("RGB").getpixel((image.width - 5, 5))
        top_left = image.convert("RGB").getpixel((5, 5))
    assert top_right[2] > 200 and top_left[0] > 150  # the marked corner was turned to the top right


def test_png_with_transparency_and_webp_are_accepted(staff_client, poster_url):
    for fmt, name, kind in (("PNG", "p.png", "image/png"), ("WEBP", "p.webp", "image/webp")):
        movie = MovieFactory()
        data = image_bytes((400, 600), fmt=fmt)
        assert staff_client.post(poster_url(movie), {"image": upload(data, name, kind)}, format="multipart").status_code == 202
        assert posters.process_poster(movie.pk) == "ready"


@pytest.mark.parametrize("data,code", [
    (b"not an image at all", "invalid_image"),
    (image_bytes((60, 90), fmt="GIF"), "invalid_image"),
    (image_bytes((60, 90), fmt="BMP"), "invalid_image"),
    (image_bytes((600, 900))[:200], "invalid_image"),  # a JPEG cut short in its header
    (png_header_only(8000, 6000), "image_too_large"),  # 48 megapixels
    (png_header_only(50000, 50000), "image_too_large"),  # a decompression bomb
    (b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024 + 1), "image_too_large"),  # over 20 MB
])
def test_a_bad_file_is_400_and_nothing_is_kept(staff_client, poster_url, data, code):
    movie = MovieFactory()

    response = staff_client.post(poster_url(movie), {"image": upload(data)}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == code and response.json()["detail"]
    movie.refresh_from_db()
    assert (movie.poster_status, movie.poster_original.name) == ("", "")
    assert stored_files() == []


def test_missing_image_field_is_400(staff_client, poster_url):
    response = staff_client.post(poster_url(MovieFactory()), {}, format="multipart")

    assert response.status_code == 400 and response.json()["code"] == "invalid_image"


def test_exactly_40_megapixels_passes_the_header_check():
    assert posters.check_upload(upload(png_header_only(5000, 8000), "p.png")) == "png"


def test_only_staff_upload(anon_client, user_client, poster_url):
    movie = MovieFactory()
    for client, expected in ((anon_client, 401), (user_client, 403)):
        response = client.post(poster_url(movie), {"image": upload(image_bytes())}, format="multipart")
        assert response.status_code == expected
    assert stored_files() == []


def test_unknown_movie_is_404(staff_client):
    response = staff_client.post("/api/v1/movies/999999/poster/", {"image": upload(image_bytes())}, format="multipart")

    assert response.status_code == 404


def test_a_file_that_fails_in_the_worker_leaves_failed_with_the_reason(celery_worker, staff_client, poster_url):
    movie = MovieFactory()
    # Headers intact (it passes the request's checks), pixel data cut off.
    truncated = image_bytes((1200, 1800), quality=95)[:3000]

    assert staff_client.post(poster_url(movie), {"image": upload(truncated)}, format="multipart").status_code == 202
    wait_for(lambda: Movie.objects.get(pk=movie.pk).poster_status == "failed", what="poster failed")

    movie.refresh_from_db()
    assert "truncated" in movie.poster_error
    assert MovieSerializer(movie).data["poster"]["status"] == "failed"
    assert MovieSerializer(movie).data["poster"]["error"] == movie.poster_error


def test_a_new_upload_replaces_the_old_files(staff_client, poster_url, django_capture_on_commit_callbacks):
    movie = MovieFactory()
    with django_capture_on_commit_callbacks(execute=False):
        staff_client.post(poster_url(movie), {"image": upload(image_bytes())}, format="multipart")
    posters.process_poster(movie.pk)
    movie.refresh_from_db()
    first = movie.poster_sizes["large"]["name"]

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        posters.set_poster(movie, upload(image_bytes(colour=(0, 200, 0))), enqueue=False)
    [delete_first_original] = enqueued
    delete_first_original()
    movie.refresh_from_db()
    assert movie.poster_status == "processing" and movie.poster_sizes["large"]["name"] == first  # shown meanwhile
    with django_capture_on_commit_callbacks(execute=True):
        posters.process_poster(movie.pk)

    movie.refresh_from_db()
    assert movie.poster_status == "ready" and movie.poster_sizes["large"]["name"] != first
    assert not default_storage.exists(first)
    assert len([f for f in stored_files() if f.startswith("poster-originals/")]) == 1
    assert len([f for f in stored_files() if f.startswith("posters/")]) == 3


def test_a_superseded_run_drops_its_work(staff_client, poster_url):
    movie = MovieFactory()
    staff_client.post(poster_url(movie), {"image": upload(image_bytes())}, format="multipart")
    movie.refresh_from_db()
    original = movie.poster_original.name
    real_render = posters._render

    def render_then_new_upload(name, movie_id):
        result = real_render(name, movie_id)
        Movie.objects.filter(pk=movie_id).update(poster_original="poster-originals/newer.jpg")
        return result

    posters._render = render_then_new_upload
    try:
        assert posters.process_poster(movie.pk) is None
    finally:
        posters._render = real_render
    assert original and [f for f in stored_files() if f.startswith("posters/")] == []


def test_originals_are_not_public(client, staff_client, poster_url):
    movie = MovieFactory()
    staff_client.post(poster_url(movie), {"image": upload(image_bytes())}, format="multipart")
    movie.refresh_from_db()

    assert client.get(f"{settings.MEDIA_URL}{movie.poster_original.name}").status_code == 404
    name = os.path.relpath(movie.poster_original.name, "poster-originals")
    assert client.get(f"{settings.MEDIA_URL}posters/../poster-originals/{name}").status_code == 404


def test_a_poster_whose_enqueue_was_lost_is_processed_after_the_sweep(celery_worker, settings, staff_user):
    settings.REQUEUE_STALE_AFTER_SECONDS = 300
    lost, fresh = MovieFactory(), MovieFactory()
    with time_machine.travel(timezone.now() - timedelta(minutes=6)):
        posters.set_poster(lost, upload(image_bytes((400, 600))), enqueue=False)  # as if the broker was away
    posters.set_poster(fresh, upload(image_bytes((400, 600))), enqueue=False)

    assert posters.requeue_stale_posters() == 1

    wait_for(lambda: Movie.objects.get(pk=lost.pk).poster_status == "ready", what="swept poster ready")
    assert Movie.objects.get(pk=fresh.pk).poster_status == "processing"
    assert posters.requeue_stale_posters() == 0  # its requested_at was moved on; fresh is still young
