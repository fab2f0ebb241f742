
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('planner', '0007_media_metadata'),
        ('planner', '0007_strategy_feeds_metrics'),
    ]

    operations = [
    ]
