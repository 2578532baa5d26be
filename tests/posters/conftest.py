"""Fixtures of the poster tests (the images themselves: tests.support.images)."""

import pytest


@pytest.fixture
def poster_url():
    return lambda movie: f"/api/v1/movies/{movie.pk}/poster/"
