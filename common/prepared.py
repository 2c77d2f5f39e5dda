"""Querysets compiled to SQL once per process, for the look-ups that every API call repeats.

Django builds and compiles a queryset on every call; for a one-row look-up by a unique key that
costs several times the CPU PostgreSQL spends answering it. A ``PreparedQuery`` builds its queryset
once, with markers in place of the values that change, keeps the SQL Django wrote and the way
Django turns its rows into model instances, and afterwards only runs that SQL with each call's
values: the same statement and the same instances as the queryset, without the compiling.
"""

import threading

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction
from django.db.models.query import ModelIterable, get_related_populators

# Within the range of every integer column, so that Django's overflow checks keep the marker.
_INT_MARKER_BASE = -2_000_000_000


class PreparedQuery:
    """``build(**markers)`` returns the queryset: model instances, exact look-ups only, so that each
    marker reaches the SQL unchanged (once, several times or not at all). ``params`` names each
    parameter and its type (``str`` or ``int``); a value may not be None. ``query(**values)``
    answers the list the queryset would, ``first(**values)`` its first element or None. The
    queryset may hold anything that does not depend on the values: the rest is frozen at the
    first call."""

    def __init__(self, build, **params):
        self._build, self._params, self._plan = build, params, None
        self._lock = threading.Lock()

    def _prepare(self):
        markers = {
            name: f"\x00{name}\x00" if kind is str else _INT_MARKER_BASE - i
            for i, (name, kind) in enumerate(self._params.items())
        }
        queryset = self._build(**markers)
        if queryset._iterable_class is not ModelIterable or queryset._prefetch_related_lookups:
            raise ImproperlyConfigured("PreparedQuery takes a queryset of model instances, no prefetch.")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()  # also fills compiler.select and klass_info
        positions = {
            name: [i for i, p in enumerate(params) if type(p) is type(marker) and p == marker]
            for name, marker in markers.items()
        }
        if not any(positions.values()):
            raise ImproperlyConfigured("PreparedQuery: no parameter reached the SQL as is.")
        select, klass_info = compiler.select, compiler.klass_info
        fields = [s[0] for s in select[0 : compiler.col_count]]
        converters = list(compiler.get_converters(fields).items())
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[start:end]]
        return {
            "db": queryset.db,
            "sql": sql,
            "params": list(params),
            "positions": positions,
            "converters": converters,
            "model": klass_info["model"],
            "slice": (start, end),
            "init_list": init_list,
            "related": get_related_populators(klass_info, select, queryset.db),
        }

    def query(self, **values) -> list:
        plan = self._plan
        if plan is None:
            with self._lock:
                plan = self._plan = self._plan or self._prepare()
        params = list(plan["params"])
        for name, found in plan["positions"].items():
            value = values[name]
            if value is None:  # the ORM would have written IS NULL
                raise ValueError(f"PreparedQuery: {name} is None.")
            for position in found:
                params[position] = value
        db = plan["db"]
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(plan["sql"], params)
            rows = cursor.fetchall()
        start, end = plan["slice"]
        model, init_list, related, converters = (
            plan["model"],
            plan["init_list"],
            plan["related"],
            plan["converters"],
        )
        objects = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[position] = value
            obj = model.from_db(db, init_list, row[start:end])
            for populator in related:
                populator.populate(row, obj)
            objects.append(obj)
        return objects

    def first(self, **values):
        found = self.query(**values)
        return found[0] if found else None


_INSERTS: dict = {}


def insert(instance) -> None:
    """``instance.save()`` for a new row, with the INSERT statement written once per model: the
    same values (each field's ``pre_save`` and ``get_db_prep_save``, as Django's insert takes
    them), the primary key read back and the instance marked as saved. Anything this does not
    cover is left to ``save()``: a primary key already set, inherited models, save signals someone
    listens to, database defaults or computed columns, expressions as values."""
    from django.db import router
    from django.db.models import signals

    model = type(instance)
    meta = model._meta
    if (
        instance.pk is not None  # save() would try an UPDATE first
        or meta.parents
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
        or any(f.generated or f.has_db_default() for f in meta.concrete_fields)
    ):
        instance.save()
        return
    using = router.db_for_write(model, instance=instance)
    connection = connections[using]
    plan = _INSERTS.get((model, using))
    if plan is None:
        pk = meta.pk
        fields = [f for f in meta.local_concrete_fields if not (f is pk and pk.db_returning)]
        quote = connection.ops.quote_name
        table = quote(meta.db_table)
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {table}.{quote(pk.column)}"
        )
        plan = _INSERTS[(model, using)] = (sql, fields)
    sql, fields = plan
    instance._prepare_related_fields_for_save(operation_name="save")
    values = []
    for field in fields:
        value = field.pre_save(instance, True)
        if hasattr(value, "resolve_expression"):
            instance.save()
            return
        values.append(field.get_db_prep_save(value, connection=connection))
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk_value,) = cursor.fetchone()
    setattr(instance, meta.pk.attname, pk_value)
    instance._state.adding = False
    instance._state.db = using
