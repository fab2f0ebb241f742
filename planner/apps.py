from django.apps import AppConfig


class PlannerConfig(AppConfig):
    name = "planner"
    verbose_name = "Posts, calendar and publishing"

    def ready(self) -> None:
        # Before any URLconf is imported: every planner urls module uses <id:...>.
        from django.urls import register_converter

        from planner.converters import IdConverter

        register_converter(IdConverter, "id")
