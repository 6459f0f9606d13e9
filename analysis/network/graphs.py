"""Road graphs on disk (GraphML), in the working CRS, and as flat arrays for the travel engine."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from analysis import settings
from analysis.errors import DataError, NetworkError
from analysis.network.sources import _osmnx

logger = logging.getLogger("analysis.network")


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
    except (OSError, EOFError, SyntaxError, ValueError, KeyError, TypeError, nx.NetworkXError) as exc:
        # SyntaxError covers xml.etree's ParseError (not XML at all)
        reason = str(exc).strip()[:160] or type(exc).__name__
        msg = f"Could not read road graph {path}: {reason}. Is it a GraphML file saved by osmnx?"
        raise DataError(msg) from None
    check_node_coordinates(G, where=str(path))
    _check_road_graph(G, path)
    logger.info("Loaded graph with %d nodes and %d edges from %s", len(G), G.number_of_edges(), path)
    return G


def _check_road_graph(G: nx.MultiDiGraph, path: Path) -> None:
    """Refuse a parsed GraphML that is not a road graph (no readable CRS, edges without a length)."""
    check_road_parts(G.graph.get("crs"), ((u, v, d.get("length")) for u, v, d in G.edges(data=True)), path)


def check_road_parts(
    crs: Any, edges: Iterable[tuple[Any, Any, Any]], path: Path, *, node_ids: Sequence[Any] | None = None
) -> None:
    """Refuse a graph read from *path* with no readable CRS or an edge without a valid length.

    Parameters
    ----------
    crs
        The graph's ``crs`` attribute (``None`` when absent).
    edges
        ``(u, v, length)`` of every edge, in the graph's order (the first bad one is named).
    path
        The file, named in the message.
    node_ids
        When given, *u* and *v* are positions in it, and the message names the ids.

    Raises
    ------
    DataError
        The CRS is missing or unreadable, or a length is not a finite float >= 0.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError as PyprojCRSError

    hint = "rebuild it with `healthcircle network fetch` or osmnx `save_graphml`"
    try:
        if crs is None:
            raise TypeError(crs)
        CRS.from_user_input(crs)
    except (PyprojCRSError, TypeError):
        shown = str(crs)[:40]
        msg = f"Road graph {path} declares no readable CRS (graph attribute 'crs' is {shown!r}); {hint}."
        raise DataError(msg) from None
    for u, v, length in edges:
        if not isinstance(length, float) or not math.isfinite(length) or length < 0:
            if node_ids is not None:
                u, v = node_ids[int(u)], node_ids[int(v)]
            edge = f"{str(u)[:20]}→{str(v)[:20]}"
            msg = f"Road graph {path}: edge {edge} has no valid 'length' in metres; {hint}."
            raise DataError(msg)


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
    check_coordinates(((node, d.get("x"), d.get("y")) for node, d in G.nodes(data=True)), where=origin)


def check_coordinates(nodes: Iterable[tuple[Any, Any, Any]], *, where: str | None = None) -> None:
    """Raise :class:`NetworkError` naming the first ``(node, x, y)`` whose x or y is not a finite number.

    Parameters
    ----------
    nodes
        ``(node id, x, y)`` of every node (``None`` where a coordinate is absent).
    where
        File or origin of the graph, named in the message.

    Raises
    ------
    NetworkError
        If a coordinate is absent or not a finite number.
    """
    for node, x, y in nodes:
        for axis, value in (("x", x), ("y", y)):
            try:
                ok = value is not None and np.isfinite(float(value))
            except (TypeError, ValueError):
                ok = False
            if not ok:
                place = f" in {where}" if where else ""
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
    oneway = np.array([truthy(d.get("oneway", False)) for *_, d in edges], dtype=bool)
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


def truthy(value: Any) -> bool:
    """Whether an OSM flag such as ``oneway`` is set: True, "yes", "1", "-1", or any item of a list."""
    if isinstance(value, list | tuple):
        return any(truthy(v) for v in value)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "-1")
    return bool(value)
