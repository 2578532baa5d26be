"""Movie posters: the upload is checked and stored as it came (the request answers at once); a
worker (`cinema.process_poster`) makes the WebP sizes and the placeholder colour.

Checks before anything is kept: at most 20 MB, a JPEG, PNG or WebP image, at most 40 megapixels
read from the header before any pixel is decoded (a decompression bomb is refused, not opened).
Stored names carry a random token, so a new poster never hides behind a cached old one. Sizes are
public (under MEDIA_URL/posters/); originals are kept under poster-originals/, never published."""

import io
import logging
import secrets
import warnings
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageOps, UnidentifiedImageError

from core.tasks import enqueue_on_commit, send_tasks_safely, task_named

from .models import Movie

logger = logging.getLogger(__name__)

SIZES = {"thumb": 160, "card": 480, "large": 1080}
MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
WEBP_QUALITY = 82
PUBLIC_PREFIX = "posters/"
ORIGINALS_PREFIX = "poster-originals/"

# Pillow refuses to open anything larger than twice this, and warns above it (made an error below).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class PosterRejected(Exception):
    """A 400 of the poster endpoint: `code` is invalid_image or image_too_large."""

    def __init__(self, code, detail):
        super().__init__(detail)
        self.code = code
        self.detail = detail


def _open(fileobj):
    """Open (header only) with bomb warnings as errors; only the three accepted formats."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        return Image.open(fileobj, formats=list(FORMATS))


def check_upload(upload):
    """The file's extension when it is an acceptable poster, else PosterRejected. Reads the
    header and verifies the file's structure; decodes no pixels."""
    if upload is None:
        raise PosterRejected("invalid_image", "Send the poster as the multipart field `image`.")
    if upload.size > MAX_BYTES:
        raise PosterRejected("image_too_large", f"The file is over {MAX_BYTES // (1024 * 1024)} MB.")
    too_many_pixels = PosterRejected("image_too_large", f"The image is over {MAX_PIXELS // 1_000_000} megapixels.")
    try:
        upload.seek(0)
        with _open(upload) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise too_many_pixels
            fmt = image.format
            image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels from None
    except PosterRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise PosterRejected("invalid_image", "The file is not a JPEG, PNG or WebP image.") from exc
    finally:
        upload.seek(0)
    return FORMATS[fmt]


def set_poster(movie, upload, *, enqueue=True):
    """Check and store the original, mark the movie's poster `processing` and enqueue its sizes
    after commit. Raises PosterRejected (nothing stored) for a file that is not acceptable."""
    ext = check_upload(upload)
    name = default_storage.save(f"{ORIGINALS_PREFIX}{movie.pk}/{secrets.token_urlsafe(9)}.{ext}", upload)
    with transaction.atomic():
        locked = Movie.objects.select_for_update().get(pk=movie.pk)
        replaced = locked.poster_original.name
        locked.poster_original = name
        locked.poster_status = Movie.PosterStatus.PROCESSING
        locked.poster_error = ""
        locked.poster_requested_at = timezone.now()
        locked.save(update_fields=["poster_original", "poster_status", "poster_error", "poster_requested_at"])
        if replaced:
            transaction.on_commit(lambda: default_storage.delete(replaced))
        if enqueue:

            enqueue_on_commit(task_named("cinema.process_poster"), movie.pk)
    return locked


def _placeholder(image):
    """The average colour, #rrggbb, shown while the poster loads."""
    r, g, b = image.convert("RGB").resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    return f"#{r:02x}{g:02x}{b:02x}"


def _render(original_name, movie_id):
    """The sizes' files in storage and the placeholder; EXIF orientation applied, no metadata kept
    (Pillow writes EXIF, ICC or XMP into a WebP only when asked to)."""
    with default_storage.open(original_name, "rb") as f, _open(f) as opened:
        if opened.width * opened.height > MAX_PIXELS:
            raise PosterRejected("image_too_large", "The image is over the pixel limit.")
        image = ImageOps.exif_transpose(opened)
        image = image.convert("RGBA" if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info else "RGB")
    token = secrets.token_urlsafe(9)
    sizes = {}
    for key, width in SIZES.items():
        width = min(width, image.width)  # never enlarged
        height = max(1, round(image.height * width / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        resized.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
        name = default_storage.save(f"{PUBLIC_PREFIX}{movie_id}/{token}-{key}.webp", ContentFile(out.getvalue()))
        sizes[key] = {"name": name, "width": width, "height": height}
    return sizes, _placeholder(image)


def _delete_sizes(sizes):
    for size in (sizes or {}).values():
        default_storage.delete(size["name"])


def process_poster(movie_id):
    """Make the sizes of the movie's current original. Safe to run twice; a run whose original was
    replaced meanwhile drops its work (the newer upload has its own task). A failure leaves the
    poster `failed` with the reason. Returns the status it left, or None when there was nothing to do."""
    movie = Movie.objects.filter(pk=movie_id).only("poster_original", "poster_status").first()
    if movie is None or movie.poster_status != Movie.PosterStatus.PROCESSING or not movie.poster_original:
        return None
    original = movie.poster_original.name
    try:
        sizes, placeholder = _render(original, movie_id)
    except Exception as exc:  # any failure of the file or the decoder: staff must see why
        logger.warning("poster of movie %s failed: %s", movie_id, exc, exc_info=not isinstance(exc, PosterRejected))
        reason = exc.detail if isinstance(exc, PosterRejected) else f"{type(exc).__name__}: {exc}"
        Movie.objects.filter(pk=movie_id, poster_original=original).update(
            poster_status=Movie.PosterStatus.FAILED, poster_error=reason[:1000]
        )
        return Movie.PosterStatus.FAILED
    with transaction.atomic():
        locked = Movie.objects.select_for_update().get(pk=movie_id)
        if locked.poster_original.name != original:
            _delete_sizes(sizes)
            return None
        replaced = locked.poster_sizes
        locked.poster_sizes = sizes
        locked.poster_placeholder = placeholder
        locked.poster_status = Movie.PosterStatus.READY
        locked.poster_error = ""
        locked.save(update_fields=["poster_sizes", "poster_placeholder", "poster_status", "poster_error"])
        transaction.on_commit(lambda: _delete_sizes(replaced))
    return Movie.PosterStatus.READY


def requeue_stale_posters(now=None):
    """Enqueue again the posters left `processing` past REQUEUE_STALE_AFTER_SECONDS (an enqueue lost
    to a broker outage, a worker that died): the database says what is left to do, not the broker.
    Returns how many were sent."""

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    stale = Movie.objects.filter(poster_status=Movie.PosterStatus.PROCESSING, poster_requested_at__lt=cutoff)
    ids = list(stale.values_list("pk", flat=True))
    Movie.objects.filter(pk__in=ids).update(poster_requested_at=now)  # not topped up again at every sweep
    return send_tasks_safely(task_named("cinema.process_poster"), [(pk,) for pk in ids])


def size_urls(movie):
    """{"thumb", "card", "large"}: storage URLs (relative to the site with the default storage);
    None each until a poster is ready."""
    sizes = movie.poster_sizes or {}
    return {key: default_storage.url(sizes[key]["name"]) if key in sizes else None for key in SIZES}


def sources(movie):
    """What an <img> needs, or None when the movie has no processed poster: `src` (card),
    `srcset` (each distinct width once), intrinsic `width`/`height` and the `placeholder` colour."""
    sizes = movie.poster_sizes or {}
    if not sizes:
        return None
    urls = size_urls(movie)
    by_width = {}
    for key in SIZES:
        by_width.setdefault(sizes[key]["width"], urls[key])
    return {
        "src": urls["card"],
        "srcset": ", ".join(f"{url} {width}w" for width, url in sorted(by_width.items())),
        "width": sizes["card"]["width"],
        "height": sizes["card"]["height"],
        "placeholder": movie.poster_placeholder,
    }


def absolute_sources(movie, base_url):
    """sources() with every URL absolute (emails): relative storage URLs are joined to `base_url`."""
    found = sources(movie)
    if not found:
        return None

    def absolute(url):
        return f"{base_url.rstrip('/')}{url}" if url.startswith("/") else url

    found["src"] = absolute(found["src"])
    found["srcset"] = ", ".join(
        f"{absolute(url)} {width}" for url, width in (part.rsplit(" ", 1) for part in found["srcset"].split(", "))
    )
    return found
