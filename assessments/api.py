import functools

import django_filters
import pghistory
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import (
    FieldsBuiltOnce,
    IdFilter,
    IntegerFilter,
    ModifiedSinceFilter,
    StableCursorPagination,
    StrictJSONTypes,
    ValuesRepresentation,
    fetch_rows,
    flatten_errors,
)
from common.idempotency import idempotent
from enterprises.services import find_or_create_for_assessment

from . import services
from .models import (
    Assessment,
    BaselineConsumption,
    ConversionFactor,
    CPOption,
    DeletedAssessment,
    GridEmissionFactor,
    WasteStream,
)
from .selectors import assessments_for, id_by_external_id


class BaselineSerializer(StrictJSONTypes, FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = BaselineConsumption
        fields = ["resource", "quantity_per_year", "per_unit_product"]


class WasteStreamSerializer(StrictJSONTypes, FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = WasteStream
        fields = ["name", "kind", "quantity", "unit", "cost_vnd_per_year"]


class OptionSerializer(StrictJSONTypes, FieldsBuiltOnce, serializers.ModelSerializer):
    payback_years = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)

    class Meta:
        model = CPOption
        fields = [
            "number",
            "category",
            "description",
            "status",
            "implemented_on",
            "investment_vnd",
            "annual_savings_vnd",
            "payback_years",
            "electricity_kwh",
            "coal_t",
            "oil_t",
            "gas_m3",
            "water_m3",
            "materials_t",
            "chemicals_kg",
            "energy_toe",
            "co2e_tonnes",
        ]
        read_only_fields = ["payback_years", "energy_toe", "co2e_tonnes"]


class AssessmentSerializer(serializers.ModelSerializer):
    baseline = BaselineSerializer(many=True, read_only=True)
    waste_streams = WasteStreamSerializer(many=True, read_only=True)
    options = OptionSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            *services.ASSESSMENT_FIELDS,
            "status",
            "return_reason",
            "submitted_at",
            "reviewed_at",
            "created_at",
            "updated_at",
            "baseline",
            "waste_streams",
            "options",
        ]


# Children of the assessments of a list page: model and order, as the serializer shows them.
LIST_CHILDREN = {
    "baseline": (BaselineConsumption, ("resource", "id")),
    "waste_streams": (WasteStream, ("id",)),
    "options": (CPOption, ("number",)),
}


@functools.cache
def _assessment_representation() -> ValuesRepresentation:
    return ValuesRepresentation(AssessmentSerializer)


def assessment_rows(queryset):
    """The ``.values()`` rows ``represent_assessment_rows`` takes."""
    representation = _assessment_representation()
    return queryset.select_related(None).values(*representation.columns, **representation.expressions)


@functools.cache
def _children_sql(name: str) -> str:
    """The rows of one child table of some assessments (``%s``: a list of assessment ids), in the
    serializer's order; built once (a queryset with casts costs more to compile than to run)."""
    from django.db import connection

    model, ordering = LIST_CHILDREN[name]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    order = ", ".join(f"{table}.{quote(model._meta.get_field(f).column)}" for f in ordering)
    select = _assessment_representation().children[name].select_list("assessment_id")
    return f"SELECT {select} FROM {table} WHERE {table}.assessment_id = ANY(%s) ORDER BY {order}"


@functools.cache
def _one_assessment_sql() -> str:
    from django.db import connection

    table = connection.ops.quote_name(Assessment._meta.db_table)
    return f"SELECT {_assessment_representation().select_list()} FROM {table} WHERE {table}.id = %s"


def represent_assessment_rows(rows: list[dict], children=LIST_CHILDREN) -> list[dict]:
    """Exactly what ``AssessmentSerializer(many=True)`` answers for these assessments (rows from
    ``.values(*columns)``), in one query per child table whatever the number of rows; only the
    ``children`` lists named are read (the caller knows the others are empty)."""
    representation = _assessment_representation()
    ids = [row["id"] for row in rows]
    nested = {pk: {} for pk in ids}
    if ids:
        for name in children:
            child = representation.children[name]
            for row in fetch_rows(_children_sql(name), [ids]):
                nested[row["assessment_id"]].setdefault(name, []).append(child(row))
    return [representation(row, nested[row["id"]]) for row in rows]


def represent_assessment(pk: int, children=LIST_CHILDREN) -> dict:
    """What ``AssessmentSerializer`` answers for one assessment, read without scoping: for the
    answer to a write that has just checked the caller's access."""
    (row,) = represent_assessment_rows(fetch_rows(_one_assessment_sql(), [pk]), children)
    return row


class EnterpriseRefSerializer(StrictJSONTypes, FieldsBuiltOnce, serializers.Serializer):
    tax_code = serializers.CharField(max_length=20, help_text="10 digits, or 10+3 for a branch")
    name = serializers.CharField(
        max_length=255, required=False, help_text="Only to register a new enterprise"
    )
    unit = serializers.CharField(max_length=2, required=False, help_text="Code of one of the 34 units")
    sector = serializers.CharField(max_length=2, required=False, help_text="VSIC 2018 division")

    def validate(self, attrs):
        # Required even in a PATCH: the tax code is what names the enterprise (DRF skips a missing
        # field of a nested object in a partial update, which then failed with a KeyError).
        if "tax_code" not in attrs:
            raise serializers.ValidationError(
                {"tax_code": [self.fields["tax_code"].error_messages["required"]]}
            )
        return attrs


# The longest lists one assessment takes. A list serializer checks its length before its items
# (rest_framework.serializers.ListSerializer.to_internal_value), so 200,000 options are refused at
# once instead of after validating each (19 s).
MAX_BASELINE_ROWS = 50
MAX_WASTE_STREAMS = 100
MAX_OPTIONS = 500


class AssessmentWriteSerializer(StrictJSONTypes, FieldsBuiltOnce, serializers.ModelSerializer):
    """What a centre sends. The centre, status and submitter come from the key, never the body."""

    enterprise = EnterpriseRefSerializer()
    baseline = BaselineSerializer(many=True, required=False, max_length=MAX_BASELINE_ROWS)
    waste_streams = WasteStreamSerializer(many=True, required=False, max_length=MAX_WASTE_STREAMS)
    options = OptionSerializer(many=True, required=False, max_length=MAX_OPTIONS)
    external_id = serializers.CharField(max_length=64)

    class Meta:
        model = Assessment
        fields = [
            *(f for f in services.ASSESSMENT_FIELDS if f != "centre"),  # the centre comes from the key
            "baseline",
            "waste_streams",
            "options",
        ]
        validators = []  # uniqueness of (centre, external_id) is answered with 409, not a field error


CHILDREN = ("baseline", "waste_streams", "options")


def _without(body, paths) -> bool:
    """Remove from ``body`` (in place) the fields at ``paths``; False when a path is not a field of
    an object (a whole list item, a body that is not an object), which the pruning cannot undo
    without moving the other items' indexes."""
    for path in paths:
        *parents, last = path.split(".")
        node = body
        for part in parents:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return False
        if last in ("non_field_errors", "__all__") or not isinstance(node, dict):
            return False
        node.pop(last, None)
    return True


def _every_error(body, field_errors, *, by) -> dict:
    """Errors of fields that cannot be read (a type, a choice, a missing field) stop the serializer
    before the business rules. So that a broken submission is answered with every error at once,
    the rules that need nothing but the submission's own values and the register also run on what
    could be read: the body without the fields in error, read as a partial one. A rule's error at a
    path already in error, or about a field removed, is left out."""
    import copy

    flat: dict = {}
    for path, message in flatten_errors(field_errors):
        flat.setdefault(path, []).append(message)
    # An error about a whole object or list (a list over its limit: ``options.non_field_errors``)
    # cannot be pruned: answer before copying the body, which for 200,000 refused options cost most
    # of the answer's time.
    if not isinstance(body, dict) or any(
        path.rsplit(".", 1)[-1] in ("non_field_errors", "__all__") for path in flat
    ):
        return flat
    # A field in error as a whole is left out before the copy (the pruning removes it anyway).
    whole = {path for path in flat if path and "." not in path}
    pruned = copy.deepcopy({key: value for key, value in body.items() if key not in whole})
    if not _without(pruned, flat):
        return flat
    partial = AssessmentWriteSerializer(data=pruned, partial=True)
    if not partial.is_valid():
        return flat
    data = dict(partial.validated_data)
    ref = dict(data.pop("enterprise", None) or {})
    children = {name: [dict(row) for row in data.pop(name, None) or []] for name in CHILDREN}
    for path, messages in services.rule_errors(data, ref, **children, by=by).items():
        if not any(path == p or path.startswith(p + ".") or p.startswith(path + ".") for p in flat):
            flat[path] = messages
    return flat


def _every_batch_error(body, errors, *, by) -> dict:
    """``_every_error`` for each item of a batch, its paths under ``items.<n>``: the items whose
    fields could all be read get their rule errors in the same answer too."""
    item_errors = errors.get("items") if isinstance(errors, dict) else None
    bodies = body.get("items") if isinstance(body, dict) else None
    if isinstance(item_errors, list) and isinstance(bodies, list) and len(item_errors) == len(bodies):
        item_errors = dict(enumerate(item_errors))
    if not isinstance(item_errors, dict) or not all(isinstance(i, int) for i in item_errors):
        return errors  # the list itself is wrong (missing, empty, too long)
    if not isinstance(bodies, list):
        return errors
    flat = {}
    for index, item in enumerate(bodies):
        for path, messages in _every_error(item, item_errors.get(index) or {}, by=by).items():
            flat[f"items.{index}.{path}"] = messages
    return flat or errors


class BatchSerializer(StrictJSONTypes, serializers.Serializer):
    items = AssessmentWriteSerializer(
        many=True,
        min_length=1,
        max_length=services.BATCH_LIMIT,
        help_text=f"1 to {services.BATCH_LIMIT} assessments, each as POST /api/v1/assessments/ takes it",
    )


class BatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    url = serializers.CharField(help_text="Path of the new assessment")


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Number of assessments created")
    results = BatchItemSerializer(many=True, help_text="One per item, in the order sent")


def _already_exists(conflicts: list[tuple[str, str, int]]) -> Response:
    """409 naming each existing record: ``(attr, external_id, id)``; Location of the first."""
    return Response(
        {
            "type": "client_error",
            "errors": [
                {
                    "code": "already_exists",
                    "attr": attr,
                    "detail": _("This centre already submitted external_id %(id)s: update it at %(url)s.")
                    % {"id": external_id, "url": f"/api/v1/assessments/{pk}/"},
                }
                for attr, external_id, pk in conflicts
            ],
        },
        status=status.HTTP_409_CONFLICT,
        headers={"Location": f"/api/v1/assessments/{conflicts[0][2]}/"},
    )


class ReturnSerializer(StrictJSONTypes, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why: the centre sees it and corrects")


class AssessmentApiFilter(django_filters.FilterSet):
    year = IntegerFilter(field_name="start_date", lookup_expr="year", min_value=2000, max_value=2100)
    unit = IdFilter(field_name="enterprise__unit")
    sector = IdFilter(field_name="enterprise__sector")
    centre = IdFilter(field_name="centre")
    modified_since = ModifiedSinceFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Assessment
        fields = ["kind", "status", "funding_level", "external_id"]


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique value per submission (e.g. a UUID). Retrying with the same key and body "
    "returns the first answer with `Idempotent-Replayed: true`.",
)


class AssessmentViewSet(
    mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Assessments with their baseline, waste streams and options, as the caller may see them (a
    centre: its own). Create (idempotent), update and withdraw while the ministry has not accepted."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentApiFilter

    def get_queryset(self):
        return assessments_for(self.request.user).prefetch_related(
            "baseline", "waste_streams", Prefetch("options", queryset=CPOption.objects.order_by("number"))
        )

    def list(self, request, *args, **kwargs):
        """The same rows as ``AssessmentSerializer`` gives, built from ``.values()`` (a list page
        is read far more often than anything else; see docs/PERFORMANCE.md)."""
        queryset = self.filter_queryset(assessments_for(request.user))
        page = self.paginate_queryset(assessment_rows(queryset))
        return self.get_paginated_response(represent_assessment_rows(page))

    def get_serializer_class(self):
        return (
            AssessmentWriteSerializer
            if self.action in ("create", "update", "partial_update")
            else AssessmentSerializer
        )

    def _audit(self):
        key = getattr(self.request.user, "api_key", None)
        return pghistory.context(source="api", api_key=key.prefix if key else None)

    def _answer(self, assessment, status_code, children=LIST_CHILDREN):
        return Response(
            represent_assessment(assessment.pk, children),
            status=status_code,
            headers={"Location": f"/api/v1/assessments/{assessment.pk}/"},
        )

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=AssessmentWriteSerializer,
        responses={201: AssessmentSerializer},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = AssessmentWriteSerializer(data=request.data)
        if not serializer.is_valid():
            raise serializers.ValidationError(_every_error(request.data, serializer.errors, by=request.user))
        data = dict(serializer.validated_data)
        user = request.user
        existing = self._existing_pk(data["external_id"])
        if existing is not None:
            return _already_exists([("external_id", data["external_id"], existing)])
        ref = data.pop("enterprise")
        children = {name: data.pop(name, []) for name in ("baseline", "waste_streams", "options")}
        try:
            with self._audit():
                assessment = services.record_submission(by=user, data=data, enterprise_ref=ref, **children)
        except services.ExternalIdTaken:
            # Submitted meanwhile by a concurrent request (the database's unique constraint).
            return _already_exists(
                [("external_id", data["external_id"], self._existing_pk(data["external_id"]))]
            )
        # A new assessment has the children it was sent with: no need to read empty lists.
        return self._answer(assessment, status.HTTP_201_CREATED, [n for n, rows in children.items() if rows])

    def _existing_pk(self, external_id: str) -> int | None:
        return id_by_external_id(self.request.user, external_id)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=BatchSerializer,
        responses={201: BatchResultSerializer},
    )
    @action(detail=False, methods=["post"], url_path="batch")
    @idempotent
    def batch(self, request):
        """Create up to 1,000 assessments in one call, all or nothing: every error of every item
        is answered at once with its path (``items[12].options[2].investment_vnd``); an
        ``external_id`` the centre already used answers 409 for each such item."""
        serializer = BatchSerializer(data=request.data)
        if not serializer.is_valid():
            raise serializers.ValidationError(
                _every_batch_error(request.data, serializer.errors, by=request.user)
            )
        items = [dict(item) for item in serializer.validated_data["items"]]
        try:
            with transaction.atomic(), self._audit():
                ids = services.record_assessment_batch(by=request.user, items=items)
        except services.ExternalIdConflict as exc:
            return _already_exists([(f"items[{i}].external_id", ext, pk) for i, ext, pk in exc.conflicts])
        return Response(
            {
                "created": len(ids),
                "results": [
                    {"id": pk, "external_id": item["external_id"], "url": f"/api/v1/assessments/{pk}/"}
                    for pk, item in zip(ids, items, strict=True)
                ],
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=AssessmentWriteSerializer, responses={200: AssessmentSerializer})
    def update(self, request, *args, **kwargs):
        assessment = self.get_object()
        partial = kwargs.get("partial", False)
        serializer = AssessmentWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("external_id", None)  # the centre's reference does not change
        children = {name: data.pop(name) for name in ("baseline", "waste_streams", "options") if name in data}
        with transaction.atomic(), self._audit():
            if "enterprise" in data:
                ref = data.pop("enterprise")
                data["enterprise"] = find_or_create_for_assessment(
                    by=request.user,
                    tax_code=ref["tax_code"],
                    name=ref.get("name", ""),
                    unit_code=ref.get("unit", ""),
                    sector_code=ref.get("sector", ""),
                )
            assessment = services.update_assessment(
                by=request.user, assessment=assessment, data=data, **children
            )
        return self._answer(assessment, status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        """Withdraw an assessment the ministry has not accepted."""
        assessment = self.get_object()
        with self._audit():
            services.withdraw_assessment(by=request.user, assessment=assessment)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def submit(self, request, pk=None):
        """Submit a draft (or a corrected returned) assessment for the ministry's review."""
        assessment = self.get_object()
        with transaction.atomic(), self._audit():
            services.submit_assessment(by=request.user, assessment=assessment)
        return self._answer(assessment, status.HTTP_200_OK)

    @extend_schema(parameters=[IDEMPOTENCY_HEADER], request=None, responses={200: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    @idempotent
    def accept(self, request, pk=None):
        """The ministry accepts a submitted assessment (ministry officers only); the centre's
        webhooks hear ``assessment.accepted``."""
        assessment = self.get_object()
        with transaction.atomic(), self._audit():
            services.accept_assessment(by=request.user, assessment=assessment)
        return self._answer(assessment, status.HTTP_200_OK)

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER], request=ReturnSerializer, responses={200: AssessmentSerializer}
    )
    @action(detail=True, methods=["post"], url_path="return")
    @idempotent
    def return_(self, request, pk=None):
        """The ministry returns a submitted assessment with its reason (ministry officers only);
        the centre's webhooks hear ``assessment.returned``."""
        assessment = self.get_object()
        serializer = ReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic(), self._audit():
            services.return_assessment(
                by=request.user, assessment=assessment, reason=serializer.validated_data["reason"]
            )
        return self._answer(assessment, status.HTTP_200_OK)


class IsSandboxKey(permissions.BasePermission):
    message = "Only a sandbox API key may do this."

    def has_permission(self, request, view):
        return bool(getattr(request.user, "is_sandbox", False))


class SandboxClearedSerializer(serializers.Serializer):
    deleted = serializers.IntegerField(help_text="Sandbox assessments deleted")


class SandboxView(APIView):
    """The calling sandbox key's centre's sandbox data."""

    permission_classes = [IsSandboxKey]

    @extend_schema(request=None, responses={200: SandboxClearedSerializer})
    def delete(self, request):
        """Delete every sandbox assessment of the centre (real data are never touched)."""
        with pghistory.context(source="api", api_key=request.user.api_key.prefix):
            deleted = services.clear_sandbox(by=request.user)
        return Response({"deleted": deleted})


class SimulateReviewSerializer(StrictJSONTypes, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["accepted", "returned"])
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, help_text="Needed to return"
    )


class SimulateReviewView(APIView):
    """Accept or return one of the sandbox's submitted assessments, as the ministry would, so
    that the centre can test its webhook receiver."""

    permission_classes = [IsSandboxKey]

    @extend_schema(
        parameters=[IDEMPOTENCY_HEADER],
        request=SimulateReviewSerializer,
        responses={200: AssessmentSerializer},
    )
    @idempotent
    def post(self, request, pk):
        assessment = get_object_or_404(assessments_for(request.user), pk=pk)
        serializer = SimulateReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic(), pghistory.context(source="api", api_key=request.user.api_key.prefix):
            services.simulate_review(by=request.user, assessment=assessment, **serializer.validated_data)
        fresh = (
            assessments_for(request.user)
            .prefetch_related(
                "baseline", "waste_streams", Prefetch("options", queryset=CPOption.objects.order_by("number"))
            )
            .get(pk=pk)
        )
        return Response(AssessmentSerializer(fresh).data)


class StableDeletionPagination(StableCursorPagination):
    ordering = "-deleted_at"


class DeletionSerializer(serializers.ModelSerializer):
    class Meta:
        model = DeletedAssessment
        fields = ["assessment_id", "external_id", "centre", "deleted_at"]


class DeletionFilter(django_filters.FilterSet):
    modified_since = ModifiedSinceFilter(field_name="deleted_at", lookup_expr="gte")
    centre = IdFilter(field_name="centre")

    class Meta:
        model = DeletedAssessment
        fields = []


class DeletionViewSet(viewsets.ReadOnlyModelViewSet):
    """Withdrawn assessments the caller could see, so that a mirror can delete them too.
    Poll with ``?modified_since=`` together with the assessments list."""

    serializer_class = DeletionSerializer
    filterset_class = DeletionFilter
    pagination_class = StableDeletionPagination

    def get_queryset(self):
        user = self.request.user
        if getattr(self, "swagger_fake_view", False) or not user.is_authenticated:
            return DeletedAssessment.objects.none()
        # A sandbox key hears of its sandbox withdrawals only; everyone else of real ones only.
        queryset = DeletedAssessment.objects.filter(is_sandbox=getattr(user, "is_sandbox", False))
        if user.is_sandbox:
            return queryset.filter(centre_id=user.centre_id)
        if user.is_ministry:
            return queryset
        if user.is_centre_user:
            return queryset.filter(centre_id=user.centre_id)
        if user.is_province_officer:
            return queryset.filter(unit_id=user.unit_id)
        return queryset.none()


class ConversionFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = ConversionFactor
        fields = ["resource", "toe_per_unit", "co2e_tonnes_per_unit", "source", "confirmed"]


class ConversionFactorViewSet(viewsets.ReadOnlyModelViewSet):
    """Energy (TOE) and emission (t CO2e) per unit of a saved resource, kept by the ministry."""

    serializer_class = ConversionFactorSerializer
    permission_classes = [permissions.AllowAny]
    queryset = ConversionFactor.objects.order_by("resource")
    pagination_class = None


class GridEmissionFactorSerializer(serializers.ModelSerializer):
    class Meta:
        model = GridEmissionFactor
        fields = ["year", "tco2_per_mwh", "source", "confirmed"]


class GridEmissionFactorViewSet(viewsets.ReadOnlyModelViewSet):
    """Vietnam's grid emission factor per year (t CO2 per MWh), kept by the ministry."""

    serializer_class = GridEmissionFactorSerializer
    permission_classes = [permissions.AllowAny]
    queryset = GridEmissionFactor.objects.order_by("-year")
    pagination_class = None
