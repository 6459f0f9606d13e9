"""Test-wide setup: the county database of every app under test lives in a temporary folder."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

# Set before any test module builds an app (some do so at import), so no test writes into data/.
_DB_DIR = Path(tempfile.mkdtemp(prefix="healthcircle-test-db-"))
os.environ.setdefault("HEALTHCIRCLE_DATABASE_FILE", str(_DB_DIR / "healthcircle.sqlite"))
atexit.register(shutil.rmtree, _DB_DIR, ignore_errors=True)

# Tests monkeypatch the library and count calls in this process, so computations run in threads here;
# tests/test_service_limits.py checks the forked worker processes that `healthcircle serve` uses.
os.environ.setdefault("HEALTHCIRCLE_WORKER_PROCESSES", "false")
