"""API-key authentication for centres: ``Authorization: Api-Key <key>``.

A key acts as its centre: the request's user is a ``CentreKeyUser`` with the same role attributes a
centre user has, so the one scoping mechanism (``for_user``) and the ``rules`` predicates apply to
API calls exactly as to the pages.
"""

import rules
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from enterprises.models import CentreAPIKey


class CentreKeyUser:
    """The identity of an API key: a centre user without a password or a session."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_ministry = False
    is_administrator = False
    is_province_officer = False
    is_centre_user = True
    is_staff = False
    is_superuser = False
    role = "centre"
    unit_id = None

    def __init__(self, key: CentreAPIKey):
        self.api_key = key
        self.centre = key.centre
        self.centre_id = key.centre_id
        self.is_sandbox = key.is_sandbox
        self.pk = self.id = None
        self.username = f"api-key:{key.prefix}"

    def has_perm(self, perm, obj=None) -> bool:
        return rules.has_perm(perm, self, obj)

    def get_full_name(self) -> str:
        return self.username

    def __str__(self):
        return self.username


class CentreAPIKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        if scheme != self.keyword:
            return None
        key = key.strip()
        try:
            api_key = CentreAPIKey.objects.get_from_key(key)
        except CentreAPIKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Unknown API key.")) from None
        if api_key.has_expired or api_key.revoked or not api_key.centre.is_active:
            raise exceptions.AuthenticationFailed(_("This API key was revoked or has expired."))
        return CentreKeyUser(api_key), api_key

    def authenticate_header(self, request):
        return self.keyword


class CentreAPIKeyScheme(OpenApiAuthenticationExtension):
    """How the schema describes the centres' keys."""

    target_class = "accounts.api_auth.CentreAPIKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`, the key a centre receives once when it is created.",
        }
