"""The policy app's task module, which Celery's autodiscovery imports: the tasks themselves
live with their sub-domain (training) and keep their registered names."""

from policy.training.tasks import certification_reminders

__all__ = ["certification_reminders"]
