"""API tokens moved to django-rest-knox (stored as digests, expiring): the old plaintext
token table of rest_framework.authtoken goes, with every token in it. Owners ask for a new
token with POST /api/auth/token/."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "0007_shared_cache_table")]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", migrations.RunSQL.noop)
    ]
