"""URLs of the list exports; filled in by the export work."""

urlpatterns = []
