"""healthcircle analysis library: travel times, population, standards, coverage and siting.

Pure library: no web framework, no environment reads, no network access at import time.
"""

__version__ = "0.1.0"
