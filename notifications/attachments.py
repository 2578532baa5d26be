"""Deferred attachments: a row may name a renderer and a source instead of carrying bytes, and
delivery renders it when it builds the message (a QR image is drawn at send time, not inside
the transaction that queued the email and holds the seat locks).

Imports no other app of ours: the apps that own the content register their renderers in their
AppConfig.ready() (bookings registers "ticket_qr")."""

_renderers = {}


class UnknownRenderer(LookupError):
    """No renderer of that name is registered in this process."""


def register_renderer(name, fn):
    """Make `fn(source) -> bytes` the renderer called `name` (registering it again replaces it)."""
    _renderers[name] = fn


def render(name, source):
    """The bytes of a deferred attachment: its renderer applied to its source."""
    try:
        fn = _renderers[name]
    except KeyError:
        raise UnknownRenderer(name) from None
    return fn(source)
