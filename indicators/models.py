"""The indicator catalogue, the rollup runs and the values they produce.

Readers (dashboards, public pages, exports, the API) only ever read values of the *published* run:
``IndicatorValue.objects.published()``. A run writes its rows first and is published in one step
(``PublishedRun`` points at it), so nobody sees half a run, and a run that dies leaves the previous
one in place. A full run writes every value; a unit's refresh writes only the values that changed and
is published on top of the runs it builds on (``PublishedRun.layers``): the published values are the
rows of those runs that no later one of them replaced.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Group(models.TextChoices):
    CP_STRATEGY = "cp_strategy", _("CP strategy in industry (1419/QD-TTg)")
    SCP_2016 = "scp_2016", _("SCP programme 2016-2020 (76/QD-TTg)")
    SCP_2021 = "scp_2021", _("SCP programme 2021-2030 (889/QD-TTg)")
    ACTIVITY = "activity", _("Programme activity")


# Short names of the groups, for the workbook's sheet names (Excel allows 31 characters; the full
# labels would be cut mid-word).
GROUP_SHORT_LABELS = {
    Group.CP_STRATEGY: _("CP strategy"),
    Group.SCP_2016: _("SCP 2016-2020"),
    Group.SCP_2021: _("SCP 2021-2030"),
    Group.ACTIVITY: _("Activities"),
}


def _in_language(vi: str, en: str) -> str:
    """The text of the active language, the other one only when it is missing."""
    english = (translation.get_language() or "vi").startswith("en")
    first, other = (en, vi) if english else (vi, en)
    return first or other


class Dimension(models.TextChoices):
    """Disaggregations an indicator may support ("" is the total)."""

    TOTAL = "", _("total")
    SECTOR = "sector", _("sector")
    SIZE = "size", _("enterprise size")
    CENTRE_KIND = "centre_kind", _("centre kind")
    FUNDING_LEVEL = "funding_level", _("funding level")
    ASSESSMENT_KIND = "assessment_kind", _("assessment kind")


class Level(models.TextChoices):
    UNIT = "unit", _("province / city")
    REGION = "region", _("region")
    NATION = "nation", _("nation")


@pghistory.track()
class Indicator(models.Model):
    class Method(models.TextChoices):
        SUM = "sum", _("sum of a record metric")
        COUNT = "count", _("count of records")
        RATIO = "ratio", _("ratio of two metrics")
        SURVEY = "survey", _("typed in by the ministry per year (survey)")

    class Period(models.TextChoices):
        ANNUAL = "annual", _("annual")

    class Direction(models.TextChoices):
        UP = "up", _("higher is better")
        DOWN = "down", _("lower is better")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    unit_vi = models.CharField(_("unit of measure (Vietnamese)"), max_length=60, blank=True)
    unit_en = models.CharField(_("unit of measure (English)"), max_length=60, blank=True)
    definition_vi = models.TextField(_("definition (Vietnamese)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    metric = models.CharField(
        _("metric"),
        max_length=60,
        blank=True,
        help_text=_("The record metric summed or counted (the numerator)."),
    )
    denominator_metric = models.CharField(_("denominator metric"), max_length=60, blank=True)
    ratio_scale = models.DecimalField(
        _("ratio scale"), max_digits=8, decimal_places=2, default=100, help_text=_("100 for a percentage.")
    )
    dimensions = ArrayField(
        models.CharField(max_length=20, choices=Dimension.choices),
        verbose_name=_("disaggregations"),
        default=list,
        blank=True,
    )
    period = models.CharField(_("period"), max_length=20, choices=Period.choices, default=Period.ANNUAL)
    source = models.CharField(_("source (Vietnamese)"), max_length=300, blank=True)
    source_en = models.CharField(_("source (English)"), max_length=300, blank=True)
    legal_basis = models.CharField(_("legal basis (Vietnamese)"), max_length=300, blank=True)
    legal_basis_en = models.CharField(_("legal basis (English)"), max_length=300, blank=True)
    direction = models.CharField(
        _("direction"), max_length=4, choices=Direction.choices, default=Direction.UP
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    baseline_value = models.DecimalField(
        _("baseline"), max_digits=24, decimal_places=4, null=True, blank=True
    )
    headline = models.BooleanField(_("headline indicator"), default=False)
    public = models.BooleanField(_("published on the public pages"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["group", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="ratio") | ~Q(denominator_metric=""),
                name="indicator_ratio_has_denominator",
            ),
            models.CheckConstraint(
                condition=Q(method="survey") | ~Q(metric=""), name="indicator_computed_has_metric"
            ),
        ]

    def __str__(self):
        return f"{self.code}: {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if translation.get_language() == "en" else self.name_vi

    @property
    def unit_label(self) -> str:
        return self.unit_en if translation.get_language() == "en" else self.unit_vi

    @property
    def definition(self) -> str:
        return _in_language(self.definition_vi, self.definition_en)

    @property
    def source_text(self) -> str:
        return _in_language(self.source, self.source_en)

    @property
    def legal_basis_text(self) -> str:
        return _in_language(self.legal_basis, self.legal_basis_en)


class IndicatorTarget(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("target year"))
    period_label = models.CharField(_("period"), max_length=20, blank=True, help_text=_("e.g. 2016-2020"))
    value = models.DecimalField(_("target"), max_digits=24, decimal_places=4)
    decision = models.CharField(_("decision (Vietnamese)"), max_length=100, blank=True)
    decision_en = models.CharField(_("decision (English)"), max_length=100, blank=True)

    class Meta:
        ordering = ["indicator", "year"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="indicatortarget_once_per_year")
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value}"

    @property
    def decision_text(self) -> str:
        return _in_language(self.decision, self.decision_en)


@pghistory.track()
class SurveyValue(models.Model):
    """A figure that no record holds (e.g. the share of establishments aware of CP), typed in by the
    ministry per year with its source. Rolled up like any other value (national level only)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="survey_values")
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4)
    source = models.CharField(_("source"), max_length=300)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered"), auto_now=True)

    class Meta:
        ordering = ["indicator", "year"]
        verbose_name = _("survey value")
        verbose_name_plural = _("survey values")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "year"], name="surveyvalue_once_per_year")
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.year}: {self.value}"


class RollupRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    class Trigger(models.TextChoices):
        NIGHTLY = "nightly", _("nightly")
        APPROVAL = "approval", _("report approved")
        ASSESSMENT = "assessment", _("assessment accepted")
        MANUAL = "manual", _("on demand")

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    trigger = models.CharField(_("trigger"), max_length=12, choices=Trigger.choices)
    scope = models.JSONField(
        _("scope"),
        default=dict,
        blank=True,
        help_text=_("Empty: everything. Else the units and years recomputed."),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    rows_written = models.PositiveIntegerField(_("values written"), default=0)
    units_included = models.PositiveSmallIntegerField(_("units included"), default=0)
    units_approved = models.PositiveSmallIntegerField(_("units with an approved report"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")

    def __str__(self):
        return f"#{self.pk} {self.get_trigger_display()} ({self.get_status_display()})"


class PublishedRun(models.Model):
    """One row: the run whose values everyone reads. Switching it is the one step that publishes."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    run = models.ForeignKey(RollupRun, on_delete=models.PROTECT, related_name="+")
    # The runs whose rows are read, oldest first, ending with ``run``: the last full run and the
    # refreshes published on top of it (each wrote only the values that changed). Anything else
    # (empty, or not ending with ``run``) means ``run`` alone.
    layers = ArrayField(models.BigIntegerField(), default=list, blank=True)
    published_at = models.DateTimeField(_("published"), auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="publishedrun_single_row")]

    def __str__(self):
        return f"run #{self.run_id}"

    def visible_runs(self) -> list[int]:
        layers = list(self.layers or [])
        return layers if layers and layers[-1] == self.run_id else [self.run_id]


class IndicatorValueQuerySet(models.QuerySet):
    def published(self):
        """Values of the published run (what every reader reads): the rows of its layers that no
        layer replaced (a full run's rows alone). One statement: the layers are read in the same
        snapshot as the values, so a run published (or pruned) meanwhile is never half seen."""
        return self.filter(run_id__any_of=RawSQL(_VISIBLE_RUNS, [])).exclude(
            replaced_by_run__any_of=RawSQL(_VISIBLE_RUNS, [])
        )


@models.BigIntegerField.register_lookup
@models.ForeignKey.register_lookup
class AnyOf(models.Lookup):
    """``field = ANY(ARRAY(subquery))``: the subquery runs once (an init plan) and the index on the
    column is used, where ``IN (subquery)`` made PostgreSQL scan every value and semi-join."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]


# The runs whose rows are published (``PublishedRun.visible_runs`` in SQL).
_VISIBLE_RUNS = """SELECT unnest(CASE WHEN layers[cardinality(layers)] = run_id THEN layers
                              ELSE ARRAY[run_id] END)
                   FROM indicators_publishedrun WHERE id = 1"""


class IndicatorValue(models.Model):
    """One figure: an indicator, a year (or cumulative to that year), a place (a unit of one
    generation, a region, the nation) and a slice of one disaggregation ("" = total)."""

    # The engine writes these rows in bulk (a hundred thousand per run); foreign keys without
    # database constraints or indexes of their own keep that cheap (the engine only writes ids it
    # has just read, and deletes a run's values itself); readers go through ``indicatorvalue_read``.
    run = models.ForeignKey(
        RollupRun, on_delete=models.CASCADE, related_name="values", db_constraint=False, db_index=False
    )
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="values", db_constraint=False, db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    cumulative = models.BooleanField(_("cumulative to the year"), default=False)
    generation = models.PositiveSmallIntegerField(_("generation of units"))  # 63 or 34
    level = models.CharField(_("level"), max_length=6, choices=Level.choices)
    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    region = models.ForeignKey(
        "provinces.Region",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    dimension = models.CharField(
        _("disaggregation"), max_length=20, choices=Dimension.choices, blank=True, default=""
    )
    dimension_value = models.CharField(_("slice"), max_length=40, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=4, null=True)
    numerator = models.DecimalField(max_digits=24, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=24, decimal_places=4, null=True, blank=True)
    units_included = models.PositiveSmallIntegerField(default=0)
    units_approved = models.PositiveSmallIntegerField(default=0)
    computed_at = models.DateTimeField()
    # Set by the refresh that wrote a new value for this row's place (or found none): from that
    # run on, the row is no longer read (see ``PublishedRun.layers``).
    replaced_by_run = models.BigIntegerField(null=True, blank=True)

    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        indexes = [
            models.Index(
                fields=["run", "indicator", "generation", "level", "year", "dimension"],
                name="indicatorvalue_read",
            ),
            # A place's own figures for every indicator (the unit dashboard: the unit, its region
            # and the nation, every year): totals only, by generation, level and place.
            models.Index(
                fields=["run", "generation", "level", "unit", "region"],
                condition=Q(dimension=""),
                name="indicatorvalue_place",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (Q(level="unit") & Q(unit__isnull=False) & Q(region__isnull=True))
                    | (Q(level="region") & Q(unit__isnull=True) & Q(region__isnull=False))
                    | (Q(level="nation") & Q(unit__isnull=True) & Q(region__isnull=True))
                ),
                name="indicatorvalue_level_place",
            ),
        ]

    def __str__(self):
        return f"{self.indicator_id} {self.year} {self.level} = {self.value}"


class RollupFact(models.Model):
    """The finest grain of every record metric (``indicators.metrics``): per unit of the record's
    own generation, year and slice. Written only inside a run's transaction, together with the
    publication, so it always matches the published run; a unit's refresh replaces its rows only.
    Internal to the engine: readers read ``IndicatorValue``.

    An UNLOGGED table (migration 0004): no WAL for the half a million rows a full run writes. A
    crash of the server empties it; the engine then turns the next refresh into a full run. Text
    keys use the "C" collation, so the engine's sorts and merge joins compare bytes."""

    metric = models.CharField(max_length=60, db_collation="C")
    unit = models.ForeignKey(
        "provinces.AdministrativeUnit",
        on_delete=models.DO_NOTHING,
        null=True,
        db_constraint=False,
        db_index=False,  # ``rollupfact_unit`` below is the one index on it
        related_name="+",
    )
    year = models.SmallIntegerField()
    dimension = models.CharField(max_length=20, blank=True, default="", db_collation="C")
    dimension_value = models.CharField(max_length=40, blank=True, default="", db_collation="C")
    v = models.DecimalField(max_digits=30, decimal_places=4)
    f = models.DecimalField(max_digits=30, decimal_places=4)

    class Meta:
        indexes = [models.Index(fields=["unit"], name="rollupfact_unit")]

    def __str__(self):
        return f"{self.metric} {self.unit_id} {self.year} {self.dimension}={self.dimension_value}: {self.v}"
