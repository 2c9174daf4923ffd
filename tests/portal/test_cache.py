"""The Redis cache keeps one client per connection pool and behaves as Django's."""

import os

import pytest
from django.core.cache import caches

from portal.cache import RedisCache


def test_one_client_serves_every_call_and_values_round_trip():
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        if os.environ.get("CI"):
            pytest.fail("CI runs the cache on Redis (REDIS_URL)")
        pytest.skip("needs Redis (REDIS_URL)")
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is client
    assert cache.add("k", {"n": 1}, 30)
    assert not cache.add("k", 2, 30)
    assert cache.get("k") == {"n": 1}
    cache.add("n", 0, 30)
    assert cache.incr("n") == 1
