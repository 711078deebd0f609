"""Bearer-token authentication: django-scim2 leaves authentication to the project."""
import os

from django.contrib.auth.models import AnonymousUser


class _ServiceAccount(AnonymousUser):
    """The caller holding the CI token; django-scim2 only asks whether it is authenticated."""

    @property
    def is_authenticated(self):
        return True

    @property
    def is_anonymous(self):
        return False


class BearerTokenMiddleware:
    """Marks a request authenticated when it carries `Authorization: Bearer $SCIMCERT_CI_TOKEN`."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.expected = "Bearer " + os.environ["SCIMCERT_CI_TOKEN"]

    def __call__(self, request):
        if request.headers.get("Authorization") == self.expected:
            request.user = _ServiceAccount()
        else:
            request.user = AnonymousUser()
        return self.get_response(request)
