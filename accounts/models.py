"""Users and their roles. The role decides the scope (see ``for_user`` on each model's queryset)."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("role", "admin")
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    class Role(models.TextChoices):
        PROVINCE = "province", _("province officer")
        CENTRE = "centre", _("centre user")
        MINISTRY = "ministry", _("ministry officer")
        ADMIN = "admin", _("administrator")

    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="officers",
        help_text=_("For a province officer: the unit (of the 34) whose Department they work for."),
    )
    centre = models.ForeignKey(
        "enterprises.Centre",
        verbose_name=_("centre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email_notifications = models.BooleanField(
        _("email notifications"),
        default=True,
        help_text=_(
            "Send me an email for reports submitted, returned, approved or reopened, and deadline reminders."
        ),
    )
    email_language = models.CharField(
        _("language of emails"), max_length=5, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )

    objects = PortalUserManager()

    # Only a sandbox API key (accounts.api_auth.CentreKeyUser) acts in the sandbox; a person never does.
    is_sandbox = False

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(role="province", unit__isnull=False, centre__isnull=True)
                    | models.Q(role="centre", centre__isnull=False, unit__isnull=True)
                    | models.Q(role__in=["ministry", "admin"], unit__isnull=True, centre__isnull=True)
                ),
                name="user_role_binding",
                violation_error_message=_(
                    "A province officer needs a unit, a centre user a centre; "
                    "ministry officers and administrators neither."
                ),
            ),
        ]

    def get_full_name(self) -> str:
        """Vietnamese order: family name first (Nguyễn Thị Thu Hà)."""
        return " ".join(part for part in (self.last_name, self.first_name) if part).strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_ministry(self) -> bool:
        """Ministry officers and administrators see everything."""
        return self.is_active and self.role in (self.Role.MINISTRY, self.Role.ADMIN)

    @property
    def is_administrator(self) -> bool:
        return self.is_active and self.role == self.Role.ADMIN

    @property
    def is_province_officer(self) -> bool:
        return self.is_active and self.role == self.Role.PROVINCE and self.unit_id is not None

    @property
    def is_centre_user(self) -> bool:
        return self.is_active and self.role == self.Role.CENTRE and self.centre_id is not None


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an ``Idempotency-Key``, kept 24 hours so that a retried call
    gets the same answer instead of creating a second record."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")
        DONE = "done", _("done")

    owner = models.CharField(_("owner"), max_length=64, help_text=_("centre:<id> or user:<id>"))
    key = models.CharField(_("idempotency key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key_unique")]

    def __str__(self):
        return f"{self.owner} {self.key}"
