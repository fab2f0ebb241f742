import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.checks import require_collected_static  # noqa: E402 - needs the app set up

require_collected_static()  # DEBUG=0 without collectstatic: refuse to start, and say why
