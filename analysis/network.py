"""Road graphs for travel times: OpenStreetMap via osmnx, ``.osm``/``.osm.pbf`` files, GraphML.

Every constructor returns an osmnx-style ``networkx.MultiDiGraph`` (nodes with ``x``/``y``,
edges with ``highway``, ``length`` in metres, ``oneway`` and optional ``maxspeed``). One-way
streets are kept as one directed edge, so each travel profile can decide whether to respect
them. Speeds per profile come from :mod:`analysis.settings`.
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
from shapely.geometry.base import BaseGeometry

from analysis import settings
from analysis.errors import DataError, NetworkError, ParameterError

logger = logging.getLogger(__name__)

NetworkType = Literal["drive", "walk", "bike", "all"]
NETWORK_TYPES: tuple[str, ...] = ("drive", "walk", "bike", "all")

_MPH_TO_KMH = 1.609344
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")

#: Highway values that are never part of a routable road graph (osmnx excludes them too).
_NOT_ROADS = frozenset(
    {"abandoned", "construction", "planned", "platform", "proposed", "raceway", "razed", "bus_stop"}
)


def check_profile(profile: str) -> None:
    """Raise :class:`ParameterError` unless *profile* is one of ``settings.PROFILES``.

    Parameters
    ----------
    profile
        Travel profile name.

    Raises
    ------
    ParameterError
        If the profile is unknown.
    """
    if profile not in settings.PROFILES:
        msg = f"Unknown travel profile {profile!r}; use one of {', '.join(settings.PROFILES)}."
        raise ParameterError(msg)


# --- speeds ---------------------------------------------------------------------------------


def parse_maxspeed_kmh(value: Any) -> float:
    """Parse an OSM ``maxspeed`` tag to km/h.

    Parameters
    ----------
    value
        Tag value: ``"50"``, ``"50 km/h"``, ``"30 mph"``, ``"50;60"`` or a list of such
        values (osmnx keeps lists when simplified edges disagree). Lists are averaged, as osmnx
        does.

    Returns
    -------
    float
        Speed in km/h, or ``nan`` when the tag is missing or not numeric (``"signals"``,
        ``"none"``, ``"CN:urban"``).
    """
    if value is None:
        return float("nan")
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if np.isfinite(v) and v > 0 else float("nan")
    if isinstance(value, list | tuple | set | np.ndarray):
        parts = [parse_maxspeed_kmh(v) for v in value]
    else:
        text = str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            # GraphML stores list attributes as their Python repr
            text = text[1:-1].replace("'", "").replace('"', "")
            parts = [parse_maxspeed_kmh(v) for v in text.split(",")]
        elif ";" in text or "|" in text:
            parts = [parse_maxspeed_kmh(v) for v in re.split(r"[;|]", text)]
        else:
            match = _NUMBER.search(text)
            if match is None:
                return float("nan")
            speed = float(match.group())
            if "mph" in text.lower():
                speed *= _MPH_TO_KMH
            return speed if speed > 0 else float("nan")
    finite = sorted(p for p in parts if np.isfinite(p))  # sorted: the mean never depends on list order
    return float(np.mean(finite)) if finite else float("nan")


def highway_classes(value: Any) -> list[str]:
    """Return the highway classes of an edge value, sorted, used to look up speeds.

    Parameters
    ----------
    value
        OSM ``highway`` value; a list (edges merged by an older simplification, or read
        back from GraphML as its Python repr) gives all its classes; ``*_link`` classes take
        their parent (``primary_link`` → ``primary``).

    Returns
    -------
    list of str
        Distinct class names in sorted order (so the result never depends on list order),
        ``[""]`` when missing.
    """
    if isinstance(value, list | tuple | set):
        items = [str(v) for v in value]
    else:
        text = "" if value is None else str(value).strip()
        if text.startswith("[") and text.endswith("]"):
            items = [t.strip().strip("'\"") for t in text[1:-1].split(",")]
        else:
            items = [text]
    out = set()
    for item in items:
        cls = item.strip()
        if cls.endswith("_link"):
            cls = cls[: -len("_link")]
        out.add(cls)
    return sorted(out) or [""]


def highway_class(value: Any) -> str:
    """Return the highway class of a single-class edge value (``*_link`` → parent).

    Parameters
    ----------
    value
        OSM ``highway`` value; for a list, the first of its sorted classes.

    Returns
    -------
    str
        The class name, ``""`` when missing.
    """
    return highway_classes(value)[0]


def _class_speed_kmh(cls: str, tagged_kmh: float, profile: str) -> tuple[float, bool]:
    """Speed of one class for *profile* given a parsed ``maxspeed``, and whether the class is unknown."""
    if cls in _NOT_ROADS:
        return 0.0, False
    table = settings.SPEED_KMH_BY_HIGHWAY
    known = cls in table
    if known:
        speed = table[cls][profile]
    elif profile in settings.VEHICLE_PROFILES:
        # an unknown class is drivable only when a tagged limit says vehicles use it
        speed = settings.DEFAULT_SPEED_KMH[profile] if np.isfinite(tagged_kmh) else 0.0
    else:
        speed = settings.DEFAULT_SPEED_KMH[profile]
    if speed > 0 and np.isfinite(tagged_kmh) and profile != "walk":
        cap = settings.MAXSPEED_CAP_KMH.get(profile, np.inf)
        if profile == "ebike":
            speed = min(speed, tagged_kmh)
        elif profile == "ambulance":
            speed = min(tagged_kmh * settings.AMBULANCE_MAXSPEED_FACTOR, cap)
        else:
            speed = min(tagged_kmh, cap)
    return float(speed), not known


def edge_speeds_kmh(highways: Sequence[Any], maxspeeds: Sequence[Any], *, profile: str) -> np.ndarray:
    """Travel speed of each edge for one profile.

    Parameters
    ----------
    highways
        ``highway`` value of each edge.
    maxspeeds
        ``maxspeed`` value of each edge (``None`` where untagged).
    profile
        One of ``settings.PROFILES``.

    Returns
    -------
    numpy.ndarray
        Speed in km/h per edge (float64); 0 where the profile may not use the edge.
        Class speeds come from ``settings.SPEED_KMH_BY_HIGHWAY``; a tagged ``maxspeed``
        replaces the class speed for cars (capped at ``settings.MAXSPEED_CAP_KMH``), is
        raised by ``settings.AMBULANCE_MAXSPEED_FACTOR`` for ambulances and can only slow
        e-bikes; walking ignores it.

        Classes missing from the table follow one rule per profile: vehicles
        (``settings.VEHICLE_PROFILES``) may use them only where a ``maxspeed`` is tagged
        (which then applies as above, from ``settings.DEFAULT_SPEED_KMH``); walkers use them at
        ``settings.DEFAULT_SPEED_KMH["walk"]``. Unknown classes are logged once per call with
        their edge counts. An edge carrying several classes (merged by an older
        simplification) takes the slowest of them, and is closed if any of them is closed,
        so the result never depends on the order of the list.

    Raises
    ------
    ParameterError
        If the profile is unknown.
    """
    check_profile(profile)
    if len(highways) != len(maxspeeds):
        msg = f"edge_speeds_kmh got {len(highways)} highway values but {len(maxspeeds)} maxspeed values."
        raise ParameterError(msg)
    # few distinct (class, maxspeed) pairs exist, so work per pair instead of per edge
    cache: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
    unknown_counts: dict[str, int] = {}
    out = np.empty(len(highways), dtype=np.float64)
    for i, (hw, ms) in enumerate(zip(highways, maxspeeds, strict=True)):
        key = (repr(hw), repr(ms))
        hit = cache.get(key)
        if hit is None:
            tagged = parse_maxspeed_kmh(ms)
            speeds = []
            unknown: list[str] = []
            for cls in highway_classes(hw):
                speed, is_unknown = _class_speed_kmh(cls, tagged, profile)
                speeds.append(speed)
                if is_unknown:
                    unknown.append(cls)
            hit = (min(speeds), tuple(unknown))
            cache[key] = hit
        out[i] = hit[0]
        for cls in hit[1]:
            unknown_counts[cls] = unknown_counts.get(cls, 0) + 1
    if unknown_counts:
        rule = (
            "drivable only where a maxspeed is tagged"
            if profile in settings.VEHICLE_PROFILES
            else f"used at {settings.DEFAULT_SPEED_KMH[profile]:g} km/h"
        )
        listed = ", ".join(f"{c or '(none)'} ({k})" for c, k in sorted(unknown_counts.items()))
        logger.info("Profile %s: highway classes without a speed setting, %s: %s", profile, rule, listed)
    return out


def add_edge_speeds(G: nx.MultiDiGraph, *, profile: str) -> nx.MultiDiGraph:
    """Return a copy of *G* with ``speed_kph`` and ``travel_time`` (s) edge attributes for a profile.

    Parameters
    ----------
    G
        Road graph with ``highway`` and ``length`` (m) edge attributes.
    profile
        One of ``settings.PROFILES``.

    Returns
    -------
    networkx.MultiDiGraph
        The copy; ``travel_time`` is ``inf`` on edges the profile may not use and includes
        ``settings.PEAK_HOUR_FACTOR`` for driving profiles.
    """
    G = G.copy()
    edges = list(G.edges(keys=True, data=True))
    speeds = edge_speeds_kmh(
        [d.get("highway") for *_, d in edges], [d.get("maxspeed") for *_, d in edges], profile=profile
    )
    factor = settings.PEAK_HOUR_FACTOR if profile in ("ambulance", "car") else 1.0
    for (_, _, _, data), speed in zip(edges, speeds, strict=True):
        data["speed_kph"] = float(speed)
        length_m = float(data.get("length", 0.0))
        data["travel_time"] = length_m / (speed / 3.6) * factor if speed > 0 else float("inf")
    return G


# --- sources --------------------------------------------------------------------------------


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
    return hw is not None and hw.strip() != "" and hw not in _NOT_ROADS and tags.get("area") != "yes"


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


def load_graphml(path: Path | str) -> nx.MultiDiGraph:
    """Load a road graph saved by :func:`save_graphml` (``.graphml`` or ``.graphml.gz``).

    Parameters
    ----------
    path
        GraphML file, gzipped when the name ends with ``.gz``.

    Returns
    -------
    networkx.MultiDiGraph
        The graph, with numeric attributes (``x``, ``y``, ``length``) as floats and ``oneway``
        as bool.

    Raises
    ------
    DataError
        If the file is missing or not a road graph.
    """
    import gzip
    import shutil

    path = Path(path)
    if not path.is_file():
        msg = f"Road graph {path} does not exist; build it with `healthcircle network fetch`."
        raise DataError(msg)
    ox = _osmnx()
    try:
        if path.suffix == ".gz":
            with tempfile.TemporaryDirectory() as tmp:
                plain = Path(tmp) / path.stem
                with gzip.open(path, "rb") as src, plain.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
                G = ox.load_graphml(plain)
        else:
            G = ox.load_graphml(path)
    except (OSError, ValueError, KeyError, nx.NetworkXError) as exc:
        msg = f"Could not read road graph {path}: {exc}. Is it a GraphML file saved by osmnx?"
        raise DataError(msg) from exc
    check_node_coordinates(G, where=str(path))
    logger.info("Loaded graph with %d nodes and %d edges from %s", len(G), G.number_of_edges(), path)
    return G


def save_graphml(G: nx.MultiDiGraph, path: Path | str) -> Path:
    """Save a road graph as GraphML, gzipped when *path* ends with ``.gz``.

    Parameters
    ----------
    G
        The graph (not modified).
    path
        Target file; parent folders are created.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    import gzip
    import shutil

    ox = _osmnx()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / path.stem
            ox.save_graphml(G, plain)
            with plain.open("rb") as src, gzip.open(path, "wb") as dst:
                shutil.copyfileobj(src, dst)
    else:
        ox.save_graphml(G, path)
    logger.info("Saved graph with %d nodes and %d edges to %s", len(G), G.number_of_edges(), path)
    return path


def project_graph(G: nx.MultiDiGraph, crs: str | None = None) -> nx.MultiDiGraph:
    """Return *G* projected to *crs* (default ``settings.WORKING_CRS``).

    Parameters
    ----------
    G
        Graph with a ``crs`` graph attribute (osmnx sets it); not modified.
    crs
        Target CRS; ``None`` → ``settings.WORKING_CRS``.

    Returns
    -------
    networkx.MultiDiGraph
        Projected copy (the same graph if already in *crs*).

    Raises
    ------
    NetworkError
        If the graph has no nodes or a node has no usable coordinates.
    """
    from pyproj import CRS

    crs = settings.WORKING_CRS if crs is None else crs
    if len(G) == 0:
        msg = "The road graph has no nodes; check the area or file it was built from."
        raise NetworkError(msg)
    check_node_coordinates(G)
    current = G.graph.get("crs", settings.GEOGRAPHIC_CRS)
    if CRS.from_user_input(current) == CRS.from_user_input(crs):
        return G
    ox = _osmnx()
    return ox.project_graph(G, to_crs=crs)


def check_node_coordinates(G: nx.MultiDiGraph, *, where: str | None = None) -> None:
    """Raise :class:`NetworkError` naming the first node without finite ``x``/``y``.

    Parameters
    ----------
    G
        Road graph.
    where
        File or origin of the graph, named in the message (default: the ``source_file``
        graph attribute when there is one).

    Raises
    ------
    NetworkError
        If a node lacks ``x`` or ``y`` or holds a value that is not a finite number.
    """
    origin = where if where is not None else G.graph.get("source_file")
    for node, data in G.nodes(data=True):
        for axis in ("x", "y"):
            value = data.get(axis)
            try:
                ok = value is not None and np.isfinite(float(value))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                place = f" in {origin}" if origin else ""
                msg = (
                    f"Road graph node {node!r}{place} has no usable coordinate {axis!r} (got {value!r}); "
                    "every node needs finite x and y. Rebuild the graph from its OSM extract."
                )
                raise NetworkError(msg)


def graph_arrays(G: nx.MultiDiGraph) -> dict[str, Any]:
    """Flatten a graph into arrays: node ids/coordinates and edge endpoints/attributes.

    Parameters
    ----------
    G
        Road graph (projected; ``x``/``y`` in metres).

    Returns
    -------
    dict
        ``node_ids`` (list), ``x``, ``y`` (float arrays), ``u``, ``v`` (int64 index arrays),
        ``length_m``, ``highway``, ``maxspeed``, ``oneway`` (bool array), ``geometry`` (list of
        LineString or None).
    """
    check_node_coordinates(G)
    node_ids = list(G.nodes)
    index = {n: i for i, n in enumerate(node_ids)}
    x = np.fromiter((float(d["x"]) for _, d in G.nodes(data=True)), dtype=np.float64, count=len(node_ids))
    y = np.fromiter((float(d["y"]) for _, d in G.nodes(data=True)), dtype=np.float64, count=len(node_ids))
    edges = list(G.edges(data=True))
    u = np.fromiter((index[a] for a, _, _ in edges), dtype=np.int64, count=len(edges))
    v = np.fromiter((index[b] for _, b, _ in edges), dtype=np.int64, count=len(edges))
    length = np.array([d.get("length", np.nan) for *_, d in edges], dtype=np.float64)
    missing = ~np.isfinite(length)
    length[missing] = np.hypot(x[u[missing]] - x[v[missing]], y[u[missing]] - y[v[missing]])
    oneway = np.array([_truthy(d.get("oneway", False)) for *_, d in edges], dtype=bool)
    return {
        "node_ids": node_ids,
        "x": x,
        "y": y,
        "u": u,
        "v": v,
        "length_m": length,
        "highway": [d.get("highway") for *_, d in edges],
        "maxspeed": [d.get("maxspeed") for *_, d in edges],
        "oneway": oneway,
        "geometry": [d.get("geometry") for *_, d in edges],
    }


def _truthy(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return any(_truthy(v) for v in value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "-1")
    return bool(value)


def iter_profiles(profiles: Iterable[str] | None = None) -> list[str]:
    """Return the given profiles, checked, or all of ``settings.PROFILES``.

    Parameters
    ----------
    profiles
        Profile names, or ``None`` for all.

    Returns
    -------
    list of str
        The profiles.
    """
    out = list(settings.PROFILES if profiles is None else profiles)
    for p in out:
        check_profile(p)
    return out
