"""URLs of the Excel template and upload; filled in by the import work."""

urlpatterns = []
