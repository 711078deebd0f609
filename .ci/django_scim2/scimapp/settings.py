"""Minimal Django project serving django-scim2 on sqlite, for scimcert's CI.

Everything SCIM (views, adapters, filters, PATCH) is django-scim2's own; this project only
supplies what its documentation asks of an integrator: a user model with the SCIM mixins,
a group model, an authentication step, the URLs and the service provider settings.
"""
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "scimcert-ci-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_scim",
    "scimapp",
]
MIDDLEWARE = [
    "scimapp.auth.BearerTokenMiddleware",
]
ROOT_URLCONF = "scimapp.urls"
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        # The CI script points this at its temporary folder.
        "NAME": os.environ.get("SCIMCERT_CI_DB", os.path.join(BASE_DIR, "db.sqlite3")),
    }
}
AUTH_USER_MODEL = "scimapp.User"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "SCHEME": "http",
    "GROUP_MODEL": "scimapp.models.Group",
    "AUTHENTICATION_SCHEMES": [
        {
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication scheme using the OAuth Bearer Token Standard",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
        }
    ],
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="scimcert-ci"',
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_scim": {"handlers": ["console"], "level": "WARNING"}},
}
