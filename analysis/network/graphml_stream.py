"""A road graph's GraphML read straight into the engine's flat arrays, without building a networkx graph.

A county graph of 1.6 million nodes takes more than 15 GB as a networkx graph parsed by
``osmnx.load_graphml`` (the XML tree, then one dict per node and edge); the engine needs only
a few arrays (:func:`analysis.network.graphs.graph_arrays`). This reader streams the file
(``xml.etree.ElementTree.iterparse``, each element dropped once read) and keeps only those.

It gives exactly what the networkx path gives, order included: the same node and edge order as
``osmnx.load_graphml`` followed by ``osmnx.project_graph`` (when the file is not in the working
CRS) and :func:`~analysis.network.graphs.graph_arrays`; the same type conversions of the
attributes (osmnx's), and the same errors. A file it does not handle the same way (an
undirected graph, typed GraphML keys, edges without integer ids, repeated edges, nested graphs)
is reported as :class:`UnsupportedGraphMLError`, and the caller reads it with networkx instead.
"""

from __future__ import annotations

import ast
import contextlib
import gzip
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

import numpy as np

from analysis.errors import DataError
from analysis.network.graphs import check_coordinates, check_road_parts, truthy

NS_URI = "http://graphml.graphdrawing.org/xmlns"
DATA, NODE, EDGE, GRAPH, KEY = (f"{NS_URI} {tag}" for tag in ("data", "node", "edge", "graph", "key"))


class UnsupportedGraphMLError(Exception):
    """The file uses a GraphML feature this reader does not mirror; read it with networkx."""


def _bool_string(value: Any) -> bool:
    """osmnx's conversion of ``"True"`` / ``"False"``, raising on anything else."""
    if isinstance(value, bool):
        return value
    if value in {"True", "False"}:
        return bool(value == "True")
    msg = f"Invalid literal for boolean: {value!r}."
    raise ValueError(msg)


#: Conversions osmnx applies when it loads a GraphML (``osmnx.io.load_graphml``'s defaults).
NODE_TYPES: dict[str, Callable[[Any], Any]] = {
    "elevation": float,
    "elevation_res": float,
    "osmid": int,
    "street_count": int,
    "x": float,
    "y": float,
}
EDGE_TYPES: dict[str, Callable[[Any], Any]] = {
    "bearing": float,
    "grade": float,
    "grade_abs": float,
    "length": float,
    "oneway": _bool_string,
    "osmid": int,
    "reversed": _bool_string,
    "speed_kph": float,
    "travel_time": float,
}
GRAPH_TYPES: dict[str, Callable[[Any], Any]] = {"consolidated": _bool_string, "simplified": _bool_string}
#: Edge attributes the engine reads (the others are checked as osmnx would, then dropped).
EDGE_KEPT = ("length", "highway", "maxspeed", "oneway", "geometry")
#: Kept attributes with few distinct texts: each text is converted once.
MEMO_KEPT = frozenset({"highway", "maxspeed", "oneway"})
_MISSING = object()
#: How an edge attribute is read: its slot among EDGE_KEPT (-1: dropped), its conversion, its memo.
_Plan = tuple[int, Callable[[Any], Any] | None, dict[str, Any] | None]


def _literal(value: str) -> Any:
    """osmnx's reading of a list- or dict-like text (``"['primary', 'secondary']"``); else the text."""
    if (value.startswith("[") and value.endswith("]")) or (value.startswith("{") and value.endswith("}")):
        with contextlib.suppress(SyntaxError, ValueError):
            return ast.literal_eval(value)
    return value


def _convert(value: str, kind: Callable[[Any], Any] | None) -> Any:
    """One attribute as osmnx converts it: list-like texts evaluated, then its type applied."""
    out = _literal(value)
    if kind is None:
        return out
    if isinstance(out, list):
        return [kind(item) for item in out]
    return kind(out)


@dataclass(frozen=True)
class StreamedGraph:
    """What the engine needs of a GraphML road graph.

    Attributes
    ----------
    arrays
        As :func:`analysis.network.graphs.graph_arrays` returns them (not yet projected).
    graph
        Graph-level attributes (``crs``, ``network_source``, ``created_date``, ...), converted.
    """

    arrays: dict[str, Any]
    graph: dict[str, Any]


def _open(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


class _Reader:
    """Collects nodes, edges and graph attributes while the file streams by (expat callbacks)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.node_ids: list[int] = []
        self.index: dict[int, int] = {}
        self.node_x: list[Any] = []
        self.node_y: list[Any] = []
        self.edge_u: list[int] = []
        self.edge_v: list[int] = []
        self.edge_key: list[int] = []
        self.columns: list[list[Any]] = [[] for _ in EDGE_KEPT]
        self.plans: dict[str, _Plan] = {}
        self.graph: dict[str, Any] = {}
        self.implicit: list[int] = []
        self.graphs = 0
        # the element being read: its attributes and data so far, and the open <data>'s key and text
        self.depth = 0
        self.item: dict[str, str] | None = None
        self.item_data: list[tuple[str, str]] = []
        self.data_key: str | None = None
        self.text: list[str] = []

    def _name(self, key: str) -> str:
        """The attribute name of a ``<data key=...>``; an undeclared key is an error, as in networkx."""
        if key not in self.names:
            msg = f"Bad GraphML data: no key {key}"
            raise KeyError(msg)
        return self.names[key]

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if tag == DATA:
            self.data_key, self.text = attrs.get("key", ""), []
        elif tag in (NODE, EDGE):
            if self.depth != 3:
                raise UnsupportedGraphMLError("nested graphs")
            self.item, self.item_data = attrs, []
        elif tag == GRAPH:
            self.graphs += 1
            if self.depth != 2 or self.graphs > 1:
                raise UnsupportedGraphMLError("more than one graph or nested graphs")
            if attrs.get("edgedefault", "directed") != "directed":
                raise UnsupportedGraphMLError("an undirected graph")
        elif tag == KEY:
            if attrs.get("attr.type", "string") != "string" or "attr.name" not in attrs:
                raise UnsupportedGraphMLError("typed or unnamed GraphML keys")
            self.names[attrs.get("id", "")] = attrs["attr.name"]
        elif tag == f"{NS_URI} default":
            raise UnsupportedGraphMLError("key defaults")
        elif tag == f"{NS_URI} hyperedge":
            msg = "GraphML reader doesn't support hyperedges"
            raise ValueError(msg)
        elif self.data_key is not None:
            raise UnsupportedGraphMLError("data with elements inside (yfiles extensions)")

    def chars(self, text: str) -> None:
        if self.data_key is not None:
            self.text.append(text)

    def end(self, tag: str) -> None:
        self.depth -= 1
        if tag == DATA:
            key, self.data_key = self.data_key or "", None
            if not self.text:
                return  # an empty <data/> sets nothing, as in networkx
            text = "".join(self.text)
            if self.depth == 3:
                self.item_data.append((key, text))
            elif self.depth == 2:
                self.graph[self._name(key)] = text
        elif tag == NODE and self.item is not None:
            self.node(self.item, self.item_data)
            self.item = None
        elif tag == EDGE and self.item is not None:
            self.edge(self.item, self.item_data)
            self.item = None

    def node(self, attrs: dict[str, str], data: list[tuple[str, str]]) -> None:
        node_id = int(attrs.get("id", ""))
        if node_id in self.index:
            raise UnsupportedGraphMLError("a node declared twice")
        self.index[node_id] = len(self.node_ids)
        self.node_ids.append(node_id)
        x = y = None
        for key, text in data:
            name = self._name(key)
            value = _convert(text, NODE_TYPES.get(name))
            if name == "x":
                x = value
            elif name == "y":
                y = value
        self.node_x.append(x)
        self.node_y.append(y)

    def _node_index(self, node_id: int) -> int:
        found = self.index.get(node_id)
        if found is None:
            # networkx adds a node an edge names but the file never declares, after all declared ones
            found = -1 - len(self.implicit)
            self.index[node_id] = found
            self.implicit.append(node_id)
        return found

    def edge(self, attrs: dict[str, str], data: list[tuple[str, str]]) -> None:
        if attrs.get("directed", "true") == "false":
            raise UnsupportedGraphMLError("undirected edges")
        key = attrs.get("id")
        if key is None:
            raise UnsupportedGraphMLError("edges without ids")
        try:
            number = int(key)
        except ValueError:
            raise UnsupportedGraphMLError("edges with ids that are not integers") from None
        self.edge_u.append(self._node_index(int(attrs.get("source", ""))))
        self.edge_v.append(self._node_index(int(attrs.get("target", ""))))
        self.edge_key.append(number)
        row: list[Any] = [None] * len(EDGE_KEPT)
        for data_key, text in data:
            plan = self.plans.get(data_key)
            if plan is None:
                plan = self._plan(data_key)
            slot, kind, memo = plan
            if memo is not None:
                # a few distinct texts over millions of edges: converted once, shared (never mutated)
                value = memo.get(text, _MISSING)
                if value is _MISSING:
                    value = memo[text] = _convert(text, kind)
            elif slot >= 0 or kind is not None:
                value = _convert(text, kind)
            else:
                continue
            if slot >= 0:
                row[slot] = value
        for column, value in zip(self.columns, row, strict=True):
            column.append(value)

    def _plan(self, data_key: str) -> _Plan:
        """How an edge's ``<data key=...>`` is read: its kept slot (-1: dropped), conversion, memo."""
        name = self._name(data_key)
        if name == "id":
            plan: _Plan = (-1, None, None)  # osmnx drops an edge attribute named id
        else:
            slot = EDGE_KEPT.index(name) if name in EDGE_KEPT else -1
            plan = (slot, EDGE_TYPES.get(name), {} if name in MEMO_KEPT else None)
        self.plans[data_key] = plan
        return plan


def _parse(path: Path) -> _Reader:
    """Stream the file once through expat, keeping only what the engine needs."""
    reader = _Reader()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.chars
    with _open(path) as handle:
        try:
            parser.ParseFile(handle)
        except expat.ExpatError as exc:
            raise SyntaxError(str(exc)) from None
    if reader.graphs == 0:
        # networkx retries a file without the GraphML namespace with it added
        raise UnsupportedGraphMLError("no <graph> in the GraphML namespace")
    return reader


def _nx_edge_order(u: np.ndarray, v: np.ndarray, n_nodes: int) -> np.ndarray:
    """The order in which networkx lists the edges of a MultiDiGraph built in file order.

    By tail node (in node order), then by the head nodes in the order each first appeared after
    that tail, then in file order (keys in insertion order).
    """
    pair = u.astype(np.int64) * np.int64(n_nodes) + v.astype(np.int64)
    _, first, inverse = np.unique(pair, return_index=True, return_inverse=True)
    position = np.arange(len(u))
    return np.lexsort((position, first[inverse], u))


def _arrays(reader: _Reader) -> dict[str, Any]:
    """The engine's arrays in networkx's node and edge order (before any projection)."""
    n_declared = len(reader.node_ids)
    node_ids = reader.node_ids + reader.implicit
    u = np.asarray(reader.edge_u, dtype=np.int64)
    v = np.asarray(reader.edge_v, dtype=np.int64)
    u = np.where(u < 0, n_declared - 1 - u, u)
    v = np.where(v < 0, n_declared - 1 - v, v)
    keys = np.asarray(reader.edge_key, dtype=np.int64)
    n = len(node_ids)
    triple = np.column_stack([u, v, keys])
    if len(triple) and len(np.unique(triple, axis=0)) != len(triple):
        raise UnsupportedGraphMLError("an edge listed twice with the same id")
    order = _nx_edge_order(u, v, n)
    x = reader.node_x + [None] * len(reader.implicit)
    y = reader.node_y + [None] * len(reader.implicit)
    rows = order.tolist()
    kept = {name: [column[i] for i in rows] for name, column in zip(EDGE_KEPT, reader.columns, strict=True)}
    return {
        "node_ids": node_ids,
        "x_raw": x,
        "y_raw": y,
        "u": u[order],
        "v": v[order],
        **kept,
    }


def read_graphml_arrays(path: Path | str) -> StreamedGraph:
    """Stream a GraphML road graph (``.graphml`` or ``.graphml.gz``) into the engine's arrays.

    Parameters
    ----------
    path
        A GraphML file saved by osmnx / :func:`analysis.network.graphs.save_graphml`.

    Returns
    -------
    StreamedGraph
        Arrays in the order networkx and osmnx give them, and the graph's attributes.

    Raises
    ------
    UnsupportedGraphMLError
        The file uses a GraphML feature this reader does not mirror (read it with networkx).
    DataError
        The file is missing or is not a road graph (the same messages as the networkx path).
    NetworkError
        A node has no usable coordinates.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"Road graph {path} does not exist; build it with `healthcircle network fetch`."
        raise DataError(msg)
    try:
        reader = _parse(path)
        graph = {k: GRAPH_TYPES[k](v) if k in GRAPH_TYPES else v for k, v in reader.graph.items()}
        arrays = _arrays(reader)
    except (OSError, EOFError, SyntaxError, ValueError, KeyError, TypeError) as exc:
        reason = str(exc).strip()[:160] or type(exc).__name__
        msg = f"Could not read road graph {path}: {reason}. Is it a GraphML file saved by osmnx?"
        raise DataError(msg) from None
    node_ids = arrays["node_ids"]
    x, y = arrays.pop("x_raw"), arrays.pop("y_raw")
    check_coordinates(zip(node_ids, x, y, strict=True), where=str(path))
    edges = zip(arrays["u"], arrays["v"], arrays["length"], strict=True)
    check_road_parts(graph.get("crs"), edges, path, node_ids=node_ids)
    arrays["x"], arrays["y"] = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return StreamedGraph(arrays=arrays, graph=graph)


def _finish(arrays: dict[str, Any]) -> dict[str, Any]:
    """The arrays as :func:`analysis.network.graphs.graph_arrays` gives them."""
    import shapely

    wkt = np.asarray(arrays["geometry"], dtype=object)
    geometry = shapely.from_wkt(wkt) if len(wkt) else wkt
    return {
        "node_ids": arrays["node_ids"],
        "x": arrays["x"],
        "y": arrays["y"],
        "u": arrays["u"],
        "v": arrays["v"],
        "length_m": np.asarray(arrays["length"], dtype=np.float64),
        "highway": arrays["highway"],
        "maxspeed": arrays["maxspeed"],
        "oneway": np.fromiter((truthy(o if o is not None else False) for o in arrays["oneway"]), bool),
        "geometry": list(geometry),
    }


def _projected_order(node_ids: list[int], u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node and edge order of the graph ``osmnx.project_graph`` rebuilds (``graph_from_gdfs``).

    It adds the edges in order, so nodes come in the order the edges first name them (tail, then
    head), then the nodes no edge names, in the order of a Python set difference; its edges are
    listed by tail in that order, heads in first-appearance order, then in insertion order.
    """
    named = np.column_stack([u, v]).ravel()
    uniq, first = np.unique(named, return_index=True)
    appearance = uniq[np.argsort(first, kind="stable")]
    ids = np.asarray(node_ids, dtype=object)
    loose = set(node_ids) - set(ids[appearance].tolist())
    position = {node: i for i, node in enumerate(node_ids)}
    node_order = np.concatenate([appearance, np.fromiter((position[n] for n in loose), np.int64, len(loose))])
    new_index = np.empty(len(node_ids), dtype=np.int64)
    new_index[node_order] = np.arange(len(node_ids))
    edge_order = _nx_edge_order(new_index[u], new_index[v], len(node_ids))
    return node_order, edge_order


def graphml_arrays(path: Path | str, *, crs: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A GraphML road graph's engine arrays in *crs*, read without networkx.

    The same arrays, in the same order, as ``graph_arrays(project_graph(load_graphml(path), crs))``.

    Parameters
    ----------
    path
        GraphML(.gz) file saved by osmnx.
    crs
        Working CRS.

    Returns
    -------
    tuple of dict
        The arrays (:func:`analysis.network.graphs.graph_arrays`) and the graph attributes (``crs``
        set to *crs*).

    Raises
    ------
    UnsupportedGraphMLError
        The file uses a GraphML feature this reader does not mirror.
    DataError, NetworkError
        As :func:`analysis.network.graphs.load_graphml` and ``project_graph``.
    """
    import shapely
    from pyproj import CRS, Transformer

    streamed = read_graphml_arrays(path)
    arrays, graph = dict(streamed.arrays), dict(streamed.graph)
    source = CRS.from_user_input(graph["crs"])
    target = CRS.from_user_input(crs)
    if source != target:
        transformer = Transformer.from_crs(source, target, always_xy=True)
        x, y = transformer.transform(arrays["x"], arrays["y"])
        node_order, edge_order = _projected_order(arrays["node_ids"], arrays["u"], arrays["v"])
        new_index = np.empty(len(node_order), dtype=np.int64)
        new_index[node_order] = np.arange(len(node_order))
        ids = arrays["node_ids"]
        arrays["node_ids"] = [ids[i] for i in node_order.tolist()]
        arrays["x"], arrays["y"] = np.asarray(x)[node_order], np.asarray(y)[node_order]
        arrays["u"], arrays["v"] = new_index[arrays["u"]][edge_order], new_index[arrays["v"]][edge_order]
        for name in EDGE_KEPT:
            column = arrays[name]
            arrays[name] = [column[i] for i in edge_order.tolist()]
        finished = _finish(arrays)
        geoms = np.asarray(finished["geometry"], dtype=object)
        has = np.flatnonzero(~shapely.is_missing(geoms)) if len(geoms) else np.zeros(0, np.int64)
        if len(has):

            def move(coords: np.ndarray) -> np.ndarray:
                gx, gy = transformer.transform(coords[:, 0], coords[:, 1])
                return np.column_stack([gx, gy])

            geoms[has] = shapely.transform(geoms[has], move)
            finished["geometry"] = list(geoms)
        graph["crs"] = target
        return finished, graph
    return _finish(arrays), graph
