"""New-movie announcements: once per movie, to active opted-in users, in batches of
ANNOUNCEMENT_BATCH_SIZE, each batch its own task, users read by keyset (id ranges).

Memory stays flat as the audience grows: the planner streams user ids and keeps one id per
batch; a batch task holds one batch of users and renders the template once per language."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.html import escape

from accounts.models import User
from cinema.models import Movie, Showtime
from cinema.posters import absolute_sources
from core.tasks import enqueue_on_commit, send_task_safely, task_named

from .models import Announcement, AnnouncementBatch, EmailMessage
from .outbox import enqueue_many_on_commit, queue_emails_bulk
from .rendering import email_language, render_email, site_link
from .unsubscribe import list_unsubscribe_headers, unsubscribe_url

# Stand-ins rendered into the template once per language, then replaced per recipient.
NAME_SLOT = "@@RECIPIENT_NAME@@"
UNSUBSCRIBE_SLOT = "@@UNSUBSCRIBE_URL@@"


def eligible_users():
    """Who may get marketing email: active, not deleted, opted in, with a verified address."""
    return User.objects.filter(
        is_active=True, marketing_opt_in=True, deleted_at__isnull=True, email_verified_at__isnull=False
    ).exclude(email="")


def _batch_task():
    return task_named("notifications.announce_movie_batch")


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


def _batch_starts(batch_size):
    """(first user id of each batch, number of users): streams ids, keeps one per batch."""
    starts, count = [], 0
    ids = eligible_users().order_by("id").values_list("id", flat=True).iterator(chunk_size=5000)
    for position, user_id in enumerate(ids):
        if position % batch_size == 0:
            starts.append(user_id)
        count += 1
    return starts, count


def plan_announcement(movie_id):
    """Cut the audience into batches and enqueue one task per batch. Run again, it re-enqueues
    the batches not done yet (a lost enqueue) and plans nothing twice."""
    task = _batch_task()
    with transaction.atomic():
        if not Movie.objects.filter(pk=movie_id).exists():
            return None
        Announcement.objects.get_or_create(movie_id=movie_id)
        announcement = Announcement.objects.select_for_update().get(movie_id=movie_id)
        if announcement.status != Announcement.Status.PLANNING:
            pending = announcement.batches.filter(done_at__isnull=True)
            enqueue_many_on_commit(task, [(movie_id, b.from_user_id, b.before_user_id) for b in pending])
            return announcement
        starts, count = _batch_starts(settings.ANNOUNCEMENT_BATCH_SIZE)
        batches = [
            AnnouncementBatch(
                announcement=announcement,
                from_user_id=start,
                before_user_id=starts[i + 1] if i + 1 < len(starts) else None,
            )
            for i, start in enumerate(starts)
        ]
        AnnouncementBatch.objects.bulk_create(batches, batch_size=1000)
        announcement.total_batches = len(batches)
        announcement.recipients = count
        if batches:
            announcement.status = Announcement.Status.SENDING
        else:
            announcement.status = Announcement.Status.DONE
            announcement.finished_at = timezone.now()
        announcement.save(update_fields=["total_batches", "recipients", "status", "finished_at"])
        enqueue_many_on_commit(task, [(movie_id, b.from_user_id, b.before_user_id) for b in batches])
    return announcement


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


def send_announcement_batch(movie_id, from_user_id, before_user_id=None):
    """Queue the emails of one batch (bulk insert, conflicts ignored) and count it done once."""
    batch = (
        AnnouncementBatch.objects.select_related("announcement__movie")
        .filter(announcement__movie_id=movie_id, from_user_id=from_user_id)
        .first()
    )
    if batch is None or batch.done_at is not None:
        return 0
    movie = batch.announcement.movie
    users = eligible_users().filter(id__gte=from_user_id)
    if before_user_id is not None:
        users = users.filter(id__lt=before_user_id)
    users = users.order_by("id").only("id", "email", "first_name", "language")
    templates = _NewMovieTemplates(movie)
    messages = [templates.message(user) for user in users]
    with transaction.atomic():
        locked = AnnouncementBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.done_at is not None:
            return 0
        queue_emails_bulk(messages)
        now = timezone.now()
        locked.done_at = now
        locked.recipients = len(messages)
        locked.save(update_fields=["done_at", "recipients"])
        Announcement.objects.filter(pk=batch.announcement_id).update(batches_done=F("batches_done") + 1)
        Announcement.objects.filter(
            pk=batch.announcement_id, status=Announcement.Status.SENDING, batches_done__gte=F("total_batches")
        ).update(status=Announcement.Status.DONE, finished_at=now)
    return len(messages)


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
