"""The 500 page renders with DEBUG=false even when the static files are missing (collectstatic
not run, or a file absent from the manifest): it needs neither static files nor a base template."""

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage

pytestmark = pytest.mark.django_db


@pytest.fixture
def production_static_without_files(settings, tmp_path):
    """DEBUG off, whitenoise's manifest storage, an empty STATIC_ROOT: what a release without
    collectstatic looks like. The home page crashes so the 500 handler runs."""
    settings.DEBUG = False
    settings.STATIC_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with pytest.raises(ValueError):  # the premise: any {% static %} fails now
        staticfiles_storage.url("web/site.css")


@pytest.fixture
def crashing_home(monkeypatch):
    from web import catalogue

    def crash():
        raise RuntimeError("a bug")

    monkeypatch.setattr(catalogue, "movies_now_showing", crash)


@pytest.mark.parametrize(
    "language, heading",
    [("en", "Sorry, something went wrong on our side"), ("vi", "Xin lỗi, hệ thống của chúng tôi gặp sự cố")],
)
def test_the_500_page_renders_without_static_files(client, production_static_without_files, crashing_home,
                                                   language, heading):
    client.raise_request_exception = False
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'class="error-code"' in html and "/static/" not in html
    assert f'lang="{language}"' in html and heading in html
