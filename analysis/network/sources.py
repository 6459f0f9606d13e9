"""Where road graphs come from: osmnx (Overpass), .osm/.osm.pbf files, one road filter and simplification.

Every constructor returns an osmnx-style ``networkx.MultiDiGraph`` (nodes with ``x``/``y``,
edges with ``highway``, ``length`` in metres, ``oneway`` and optional ``maxspeed``). One-way
streets are kept as one directed edge, so each travel profile can decide whether to respect
them.
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any, Literal

import networkx as nx
from shapely.geometry.base import BaseGeometry

from analysis.errors import DataError, NetworkError, ParameterError
from analysis.network.speeds import NOT_ROADS

logger = logging.getLogger("analysis.network")

NetworkType = Literal["drive", "walk", "bike", "all"]
NETWORK_TYPES: tuple[str, ...] = ("drive", "walk", "bike", "all")


def _osmnx() -> Any:
    try:
        import osmnx as ox
    except ImportError as exc:  # pragma: no cover - osmnx is a declared dependency
        msg = "Building road graphs needs osmnx: pip install osmnx."
        raise ImportError(msg) from exc
    return ox


def graph_from_osm(
    polygon_or_place: BaseGeometry | str,
    *,
    network_type: NetworkType = "drive",
    cache_dir: Path | str | None = None,
) -> nx.MultiDiGraph:
    """Download an OpenStreetMap road graph with osmnx (Overpass API).

    Parameters
    ----------
    polygon_or_place
        A (Multi)Polygon in EPSG:4326, or a place name osmnx can geocode
        (e.g. ``"晋江市, 福建省, 中国"``).
    network_type
        ``"drive"``, ``"walk"``, ``"bike"`` or ``"all"``. One-way streets are kept one-way
        whatever the type; travel profiles decide whether to respect them.
    cache_dir
        Folder for osmnx's HTTP response cache; a repeat call with the same area is answered
        from it without network access. ``None`` keeps osmnx's own setting.

    Returns
    -------
    networkx.MultiDiGraph
        Unprojected (EPSG:4326) graph with ``length`` on every edge.

    Raises
    ------
    ParameterError
        If the network type is unknown or the area is not a polygon.
    NetworkError
        If the download fails or returns no roads.
    """
    if network_type not in NETWORK_TYPES:
        msg = f"Unknown network_type {network_type!r}; use one of {', '.join(NETWORK_TYPES)}."
        raise ParameterError(msg)
    ox = _osmnx()
    if cache_dir is not None:
        Path(cache_dir).mkdir(parents=True, exist_ok=True)
        ox.settings.use_cache = True
        ox.settings.cache_folder = str(cache_dir)
    # keep one-way information even for walk/bike: profiles decide
    bidirectional_before = list(ox.settings.bidirectional_network_types)
    ox.settings.bidirectional_network_types = []
    where = polygon_or_place if isinstance(polygon_or_place, str) else "the given polygon"
    logger.info(
        "Fetching OpenStreetMap %s network for %s (osmnx cache: %s); this can take minutes",
        network_type,
        where,
        ox.settings.cache_folder if ox.settings.use_cache else "off",
    )
    try:
        if isinstance(polygon_or_place, str):
            G = ox.graph_from_place(polygon_or_place, network_type=network_type, simplify=False)
        else:
            if polygon_or_place.geom_type not in ("Polygon", "MultiPolygon"):
                msg = f"graph_from_osm needs a Polygon or MultiPolygon, got a {polygon_or_place.geom_type}."
                raise ParameterError(msg)
            G = ox.graph_from_polygon(polygon_or_place, network_type=network_type, simplify=False)
    except (ox._errors.InsufficientResponseError, ValueError) as exc:
        if isinstance(exc, ParameterError):
            raise
        msg = f"OpenStreetMap returned no usable roads for {where}: {exc}. Check the area and network type."
        raise NetworkError(msg) from exc
    finally:
        ox.settings.bidirectional_network_types = bidirectional_before
    # the same road filter and simplification as the file loaders
    G = simplify_roads(_drop_non_roads(G))
    if len(G) == 0:
        msg = f"OpenStreetMap returned no usable roads for {where}. Check the area and network type."
        raise NetworkError(msg)
    logger.info("Fetched graph with %d nodes and %d edges", len(G), G.number_of_edges())
    return G


def is_road(tags: dict[str, str]) -> bool:
    """Whether an OSM way is part of the road graph: the one filter every loader applies.

    Parameters
    ----------
    tags
        The way's tags.

    Returns
    -------
    bool
        True for ways tagged ``highway=*`` except classes that are not roads
        (construction, proposed, platforms, ...) and areas (``area=yes``, e.g. a square).
        Which profiles may use a road is decided afterwards, per edge, by
        :func:`edge_speeds_kmh`.
    """
    hw = tags.get("highway")
    return hw is not None and hw.strip() != "" and hw not in NOT_ROADS and tags.get("area") != "yes"


#: Edge attributes that must be equal along a chain for simplification to merge it: speeds
#: and access are decided per OSM segment, so a merged edge never mixes classes or limits.
SIMPLIFY_KEEP_APART: tuple[str, ...] = ("highway", "maxspeed")


def simplify_roads(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Merge chains of degree-2 nodes into single edges, never across a change of class or limit.

    Parameters
    ----------
    G
        Unsimplified road graph (not modified).

    Returns
    -------
    networkx.MultiDiGraph
        The simplified graph. Every merged edge has one ``highway`` and one ``maxspeed``
        value (those of all its segments, see :data:`SIMPLIFY_KEEP_APART`), so its speed is
        that of each segment; other merged attributes (``name``, ``osmid``, ...) are sorted
        lists, the same whatever the hash seed.
    """
    ox = _osmnx()
    H = ox.simplify_graph(G, edge_attrs_differ=list(SIMPLIFY_KEEP_APART))
    for _, _, data in H.edges(data=True):
        for key, value in data.items():
            if isinstance(value, list):
                data[key] = sorted(value, key=lambda item: (type(item).__name__, str(item)))
    return H


def _drop_non_roads(G: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """Copy of *G* without edges that are not roads (see :func:`is_road`) and the nodes left bare."""
    G = G.copy()
    bad = [
        (u, v, k)
        for u, v, k, d in G.edges(keys=True, data=True)
        if not is_road({t: str(d[t]) for t in ("highway", "area") if d.get(t) is not None})
    ]
    G.remove_edges_from(bad)
    G.remove_nodes_from([n for n in list(G.nodes) if G.degree(n) == 0])
    return G


def _read_roads(path: Path, polygon: BaseGeometry | None, *, simplify: bool) -> nx.MultiDiGraph:
    """Road graph of any file libosmium reads (.osm, .osm.bz2, .osm.pbf), filtered by :func:`is_road`."""
    import osmium
    import shapely

    prepared = None
    if polygon is not None:
        shapely.prepare(polygon)
        prepared = polygon
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    logger.info("Reading roads from %s", path)
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
        for way in processor:
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in way.tags}
            if not is_road(tags):
                continue
            refs: list[int] = []
            lons: list[float] = []
            lats: list[float] = []
            for n in way.nodes:
                if not n.location.valid():
                    continue
                refs.append(n.ref)
                lons.append(n.location.lon)
                lats.append(n.location.lat)
            if len(refs) < 2:
                continue
            if prepared is not None and not shapely.contains_xy(prepared, lons, lats).any():
                continue
            for ref, lon, lat in zip(refs, lons, lats, strict=True):
                nodes[ref] = (lon, lat)
            ways.append((way.id, refs, tags))
    except RuntimeError as exc:
        msg = f"Could not read {path} with osmium: {exc}. Is it an OSM extract (.osm, .osm.pbf)?"
        raise DataError(msg) from exc
    if not ways:
        msg = f"{path} contains no roads (ways tagged highway=*) in the requested area."
        raise DataError(msg)
    ox = _osmnx()
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = Path(tmp) / "roads.osm"
        writer = osmium.SimpleWriter(str(xml_path))
        try:
            for ref in sorted(nodes):
                lon, lat = nodes[ref]
                writer.add_node(osmium.osm.mutable.Node(id=ref, location=(lon, lat), version=1))
            for way_id, refs, tags in sorted(ways, key=lambda w: w[0]):
                writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags, version=1))
        finally:
            writer.close()
        try:
            G = ox.graph_from_xml(xml_path, bidirectional=False, simplify=False, retain_all=True)
        except (ox._errors.InsufficientResponseError, ValueError, KeyError) as exc:
            msg = f"Could not build a road graph from {path}: {exc}."
            raise DataError(msg) from exc
    if simplify:
        G = simplify_roads(G)
    logger.info(
        "Built graph with %d nodes and %d edges from %d ways in %s",
        len(G),
        G.number_of_edges(),
        len(ways),
        path,
    )
    return G


def graph_from_xml(path: Path | str, *, simplify: bool = True) -> nx.MultiDiGraph:
    """Load a road graph from an OSM XML (``.osm``) file.

    Only ways that pass :func:`is_road` become edges (building outlines, land use and
    railways in a raw export do not), exactly as in :func:`graph_from_pbf`.

    Parameters
    ----------
    path
        File with OSM nodes and ways (``.osm``, optionally ``.bz2``).
    simplify
        Merge chains of degree-2 nodes into single edges (:func:`simplify_roads`).

    Returns
    -------
    networkx.MultiDiGraph
        Unprojected graph with one-way streets kept one-way.

    Raises
    ------
    DataError
        If the file is missing or holds no roads.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"OSM file {path} does not exist; give the path of an .osm extract."
        raise DataError(msg)
    return _read_roads(path, None, simplify=simplify)


def graph_from_pbf(
    path: Path | str, polygon: BaseGeometry | None = None, *, simplify: bool = True
) -> nx.MultiDiGraph:
    """Load a road graph from an ``.osm.pbf`` extract (e.g. a Geofabrik Fujian extract) with pyosmium.

    Parameters
    ----------
    path
        ``.osm.pbf`` (or any format libosmium reads).
    polygon
        Optional (Multi)Polygon in EPSG:4326: only ways with at least one node inside are kept.
    simplify
        Merge chains of degree-2 nodes (:func:`simplify_roads`).

    Returns
    -------
    networkx.MultiDiGraph
        Unprojected graph with one-way streets kept one-way; ways filtered by :func:`is_road`.

    Raises
    ------
    DataError
        If the file is missing, unreadable or holds no roads in the polygon.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"OSM extract {path} does not exist; download one (e.g. fujian-latest.osm.pbf) first."
        raise DataError(msg)
    return _read_roads(path, polygon, simplify=simplify)
