"""factory_boy factories shared by every test package."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from cinema.models import Movie, Showtime
from cinema.services import create_auditorium


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = "Ada"
    last_name = "Lovelace"
    password = factory.django.Password("pw-12345678")
    email_verified_at = factory.LazyFunction(timezone.now)  # unverified users are made on purpose


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


def staff_with_permissions(*perms):
    """A staff user holding exactly `perms` ("app_label.codename"), e.g. a view-only clerk."""
    from django.contrib.auth.models import Permission

    user = StaffFactory()
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return User.objects.get(pk=user.pk)  # a fresh instance: no cached permissions


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda n: f"Movie {n}")
    slug = factory.LazyAttribute(lambda m: slugify(m.title))
    overview = "A film."
    runtime_minutes = 100


class AuditoriumFactory(factory.Factory):
    """Builds through the service so that the seat grid exists."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Hall {n}")
    rows = 5
    seats_per_row = 10

    @classmethod
    def _create(cls, model_class, **kwargs):
        return create_auditorium(**kwargs)

    _build = _create


class ShowtimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Showtime

    movie = factory.SubFactory(MovieFactory)
    auditorium = factory.SubFactory(AuditoriumFactory)
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(minutes=s.movie.runtime_minutes + 15))
    price = Decimal("9.50")
    currency = "usd"
