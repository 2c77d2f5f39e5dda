from django.shortcuts import render

from enterprises.models import Enterprise
from provinces.models import AdministrativeUnit


def home(request):
    """Landing page: what the portal is, and for a signed-in user what their role can do."""
    user = request.user
    context = {}
    if user.is_authenticated:
        context["enterprise_count"] = (
            Enterprise.objects.for_user(user).count() if not user.is_ministry else None
        )
        context["units_34"] = AdministrativeUnit.objects.current().count()
    return render(request, "home.html", context)
