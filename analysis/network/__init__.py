"""Road graphs for travel times: where they come from, their speeds per profile, and how they are stored.

- :mod:`~analysis.network.sources` — osmnx download, ``.osm``/``.osm.pbf`` files, the one road
  filter (:func:`is_road`) and simplification (:func:`simplify_roads`) every loader applies;
- :mod:`~analysis.network.speeds` — speeds per profile from ``highway``/``maxspeed``;
- :mod:`~analysis.network.graphs` — GraphML files, projection, flat arrays for the engine.

Speeds per profile come from :mod:`analysis.settings`.
"""

from analysis.network.graphs import (
    check_node_coordinates,
    graph_arrays,
    load_graphml,
    project_graph,
    save_graphml,
)
from analysis.network.sources import (
    NETWORK_TYPES,
    SIMPLIFY_KEEP_APART,
    NetworkType,
    graph_from_osm,
    graph_from_pbf,
    graph_from_xml,
    is_road,
    simplify_roads,
)
from analysis.network.speeds import (
    NOT_ROADS,
    add_edge_speeds,
    check_profile,
    edge_speeds_kmh,
    highway_class,
    highway_classes,
    iter_profiles,
    parse_maxspeed_kmh,
)

__all__ = [
    "NETWORK_TYPES",
    "NOT_ROADS",
    "SIMPLIFY_KEEP_APART",
    "NetworkType",
    "add_edge_speeds",
    "check_node_coordinates",
    "check_profile",
    "edge_speeds_kmh",
    "graph_arrays",
    "graph_from_osm",
    "graph_from_pbf",
    "graph_from_xml",
    "highway_class",
    "highway_classes",
    "is_road",
    "iter_profiles",
    "load_graphml",
    "parse_maxspeed_kmh",
    "project_graph",
    "save_graphml",
    "simplify_roads",
]
