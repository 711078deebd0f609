"""The user and group models django-scim2 requires (its documented mixins, nothing more)."""
from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim.models import AbstractSCIMGroupMixin, AbstractSCIMUserMixin


class Group(AbstractSCIMGroupMixin):
    """A SCIM group; the corpus never creates one, but the user adapter lists them."""

    name = models.CharField(max_length=150, unique=True)


class User(AbstractSCIMUserMixin, AbstractUser):
    """A Django user carrying django-scim2's SCIM fields (scim_id, scim_external_id, ...)."""

    scim_groups = models.ManyToManyField(Group, related_name="scim_users", blank=True)
