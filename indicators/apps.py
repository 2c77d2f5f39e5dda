from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "indicators"
    verbose_name = _("Indicators and dashboards")

    def ready(self):
        from jobs.registry import register_stale_work

        from . import reconcile

        register_stale_work(
            "rollup", find=reconcile.stale_run_ids, enqueue=reconcile.put_back, give_up=reconcile.give_up
        )
