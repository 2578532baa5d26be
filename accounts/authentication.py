"""Bearer authentication with the auth provider's (Clerk's) RS256 session JWTs, verified offline."""

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError
from rest_framework import authentication, exceptions


class ClerkJWTAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate_header(self, request):
        return 'Bearer realm="api"'

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Bearer header.", code="invalid_token")
        if not settings.CLERK_JWT_KEY:
            raise exceptions.AuthenticationFailed("Bearer tokens are not accepted here.", code="invalid_token")
        claims = verify_session_token(header[1].decode("latin-1"))
        return user_for_claims(claims), claims


def verify_session_token(token):
    """Signature, exp, nbf (PyJWT) and azp when present against the allowed parties."""
    try:
        claims = jwt.decode(
            token,
            settings.CLERK_JWT_KEY,
            algorithms=["RS256"],
            options={"require": ["sub", "exp"], "verify_aud": False},
            leeway=5,
        )
    except jwt.ExpiredSignatureError:
        raise exceptions.AuthenticationFailed("Session token expired.", code="token_expired")
    except jwt.PyJWTError:
        raise exceptions.AuthenticationFailed("Invalid session token.", code="invalid_token")
    azp = claims.get("azp")
    if azp and settings.CLERK_AUTHORIZED_PARTIES and azp not in settings.CLERK_AUTHORIZED_PARTIES:
        raise exceptions.AuthenticationFailed("Token issued for another party.", code="invalid_token")
    return claims


def user_for_claims(claims):
    """The user of a `sub`, created on first sight; deleted or inactive users are refused."""
    User = get_user_model()
    sub = str(claims["sub"])
    user = User.objects.filter(clerk_id=sub).first()
    if user is None:
        try:
            user, _ = User.objects.get_or_create(
                clerk_id=sub, defaults={"username": f"clerk_{sub}"[:150], "email": claims.get("email", "") or ""}
            )
        except IntegrityError:
            user = User.objects.get(clerk_id=sub)
    if user.deleted_at is not None or not user.is_active:
        raise exceptions.AuthenticationFailed("This account is no longer active.", code="user_inactive")
    return user
