"""`manage.py seed_demo`: an idempotent demo cinema. Running it twice creates nothing twice.

Auditoriums are found by name, movies by slug, showtimes by (auditorium, start); the demo
users (only when DEBUG) by username. Each demo movie without a poster gets one drawn with Pillow
(cinema.demo_posters), processed at once (no worker needed)."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from cinema import posters
from cinema.demo_posters import draw_poster
from cinema.models import Auditorium, Movie, Showtime
from core.money import price_decimals
from cinema.services import create_auditorium, overlapping_showtimes, showtime_end

AUDITORIUMS = [("Hall 1", 8, 12), ("Hall 2", 10, 16), ("Studio", 5, 8)]

MOVIES = [
    ("The Last Projectionist", 118, "An old cinema's final week, told from the booth."),
    ("Neon Harbour", 104, "A detective story in a city that never switches its lights off."),
    ("Paper Moons", 96, "Two sisters build a theatre out of a shipping container."),
    ("Orbit of Small Things", 131, "A repair crew on a station at the edge of the solar system."),
    ("The Quiet Orchard", 89, "A family drama across three harvests."),
]

# Start times (in the site's time zone) of each day; 3 h apart, longer than any runtime + cleaning.
SLOTS = [time(13, 0), time(16, 0), time(19, 0), time(22, 0)]
DAYS = 7
PRICES = {"Hall 1": Decimal("9.50"), "Hall 2": Decimal("11.00"), "Studio": Decimal("8.00")}


def demo_price(auditorium_name, currency):
    """The hall's price; in a zero-decimal currency (vnd, jpy) ten thousand times it, whole."""
    price = PRICES.get(auditorium_name, Decimal("9.50"))
    return (price * 10000).quantize(Decimal(1)) if price_decimals(currency) == 0 else price


DEMO_USERS = [("demo", "demo12345", False), ("admin", "admin12345", True)]


class Command(BaseCommand):
    help = "Create the demo cinema (auditoriums, movies, a week of showtimes; demo users when DEBUG). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=DAYS, help="days of showtimes from today (default 7)")

    def handle(self, *args, days, **options):
        created = {"auditoriums": 0, "movies": 0, "showtimes": 0, "users": 0, "posters": 0}
        today = timezone.localdate()
        plan = [(today + timedelta(days=d), slot) for d in range(days) for slot in SLOTS]
        steps = len(AUDITORIUMS) + len(MOVIES) + len(plan) + (len(DEMO_USERS) if settings.DEBUG else 0)
        with tqdm(total=steps, desc="seed_demo", unit="step", disable=options["verbosity"] == 0) as bar:
            auditoriums = []
            for name, rows, per_row in AUDITORIUMS:
                auditorium = Auditorium.objects.filter(name=name).first()
                if auditorium is None:
                    auditorium = create_auditorium(name=name, rows=rows, seats_per_row=per_row)
                    created["auditoriums"] += 1
                auditoriums.append(auditorium)
                bar.update()
            movies = []
            for title, runtime, overview in MOVIES:
                movie, new = Movie.objects.get_or_create(
                    slug=title.lower().replace(" ", "-"),
                    defaults={"title": title, "runtime_minutes": runtime, "overview": overview,
                              "release_date": date(2026, 1, 1)},
                )
                created["movies"] += new
                created["posters"] += self.ensure_poster(movie)
                movies.append(movie)
                bar.update()
            now = timezone.now()
            for i, (day, slot) in enumerate(plan):
                starts_at = timezone.make_aware(datetime.combine(day, slot))
                if starts_at > now:
                    created["showtimes"] += self.add_showtimes(auditoriums, movies, starts_at, i)
                bar.update()
            if settings.DEBUG:
                for username, password, staff in DEMO_USERS:
                    created["users"] += self.ensure_user(username, password, staff)
                    bar.update()
        summary = ", ".join(f"{n} {what}" for what, n in created.items())
        self.stdout.write(self.style.SUCCESS(f"demo cinema ready; created {summary}"))
        if settings.DEBUG:
            self.stdout.write("sign in as demo / demo12345 (staff: admin / admin12345)")

    @transaction.atomic
    def add_showtimes(self, auditoriums, movies, starts_at, index):
        """One showtime per auditorium at `starts_at` unless the auditorium already has one then."""
        added = 0
        for j, auditorium in enumerate(auditoriums):
            movie = movies[(index + j) % len(movies)]
            ends_at = showtime_end(movie, starts_at)
            if overlapping_showtimes(auditorium, starts_at, ends_at).exists():
                continue  # seeded before (or staff scheduled something then)
            Showtime.objects.create(
                movie=movie,
                auditorium=auditorium,
                starts_at=starts_at,
                ends_at=ends_at,
                price=demo_price(auditorium.name, settings.DEFAULT_CURRENCY),
                currency=settings.DEFAULT_CURRENCY,
            )
            added += 1
        return added

    def ensure_poster(self, movie):
        """Draw and process a poster for a demo movie that has none (or whose last one failed)."""
        if movie.poster_status in (Movie.PosterStatus.READY, Movie.PosterStatus.PROCESSING):
            return 0
        image = SimpleUploadedFile(f"{movie.slug}.jpg", draw_poster(movie.title, movie.overview), "image/jpeg")
        posters.set_poster(movie, image, enqueue=False)
        return int(posters.process_poster(movie.pk) == Movie.PosterStatus.READY)

    def ensure_user(self, username, password, staff):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            return 0
        if staff:
            User.objects.create_superuser(username=username, email=f"{username}@example.com", password=password)
        else:
            User.objects.create_user(username=username, email=f"{username}@example.com", password=password)
        return 1
