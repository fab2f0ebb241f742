"""The base of every management command that reads or writes the database: on a database
that is not migrated (a fresh clone, a new DATABASE_URL) it stops with one clear line and
exit status 2 instead of a traceback from the first query."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    connection = connections[alias]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


class DatabaseCommand(BaseCommand):
    def execute(self, *args, **options):
        missing = unapplied_migrations(options.get("database") or DEFAULT_DB_ALIAS)
        if missing:
            raise CommandError(
                f"The database is not ready: {len(missing)} migration(s) not applied "
                f"(first: {missing[0]}). Run `python manage.py migrate` first "
                "(`make run` does it).",
                returncode=2,
            )
        return super().execute(*args, **options)
