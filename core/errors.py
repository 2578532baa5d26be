"""The base of every domain refusal: a stable `code`, a human `detail`, extra fields; no HTTP.

Services raise these; `core.api` turns one into a response through its one table from
code to HTTP status, so no view maps errors by hand."""


class DomainError(Exception):
    """A refusal the caller can act on. Subclasses set a default `code`."""

    code = "invalid"

    def __init__(self, detail, code=None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.extra = extra
