"""Reporting periods, report forms, annual reports and their review workflow."""

__all__: list[str] = []
