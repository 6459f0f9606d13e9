"""``python -m analysis.build_default``: build ``data/``."""

from analysis.build_default.build import main

main()
