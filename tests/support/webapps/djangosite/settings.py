"""The site's settings: ``ANYVIDEO`` names the backend, the rest of its settings come from the
environment. Behind the proxy (``WEBAPP_PREFIX``), Django's own settings rebuild the public URL."""

import os

SECRET_KEY = "tests-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "support.webapps.djangosite.urls"
INSTALLED_APPS = ["anyvideo.django", "support.webapps.djangosite"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"]
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

ANYVIDEO = {"BACKEND": os.environ.get("ANYVIDEO_BACKEND", "local")}

if os.environ.get("WEBAPP_PREFIX"):
    FORCE_SCRIPT_NAME = os.environ["WEBAPP_PREFIX"]
    USE_X_FORWARDED_HOST = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
