"""Administrative units in two generations: the 63 in force until 30 June 2025 and the 34 from
1 July 2025 (Resolution 202/2025/QH15). A unit is identified by (generation, code), never by code
alone: "80" was Long An and is now Tây Ninh."""

import datetime

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The day the 34 units took over from the 63 (Resolution 202/2025/QH15).
REFORM_DATE = datetime.date(2025, 7, 1)
LAST_DAY_OF_63 = datetime.date(2025, 6, 30)


class Generation(models.IntegerChoices):
    UNITS_63 = 63, _("63 units (until 30/06/2025)")
    UNITS_34 = 34, _("34 units (from 01/07/2025)")


CURRENT_GENERATION = Generation.UNITS_34


class Region(models.Model):
    """A socio-economic region (Resolution 81/2023/QH15 names six for the 63 units)."""

    key = models.SlugField(_("key"), max_length=20, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name_en if get_language() == "en" else self.name_vi


class UnitQuerySet(models.QuerySet):
    def of_generation(self, generation):
        return self.filter(generation=generation)

    def current(self):
        return self.filter(generation=CURRENT_GENERATION)

    def in_force_on(self, day: datetime.date):
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day),
        )

    def usable_by(self, user):
        """Units a user may attach new data to: current ones, and for a province officer only theirs."""
        qs = self.current()
        if getattr(user, "is_ministry", False):
            return qs
        if getattr(user, "is_province_officer", False):
            return qs.filter(pk=user.unit_id)
        return qs.none()


class AdministrativeUnit(models.Model):
    class Kind(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("centrally-run city")

    generation = models.PositiveSmallIntegerField(_("generation"), choices=Generation.choices)
    code = models.CharField(_("code"), max_length=2)
    name_vi = models.CharField(_("full name (Vietnamese)"), max_length=100)
    short_name_vi = models.CharField(_("short name (Vietnamese)"), max_length=60)
    name_en = models.CharField(_("full name (English)"), max_length=100)
    short_name_en = models.CharField(_("short name (English)"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="units"
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("For a unit of the 63: the unit of the 34 that took it over on 01/07/2025."),
    )
    phone_area_code = models.CharField(_("phone area code"), max_length=4, blank=True)

    objects = UnitQuerySet.as_manager()

    class Meta:
        ordering = ["-generation", "code"]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        constraints = [
            models.UniqueConstraint(fields=["generation", "code"], name="unit_generation_code_unique"),
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{2}$"), name="unit_code_two_digits"
            ),
            models.CheckConstraint(
                condition=models.Q(successor__isnull=True) | models.Q(generation=Generation.UNITS_63),
                name="unit_only_old_units_have_successor",
            ),
        ]

    def __str__(self):
        return self.short_name

    @property
    def short_name(self) -> str:
        return self.short_name_en if get_language() == "en" else self.short_name_vi

    @property
    def name(self) -> str:
        return self.name_en if get_language() == "en" else self.name_vi

    @property
    def is_current(self) -> bool:
        return self.generation == CURRENT_GENERATION

    def is_in_force_on(self, day: datetime.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )
