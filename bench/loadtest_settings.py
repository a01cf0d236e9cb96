"""Settings for `make loadtest` only: the portal's own settings with the changes a load test from one machine needs.

- Every simulated user connects from 127.0.0.1, so allauth's per-IP sign-in limit (30 a minute) would refuse most of
  them; it is raised here. Every other rate limit stays as in production.
- The cache keys get a per-run prefix (LOADTEST_CACHE_PREFIX): each run uses a fresh database whose ids start again
  at 1, and a cached page of an earlier run must never be served. The script deletes its prefixed keys afterwards.
"""

import os

from portal.settings import *  # noqa: F403
from portal.settings import CACHES

ACCOUNT_RATE_LIMITS = {"login": "10000/m/ip"}
CACHES["default"]["KEY_PREFIX"] = os.environ.get("LOADTEST_CACHE_PREFIX", "loadtest")
