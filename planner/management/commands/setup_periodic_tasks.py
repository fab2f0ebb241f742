from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.commands import DatabaseCommand
from planner.periodic import periodic_tasks


class Command(DatabaseCommand):
    help = "Install or update the periodic tasks declared in planner.periodic (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        declared = periodic_tasks()
        for item in declared:
            schedule, _ = IntervalSchedule.objects.get_or_create(
                every=item.every_seconds, period=IntervalSchedule.SECONDS
            )
            PeriodicTask.objects.update_or_create(
                name=item.name,
                defaults={
                    "task": item.task,
                    "interval": schedule,
                    "crontab": None,
                    "enabled": True,
                    "description": item.description,
                },
            )
        names = [item.name for item in declared]
        stale = PeriodicTask.objects.exclude(name__in=names).exclude(name__startswith="celery.")
        stale.update(enabled=False)
        self.stdout.write(f"Periodic tasks installed: {', '.join(names)}")
