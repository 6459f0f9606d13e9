"""API and map routers, one per resource."""
