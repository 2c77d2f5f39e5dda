"""Industrial establishments (identified by tax code) and the centres that advise them."""

import pghistory
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from common.prepared import PreparedQuery
from common.search import folded

from .taxcode import format_tax_code, validate_tax_code


class Sector(models.Model):
    """A VSIC 2018 division (Decision 27/2018/QĐ-TTg), two digits."""

    code = models.CharField(_("VSIC 2018 division"), max_length=2, unique=True)
    section = models.CharField(_("section"), max_length=1)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{2}$"), name="sector_code_two_digits"
            )
        ]

    def __str__(self):
        name = self.name_en if get_language() == "en" else self.name_vi
        return f"{self.code} · {name}"


class EnterpriseQuerySet(models.QuerySet):
    def for_user(self, user):
        """The one way in: what ``user`` may see. Ministry and administrators see all; a province
        officer their unit; a centre user the enterprises of the centre's own assessments (and any
        enterprise by exact tax code through the look-up)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_ministry:
            return self
        if user.is_province_officer:
            return self.filter(unit_id=user.unit_id)
        if getattr(user, "is_sandbox", False):
            # A sandbox key names any registered enterprise in a test submission, so "the
            # enterprises of its assessments" would be any enterprise it likes: it reads the
            # register through the tax-code look-up only (name, tax code, unit, sector).
            return self.none()
        if user.is_centre_user:
            from assessments.models import Assessment

            # Through the assessments' own scope, so that a sandbox key sees the enterprises of its
            # sandbox assessments and a real caller never sees one named only by sandbox data.
            own = Assessment.objects.for_user(user).values("enterprise_id")
            return self.filter(pk__in=own)
        return self.none()


@pghistory.track()
class Enterprise(models.Model):
    class Size(models.TextChoices):
        # Decree 80/2021/NĐ-CP
        MICRO = "micro", _("micro")
        SMALL = "small", _("small")
        MEDIUM = "medium", _("medium")
        LARGE = "large", _("large")

    tax_code = models.CharField(
        _("tax code"),
        max_length=13,
        unique=True,
        validators=[validate_tax_code],
        help_text=_("10 digits, or 10+3 for a branch (e.g. 0100233488 or 0100233488-001)."),
    )
    name = models.CharField(_("name"), max_length=255)
    address = models.CharField(_("address"), max_length=255, blank=True)
    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    sector = models.ForeignKey(
        Sector,
        verbose_name=_("sector (VSIC 2018)"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    size = models.CharField(_("size class"), max_length=10, choices=Size.choices, blank=True)
    main_products = models.CharField(_("main products"), max_length=255, blank=True)
    capacity = models.DecimalField(_("capacity"), max_digits=16, decimal_places=2, null=True, blank=True)
    capacity_unit = models.CharField(
        _("capacity unit"), max_length=30, blank=True, help_text=_("e.g. t/year, m³/year, pieces/year")
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        indexes = [
            models.Index(fields=["name", "id"], name="enterprise_name_id"),
            models.Index(fields=["unit", "name", "id"], name="enterprise_unit_name_id"),
            models.Index(
                fields=["tax_code"],
                name="enterprise_tax_code_prefix",
                opclasses=["varchar_pattern_ops"],
            ),
            GinIndex(OpClass(folded("name"), name="gin_trgm_ops"), name="enterprise_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tax_code__regex=r"^[0-9]{10}([0-9]{3})?$"),
                name="enterprise_tax_code_compact",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gte=0),
                name="enterprise_capacity_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("enterprises:detail", args=[self.pk])

    @property
    def tax_code_display(self) -> str:
        return format_tax_code(self.tax_code)


class CentreQuerySet(models.QuerySet):
    def for_user(self, user):
        """Centres are public institutions: everyone may read the list."""
        return self


class Centre(models.Model):
    class Kind(models.TextChoices):
        INDUSTRIAL_EXTENSION = "extension", _("industrial extension")
        ENERGY_SAVING = "energy", _("energy saving")
        CLEANER_PRODUCTION = "cp", _("cleaner production")
        TRADE_PROMOTION = "trade", _("trade promotion")
        INDUSTRIAL_CONSULTING = "consulting", _("industrial development consulting")
        OTHER = "other", _("other")

    class Level(models.TextChoices):
        CENTRAL = "central", _("central")
        PROVINCIAL = "provincial", _("provincial")

    name = models.CharField(_("name"), max_length=255, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        verbose_name=_("province / city"),
        on_delete=models.PROTECT,
        related_name="centres",
    )
    contact_person = models.CharField(_("contact person"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = CentreQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("enterprises:centre_detail", args=[self.pk])


class CentreAPIKeyManager(APIKeyManager):
    def get_usable_keys(self):
        # Authentication checks the key's centre too: read it with the key, in one query.
        return super().get_usable_keys().select_related("centre")

    def get_from_key(self, key: str) -> "CentreAPIKey":
        """As the library's (a usable key with this prefix whose hash matches, else DoesNotExist),
        with the look-up compiled once per process: every API call makes it."""
        prefix, _sep, _rest = key.partition(".")
        api_key = _usable_key_by_prefix.first(prefix=prefix)
        if api_key is None:
            raise self.model.DoesNotExist("CentreAPIKey matching query does not exist.")
        if not api_key.is_valid(key):
            raise self.model.DoesNotExist("Key is not valid.")
        return api_key


class CentreAPIKey(AbstractAPIKey):
    """A centre's key for the partner API: stored hashed, shown once, with a visible prefix;
    revoked or expired keys stop working at once."""

    objects = CentreAPIKeyManager()

    centre = models.ForeignKey(
        Centre, verbose_name=_("centre"), on_delete=models.CASCADE, related_name="api_keys"
    )
    is_sandbox = models.BooleanField(
        _("sandbox"),
        default=False,
        help_text=_(
            "A sandbox key writes test data that only the centre's sandbox keys see and that no list, "
            "export or figure of real data includes."
        ),
    )

    class Meta(AbstractAPIKey.Meta):
        verbose_name = _("centre API key")
        verbose_name_plural = _("centre API keys")


_usable_key_by_prefix = PreparedQuery(
    lambda prefix: CentreAPIKey.objects.get_usable_keys().filter(prefix=prefix).order_by(), prefix=str
)
