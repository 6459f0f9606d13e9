"""healthcircle web service and command line, built on the ``analysis`` library."""
