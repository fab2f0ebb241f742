"""The database cache table (CACHES' default when no Redis is configured): sign-in throttles
and reset limits are counted there, so they hold across the web processes and the worker.
Wherever ``migrate`` runs, the table exists; with Redis configured this does nothing."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_audit_append_only_triggers")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
