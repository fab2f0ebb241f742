"""The database itself refuses UPDATE and DELETE on the audit table.

PostgreSQL: a row trigger raises ``restrict_violation`` (an IntegrityError) on every UPDATE
and DELETE. TRUNCATE is a separate privilege and is not a row operation; the test suite's
flush between transactional tests uses it. Grant the application role no TRUNCATE on
``accounts_auditevent`` in production if you want that closed too.

SQLite: two triggers raise (``RAISE(ABORT)``, an IntegrityError). UPDATE is always refused.
DELETE is refused unless the connection has created a TEMP table named
``countersign_audit_maintenance``: a temporary table exists only for the connection that
made it, so no other connection is affected. The test suite creates it on its own
connections, because Django's flush on SQLite empties tables with DELETE; an application
never does. (Anyone who can create tables could equally drop the trigger: the trigger
stops the application and careless tools, not the database owner.) It needs SQLite 3.37
or newer (``pragma_table_list``); on older versions every DELETE is refused.

On SQLite, a later migration that rebuilds ``accounts_auditevent`` (most AlterFields do)
drops these triggers with the old table: such a migration must create them again. The test
``tests/accounts/test_audit.py`` fails if they are missing.
"""

from django.db import migrations

TABLE = "accounts_auditevent"
MARKER = "countersign_audit_maintenance"

POSTGRES_CREATE = f"""
CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on {TABLE} is refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TABLE}_append_only
    BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only();
"""
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};
DROP FUNCTION IF EXISTS {TABLE}_append_only();
"""

SQLITE_CREATE = [
    f"""
CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE on {TABLE} is refused');
END;
""",
    f"""
CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
WHEN NOT EXISTS (SELECT 1 FROM pragma_table_list WHERE schema = 'temp' AND name = '{MARKER}')
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE on {TABLE} is refused');
END;
""",
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update;",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete;",
]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_audit_actor_username"),
    ]

    operations = [
        migrations.RunPython(create_triggers, drop_triggers),
    ]
