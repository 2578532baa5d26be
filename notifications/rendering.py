"""Rendering of email templates: subject, plain text and HTML, in the recipient's language.

Templates live in notifications/templates/emails/<language>/<name>.{subject.txt,txt,html};
a language without its own template falls back to English. Imports no other app of ours."""

from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import select_template
from django.utils import translation

from core.money import format_money_with_code as format_money  # '9.50 USD', '120,000 VND'

LANGUAGES = ("en", "vi")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


def email_language(language):
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def site_link(path):
    return f"{settings.SITE_URL}/{path.lstrip('/')}"


def _template(language, name, ext):
    return select_template([f"emails/{language}/{name}.{ext}", f"emails/en/{name}.{ext}"])


def _render_plain(template, context):
    """Subjects and text bodies are not HTML: no autoescaping ("Tom & Jerry" stays as written)."""
    return template.template.render(Context(context, autoescape=False))


def render_email(name, context, language):
    """Render one email in `language` (dates and numbers localised too)."""
    language = email_language(language)
    ctx = {
        "cinema_name": settings.CINEMA_NAME,
        "site_url": settings.SITE_URL,
        "language": language,
        **context,
    }
    with translation.override(language):
        subject = " ".join(_render_plain(_template(language, name, "subject.txt"), ctx).split())
        text = _render_plain(_template(language, name, "txt"), ctx).strip() + "\n"
        html = _template(language, name, "html").render(ctx)
    return RenderedEmail(subject=subject, text=text, html=html)


__all__ = ["RenderedEmail", "email_language", "format_money", "render_email", "site_link"]
