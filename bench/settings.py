"""The production settings plus one route: the plain hello-world view every web figure is divided by."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
