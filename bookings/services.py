"""Operations that change state: one transaction each, safe to call twice."""


def release_pending_holds_of_user(user):
    """Placeholder replaced by the booking core."""
    raise NotImplementedError
