"""Bearer authentication with the auth provider's (Clerk's) RS256 session JWTs, verified offline."""

import functools
import logging

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import services

logger = logging.getLogger(__name__)


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
        key = _public_key(settings.CLERK_JWT_KEY)
    except Exception:  # ValueError, UnsupportedAlgorithm: a configuration error, logged for operators
        logger.error("CLERK_JWT_KEY is not a PEM public key; bearer tokens cannot be verified")
        raise exceptions.AuthenticationFailed("Bearer tokens cannot be verified here.", code="invalid_token")
    try:
        claims = jwt.decode(
            token,
            key,
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
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > services.CLERK_ID_MAX_LENGTH:
        raise exceptions.AuthenticationFailed("Invalid session token.", code="invalid_token")
    return claims


@functools.lru_cache(maxsize=4)
def _public_key(pem):
    """The parsed key, once per process (not once per request)."""
    return load_pem_public_key(pem.encode())


def user_for_claims(claims):
    """The user of a `sub`, created on first sight (no email yet: the provider's `user.created`
    event completes the same row); deleted or inactive users are refused."""
    user = services.user_for_session(claims["sub"], email=claims.get("email"))
    if user.deleted_at is not None or not user.is_active:
        raise exceptions.AuthenticationFailed("This account is no longer active.", code="user_inactive")
    return user


class ClerkJWTScheme(OpenApiAuthenticationExtension):
    """Describes the bearer session JWT in the OpenAPI document."""

    target_class = "accounts.authentication.ClerkJWTAuthentication"
    name = "clerkSessionJWT"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
