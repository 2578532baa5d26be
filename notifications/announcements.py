"""New-movie announcements: once per movie, to active opted-in users whose address is not
suppressed, sent in batches of ANNOUNCEMENT_BATCH_SIZE (one `notifications.send_email_batch`
task each), users read by keyset (id order).

The planner renders the template once per language and bulk-inserts the rows itself, a chunk
per transaction: as fast as one process can make them, memory flat as the audience grows."""

import math
import time
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from cinema.models import Movie, Showtime
from cinema.posters import absolute_sources
from core.tasks import enqueue_on_commit, send_task_safely, task_named

from .models import Announcement, AnnouncementBatch, EmailMessage, SuppressedAddress
from .outbox import PLAN_BUDGET_SECONDS, queue_emails_bulk
from .rendering import email_language, render_email, site_link
from .unsubscribe import list_unsubscribe_headers, unsubscribe_url

# Stand-ins rendered into the template once per language, then replaced per recipient.
NAME_SLOT = "@@RECIPIENT_NAME@@"
# Users per planning transaction (rows rendered and bulk-inserted together).
PLAN_CHUNK = 1000
UNSUBSCRIBE_SLOT = "@@UNSUBSCRIBE_URL@@"


def eligible_users():
    """Who may get marketing email: active, not deleted, opted in, with a verified address."""
    return User.objects.filter(
        is_active=True, marketing_opt_in=True, deleted_at__isnull=True, email_verified_at__isnull=False
    ).exclude(email="")


def on_showtime_created(showtime):
    """A movie's first showtime creates its Announcement (once: the row is unique) and
    enqueues `notifications.announce_movie` after the caller's transaction commits."""
    if Showtime.objects.filter(movie_id=showtime.movie_id).exclude(pk=showtime.pk).exists():
        return None
    try:
        with transaction.atomic():
            announcement, created = Announcement.objects.get_or_create(movie_id=showtime.movie_id)
    except IntegrityError:  # a concurrent first showtime of the same movie won
        return None
    if created:
        enqueue_on_commit(task_named("notifications.announce_movie"), showtime.movie_id)
    return announcement


def plan_announcement(movie_id):
    """Make every row of the announcement and enqueue its send batches, chunk by chunk.

    Each chunk of PLAN_CHUNK users is one transaction (rows rendered and bulk-inserted, one
    AnnouncementBatch per ANNOUNCEMENT_BATCH_SIZE of them, their `send_email_batch` tasks
    enqueued after commit) that moves the announcement's cursor on. Run again (a lost enqueue,
    a worker killed half-way, two planners at once), it goes on from the cursor under the
    announcement's lock and makes nothing twice. Memory stays flat: one chunk at a time."""
    movie = Movie.objects.filter(pk=movie_id).first()
    if movie is None:
        return None
    announcement, _ = Announcement.objects.get_or_create(movie_id=movie_id)
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
        if announcement.status == Announcement.Status.PLANNING:
            audience = eligible_users().count()
            announcement.total_batches = math.ceil(audience / settings.ANNOUNCEMENT_BATCH_SIZE)
            announcement.status = Announcement.Status.SENDING
            announcement.save(update_fields=["total_batches", "status"])
    templates = _NewMovieTemplates(movie)
    started = time.monotonic()
    while _plan_chunk(announcement.pk, templates):
        if time.monotonic() - started > PLAN_BUDGET_SECONDS:  # go on in a fresh task, inside its time limit
            send_task_safely(task_named("notifications.announce_movie"), args=(movie_id,))
            break
    return Announcement.objects.get(pk=announcement.pk)


def _audience_after(user_id):
    """Eligible users after the cursor, suppressed addresses left out, by id."""
    suppressed = SuppressedAddress.objects.values("email")
    return (
        eligible_users()
        .filter(id__gt=user_id)
        .annotate(email_key=Lower("email"))
        .exclude(email_key__in=suppressed)
        .order_by("id")
        .only("id", "email", "first_name", "language")
    )


def _plan_chunk(announcement_id, templates):
    """One chunk of the planner; False once every row exists (the announcement is then done)."""
    size = settings.ANNOUNCEMENT_BATCH_SIZE
    with transaction.atomic():
        announcement = Announcement.objects.select_for_update().get(pk=announcement_id)
        if announcement.status == Announcement.Status.DONE:
            return False
        users = list(_audience_after(announcement.planned_through_user_id)[:PLAN_CHUNK])
        now = timezone.now()
        if not users:
            announcement.status = Announcement.Status.DONE
            announcement.total_batches = announcement.batches_done
            announcement.finished_at = now
            announcement.save(update_fields=["status", "total_batches", "finished_at"])
            return False
        queue_emails_bulk([templates.message(user) for user in users], batch_size=size)
        slices = [users[i:i + size] for i in range(0, len(users), size)]
        AnnouncementBatch.objects.bulk_create(
            [
                AnnouncementBatch(
                    announcement=announcement,
                    from_user_id=part[0].pk,
                    before_user_id=part[-1].pk + 1,
                    recipients=len(part),
                    done_at=now,
                )
                for part in slices
            ],
            ignore_conflicts=True,
        )
        announcement.planned_through_user_id = users[-1].pk
        announcement.recipients += len(users)
        announcement.batches_done += len(slices)
        announcement.total_batches = max(announcement.total_batches, announcement.batches_done)
        announcement.save(update_fields=["planned_through_user_id", "recipients", "batches_done", "total_batches"])
    return True


class _NewMovieTemplates:
    """The movie's email rendered once per language with stand-ins, and the unsubscribe link's
    base reversed once: per recipient only string replacement and a signature are left."""

    def __init__(self, movie):
        self.movie = movie
        self.unsubscribe_base = unsubscribe_url(None)
        self._rendered = {}
        self._context = {
            "name": NAME_SLOT,
            "movie_title": movie.title,
            "overview": movie.overview,
            "poster_url": movie.poster_url,
            "poster": absolute_sources(movie, settings.SITE_URL),
            "movie_url": site_link(f"/movies/{movie.slug}/"),
            "unsubscribe_url": UNSUBSCRIBE_SLOT,
        }

    def for_language(self, language):
        language = email_language(language)
        if language not in self._rendered:
            self._rendered[language] = render_email("new_movie", self._context, language)
        return language, self._rendered[language]

    def message(self, user):
        language, template = self.for_language(user.language)
        name = user.first_name or user.email
        url = unsubscribe_url(user.pk, base=self.unsubscribe_base)
        return EmailMessage(
            kind=EmailMessage.Kind.NEW_MOVIE,
            to=user.email,
            user_id=user.pk,
            subject=template.subject,
            body_text=template.text.replace(NAME_SLOT, name).replace(UNSUBSCRIBE_SLOT, url),
            body_html=template.html.replace(NAME_SLOT, escape(name)).replace(UNSUBSCRIBE_SLOT, escape(url)),
            headers=list_unsubscribe_headers(url),
            language=language,
            idempotency_key=f"new_movie:{self.movie.pk}:{user.pk}",
        )


def requeue_stuck_announcements():
    """For the per-minute sweep: an announcement not done whose last progress (creation or a
    finished batch) is older than REQUEUE_STALE_AFTER_SECONDS lost an enqueue; planning again
    re-enqueues what is left. One still progressing is left alone. Returns the movie ids."""
    announce_movie = task_named("notifications.announce_movie")
    cutoff = timezone.now() - timedelta(seconds=settings.REQUEUE_STALE_AFTER_SECONDS)
    stuck = (
        Announcement.objects.exclude(status=Announcement.Status.DONE)
        .filter(created_at__lt=cutoff)
        .annotate(last_done=Max("batches__done_at"))
        .filter(Q(last_done__isnull=True) | Q(last_done__lt=cutoff))
        .values_list("movie_id", flat=True)
    )
    movie_ids = list(stuck)
    for movie_id in movie_ids:
        send_task_safely(announce_movie, args=(movie_id,))
    return movie_ids
