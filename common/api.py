"""Conventions every API list shares."""

from rest_framework.pagination import CursorPagination


class StableCursorPagination(CursorPagination):
    """Cursor pagination: no OFFSET and no COUNT(*), stable while rows are added. Views may set
    their own ``ordering`` (ending with a unique column)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = "-id"
