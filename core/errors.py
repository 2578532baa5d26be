"""The base of every domain refusal: a stable `code`, a human `detail`, extra fields; no HTTP.

Services raise these; `core.api` turns one into a response through its one table from
code to HTTP status, so no view maps errors by hand."""


class DomainError(Exception):
    """A refusal the caller can act on. Subclasses set a default `code`."""

    code = "invalid"

    def __init__(self, detail, code=None, reason="", **extra):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        # Which case of the code this is, where one API code covers several (CONTRACT.md keeps
        # the code): read by the site to choose its message, never part of the API body.
        self.reason = reason
        self.extra = extra
