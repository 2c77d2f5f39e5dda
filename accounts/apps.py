from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from common.middleware import mark_login

        # the session's absolute lifetime counts from here (common.middleware.SessionLifetimeMiddleware)
        user_logged_in.connect(mark_login, dispatch_uid="sxsh_mark_login")
