"""API-key authentication for centres: ``Authorization: Api-Key <key>``.

A key acts as its centre: the request's user is a ``CentreKeyUser`` with the same role attributes a
centre user has, so the one scoping mechanism (``for_user``) and the ``rules`` predicates apply to
API calls exactly as to the pages.
"""

import logging
import time

import rules
from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from common.api import count_in_window
from common.clientip import client_key
from enterprises.models import CentreAPIKey

logger = logging.getLogger(__name__)

# Wrong keys counted per client address and minute (in Redis, with the throttle's counters).
FAILURES_COUNTER = "api-key-failures"
FAILURES_WINDOW = 60


def _window() -> int:
    """The fixed window ``count_in_window`` counts in now."""
    return int(time.time() // FAILURES_WINDOW)


class TooManyWrongKeys(exceptions.Throttled):
    """429 with Retry-After, in the API's error format (code ``throttled``)."""

    def __init__(self, wait: int):
        super().__init__(
            detail=_(
                "Too many wrong API keys from your address: wait %(seconds)s seconds, then send "
                "your centre's valid key."
            )
            % {"seconds": wait}
        )
        self.wait = wait


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
    """A centre's key. Wrong keys (unknown, revoked, expired, of an inactive centre) are counted per
    client address; past ``SXSH_API_KEY_FAILURES_PER_MINUTE`` in a minute every key from that
    address, a valid one too, gets 429 until the minute ends: a guesser learns nothing from the
    rest of its guesses (ASVS 2.2.1). A request without a key is not counted.

    Every keyed request takes its place in the count (Redis INCR) before its key is looked up, and a
    valid key gives it back: concurrent guesses cannot all read a count under the limit and all be
    answered. A valid key is counted only while it is being looked up (milliseconds)."""

    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _sep, key = header.partition(" ")
        if scheme != self.keyword:
            return None
        limit = int(getattr(settings, "SXSH_API_KEY_FAILURES_PER_MINUTE", 20) or 0)
        address = client_key(request)
        window, count = _window(), 0
        if limit:
            count, wait = count_in_window(FAILURES_COUNTER, address, window=FAILURES_WINDOW)
            if count > limit:
                raise TooManyWrongKeys(wait)
        key = key.strip()
        try:
            api_key = CentreAPIKey.objects.get_from_key(key)
        except CentreAPIKey.DoesNotExist:
            self._failed(address, limit, count)
            raise exceptions.AuthenticationFailed(_("Unknown API key.")) from None
        if api_key.has_expired or api_key.revoked or not api_key.centre.is_active:
            self._failed(address, limit, count)
            raise exceptions.AuthenticationFailed(_("This API key was revoked or has expired."))
        if limit:
            self._give_back(address, window)
        return CentreKeyUser(api_key), api_key

    @staticmethod
    def _failed(address: str, limit: int, count: int) -> None:
        if limit and count == limit:
            logger.warning("%s wrong API keys in a minute from %s: refused until it ends", limit, address)

    @staticmethod
    def _give_back(address: str, window: int) -> None:
        """Take a valid key's place out of the count of the window it was added to. Never lower
        another window's count: a guesser holding a valid key would gain guesses there."""
        if _window() != window:
            return
        count_in_window(FAILURES_COUNTER, address, window=FAILURES_WINDOW, add=-1)
        if _window() != window:  # the minute ended meanwhile: the -1 may have gone to the new one
            count_in_window(FAILURES_COUNTER, address, window=FAILURES_WINDOW, add=1)

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
