"""Travel times on a road graph: :class:`NetworkTravel`.

Shortest paths run on a compressed sparse row (CSR) matrix of edge travel times with
``scipy.sparse.csgraph`` — one multi-source run gives every target its nearest facility.
Points join the nearest road of the profile (:mod:`analysis.travel.snapping`); times between
points are exact: equal to splitting every road at every point and running Dijkstra.
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp

from analysis import network, settings
from analysis.errors import NetworkError, ParameterError
from analysis.travel.checks import (
    CheckedTravel,
    as_xy,
    check_buffer_m,
    check_cutoff,
    check_direction,
    empty_isochrones,
)
from analysis.travel.isochrone_shapes import network_blocks, reach_shape, reached_edges
from analysis.travel.model import Direction, NearestResult
from analysis.travel.profile_build import build_profile_graph
from analysis.travel.profile_graph import ProfileGraph, Topology
from analysis.travel.queries import (
    augment,
    direct_costs,
    join_ends,
    multi_source,
    multi_source_cost,
    source_runs,
)
from analysis.travel.snapping import Metric, Snapped, snap_to_nodes, snap_to_roads

logger = logging.getLogger(__name__)


def _label(graph_attrs: dict[str, Any], network_source: str | None) -> str:
    """The label results carry: the caller's, else the graph's own, else OpenStreetMap and its date."""
    if network_source is not None:
        return network_source
    # osmnx stamps the download date; graphs built by hand get today's
    default = (
        "OpenStreetMap road network (osmnx), "
        + str(graph_attrs.get("created_date", date.today().isoformat()))[:10]
    )
    return str(graph_attrs.get("network_source", default))


def _require_roads(n_nodes: int, n_edges: int) -> None:
    """Refuse a road graph without nodes or edges."""
    if n_nodes == 0 or n_edges == 0:
        msg = "The road graph has no nodes or no edges; rebuild it for the right area."
        raise NetworkError(msg)


class NetworkTravel(CheckedTravel[ProfileGraph]):
    """Travel times on a road graph (osmnx ``MultiDiGraph``).

    Build with :meth:`from_graph`. Each profile's graph is prepared once and cached. Points
    farther than ``settings.MAX_SNAP_DISTANCE_M`` from every road of a profile do not join
    it: as targets they are unreached (``inf`` / -1), as sources they reach nobody.

    Parameters
    ----------
    G
        Road graph projected to *crs* (``x``/``y`` in metres).
    crs
        Projected CRS of the graph and of every ``*_xy`` argument.
    network_source
        Label carried by results; default names OpenStreetMap and today's date.
    snap_to
        ``"edge"`` (default) or ``"node"``, see :meth:`from_graph`.
    """

    #: Minutes to the nearest of a set of sources are the smallest of each source's own minutes,
    #: to the last bit, and a matrix entry below its cutoff is that source's exact minutes: one
    #: search from many sources adds the same edge costs in the same order as a search from each,
    #: and rounding keeps the order of sums. Callers may combine answers (which source is nearest
    #: among equal times is not part of the promise).
    exact_minima: bool = True

    def __init__(
        self,
        G: nx.MultiDiGraph,
        *,
        crs: str,
        network_source: str | None = None,
        snap_to: Literal["edge", "node"] = "edge",
    ) -> None:
        self._setup(
            network.graph_arrays(G), crs=crs, network_source=_label(G.graph, network_source), snap_to=snap_to
        )

    def _setup(
        self,
        arrays: dict[str, Any],
        *,
        crs: str,
        network_source: str,
        snap_to: Literal["edge", "node"],
        curved: np.ndarray | None = None,
    ) -> None:
        """Hold the graph's arrays (:func:`analysis.network.graph_arrays`), its label and no answers yet."""
        if snap_to not in ("edge", "node"):
            msg = f"snap_to must be 'edge' or 'node', got {snap_to!r}."
            raise ParameterError(msg)
        self.snap_to = snap_to
        self.crs = crs
        self.network_source = network_source
        self._arrays = arrays
        self._n_nodes = len(self._arrays["node_ids"])
        if curved is None:
            curved = np.array([g is not None for g in arrays["geometry"]], dtype=bool)
        self._curved = curved
        self._profiles: dict[str, ProfileGraph] = {}
        self._topologies: dict[bytes, Topology] = {}
        self._shared_costs: dict[bytes, Any] = {}
        self._unusable: dict[str, str] = {}
        self._snaps: dict[tuple[str, bytes], Snapped] = {}

    @classmethod
    def from_arrays(
        cls,
        arrays: dict[str, Any],
        *,
        graph_attrs: dict[str, Any],
        crs: str,
        network_source: str | None = None,
        snap_to: Literal["edge", "node"] = "edge",
    ) -> NetworkTravel:
        """Build the engine from a graph's flat arrays in *crs*, e.g. streamed from a GraphML file.

        Parameters
        ----------
        arrays
            As :func:`analysis.network.graph_arrays` returns them, already in *crs* (not copied).
        graph_attrs
            The graph's attributes (``network_source``, ``created_date``).
        crs
            Projected CRS of the arrays and of every ``*_xy`` argument.
        network_source
            Label for results; default from *graph_attrs*, as :meth:`from_graph`.
        snap_to
            ``"edge"`` or ``"node"``, see :meth:`from_graph`.

        Returns
        -------
        NetworkTravel
            The engine.

        Raises
        ------
        NetworkError
            If there are no nodes or no edges.
        """
        _require_roads(len(arrays["node_ids"]), len(arrays["u"]))
        model = cls.__new__(cls)
        model._setup(arrays, crs=crs, network_source=_label(graph_attrs, network_source), snap_to=snap_to)
        return model

    @classmethod
    def from_prepared(
        cls, prepared: dict[str, Any], *, snap_to: Literal["edge", "node"] = "edge"
    ) -> NetworkTravel:
        """Build the engine from prepared arrays (:func:`analysis.travel.store.read_store`), without a graph.

        Parameters
        ----------
        prepared
            ``arrays``, ``curved``, ``profiles``, ``unusable``, ``crs``, ``network_source``.
        snap_to
            ``"edge"`` or ``"node"``, see :meth:`from_graph`.

        Returns
        -------
        NetworkTravel
            The engine, every profile ready.
        """
        model = cls.__new__(cls)
        model._setup(
            prepared["arrays"],
            crs=prepared["crs"],
            network_source=prepared["network_source"],
            snap_to=snap_to,
            curved=prepared["curved"],
        )
        model._profiles = dict(prepared["profiles"])
        model._unusable = dict(prepared.get("unusable", {}))
        return model

    def prepare_all(self) -> tuple[dict[str, ProfileGraph], dict[str, str]]:
        """Prepare every profile of ``settings.PROFILES`` the graph can serve.

        Returns
        -------
        tuple of dict
            Prepared profile graphs by name, and the profiles the graph cannot serve with why.
        """
        for profile in settings.PROFILES:
            if profile in self._unusable:
                continue
            try:
                self._profile(profile)
            except NetworkError as exc:
                self._unusable[profile] = str(exc)
        return dict(self._profiles), dict(self._unusable)

    def release_graph_attributes(self) -> None:
        """Drop the per-edge tags kept only to prepare profiles, once every profile is prepared."""
        self.prepare_all()
        for name in ("highway", "maxspeed", "u", "v", "length_m", "oneway"):
            self._arrays.pop(name, None)

    @classmethod
    def from_graph(
        cls,
        G: nx.MultiDiGraph,
        *,
        crs: str | None = None,
        network_source: str | None = None,
        snap_to: Literal["edge", "node"] = "edge",
    ) -> NetworkTravel:
        """Build the engine from an osmnx graph, projecting it if needed.

        Parameters
        ----------
        G
            Road graph (any CRS osmnx knows; unprojected graphs are projected). Not modified.
        crs
            Working CRS; ``None`` → ``settings.WORKING_CRS``.
        network_source
            Label for results; default "OpenStreetMap road network (osmnx), <date>".
        snap_to
            ``"edge"``: points join the nearest road at the foot of the perpendicular and
            travel along it (exact for long simplified edges); ``"node"``: they join the
            nearest road node.

        Returns
        -------
        NetworkTravel
            The engine.

        Raises
        ------
        NetworkError
            If the graph has no nodes or edges, or a node has no usable coordinates.
        """
        crs = settings.WORKING_CRS if crs is None else crs
        _require_roads(len(G), G.number_of_edges())
        G = network.project_graph(G, crs)
        t0 = time.perf_counter()
        model = cls(G, crs=crs, network_source=network_source, snap_to=snap_to)
        logger.info(
            "Travel engine on graph with %d nodes and %d edges (%.2f s)",
            len(G),
            G.number_of_edges(),
            time.perf_counter() - t0,
        )
        return model

    # -- per-profile graph and snapping ----------------------------------------------------

    def _profile(self, profile: str) -> ProfileGraph:
        network.check_profile(profile)
        cached = self._profiles.get(profile)
        if cached is None and profile in self._unusable:
            raise NetworkError(self._unusable[profile])
        if cached is None and "highway" not in self._arrays:
            msg = f"Profile {profile!r} was not prepared with this road network; rebuild its store."
            raise NetworkError(msg)
        if cached is None:
            cached = build_profile_graph(
                self._arrays,
                self._curved,
                profile=profile,
                topologies=self._topologies,
                shared=self._shared_costs,
            )
            self._profiles[profile] = cached
        return cached

    def _snap(self, pg: ProfileGraph, xy: np.ndarray) -> Snapped:
        # the same points (every population cell) are joined to the same roads in every query
        key = (str(id(pg.topology)) + self.snap_to, hashlib.blake2b(xy.tobytes(), digest_size=16).digest())
        hit = self._snaps.get(key)
        if hit is not None and len(hit.dist_m) == len(xy):
            return hit
        snapped = snap_to_nodes(pg, xy, self.node_xy) if self.snap_to == "node" else snap_to_roads(pg, xy)
        if len(self._snaps) >= settings.SNAP_CACHE_ENTRIES:
            self._snaps.pop(next(iter(self._snaps)))
        self._snaps[key] = snapped
        return snapped

    def snap(self, points_xy: np.ndarray, *, profile: str) -> tuple[np.ndarray, np.ndarray]:
        """Where points join the network for a profile.

        Parameters
        ----------
        points_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.

        Returns
        -------
        tuple of numpy.ndarray
            ``(join_xy, snap_distance_m)``: (n, 2) points where each point joins its nearest
            road of the profile and the length of that access leg. Points with a leg over
            ``settings.MAX_SNAP_DISTANCE_M`` do not join (they are unreached in queries).
        """
        snapped = self._snap(self._profile(profile), as_xy(points_xy, "points_xy"))
        return snapped.point_xy.copy(), snapped.dist_m.copy()

    def snap_distance_m(self, points_xy: np.ndarray, *, profile: str) -> np.ndarray:
        """Length of each point's access leg to its nearest road of *profile*, metres.

        Parameters
        ----------
        points_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.

        Returns
        -------
        numpy.ndarray
            (n,) metres; points beyond ``settings.MAX_SNAP_DISTANCE_M`` do not join.
        """
        return self.snap(points_xy, profile=profile)[1]

    def prepare_snapping(self) -> None:
        """Build every profile's nearest-road index now, so that no question pays for it.

        Without this call each road topology builds its index (the grid of segments and the k-d
        tree for points far from every road) at its first snap. Profiles sharing their roads
        share one index. Snapping to nodes needs no index.
        """
        if self.snap_to != "edge":
            return
        self.prepare_all()
        seen: set[int] = set()
        for pg in self._profiles.values():
            if id(pg.topology) in seen:
                continue
            seen.add(id(pg.topology))
            pg.topology.segments.build_fallback()

    @property
    def n_edges(self) -> int:
        """Directed edges of the road graph the engine was built from."""
        return len(self._curved)

    @property
    def node_ids(self) -> list[Any]:
        """Graph node ids in the order used by :meth:`node_minutes`."""
        return list(self._arrays["node_ids"])

    @property
    def node_xy(self) -> np.ndarray:
        """(n_nodes, 2) node coordinates in ``self.crs``."""
        return np.column_stack([self._arrays["x"], self._arrays["y"]])

    # -- queries ---------------------------------------------------------------------------

    def _source_costs(
        self, pg: ProfileGraph, s_snap: Snapped, *, metric: Metric, direction: Direction, leg: np.ndarray
    ) -> tuple[sp.csr_matrix, np.ndarray]:
        """The graph to search in *direction* and each source's (n, 2) cost to its road ends, leg included."""
        if metric == "metres":
            graph = pg.forward_m if direction == "from_sources" else pg.forward_m.T.tocsr()
        else:
            graph = pg.forward if direction == "from_sources" else pg.backward
        enter, leave = s_snap.along(pg, metric)
        return graph, (enter if direction == "from_sources" else leave) + leg[:, None]

    def _nearest(
        self,
        prepared: ProfileGraph,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        *,
        unit: Literal["minutes", "metres"],
        direction: Direction,
        cutoff: float,
        with_source: bool = True,
    ) -> NearestResult:
        """One multi-source run: source access leg + network cost + target access leg.

        In minutes both legs are at ``settings.ACCESS_SPEED_KMH[profile]``; in metres they
        count as their length. A source on the target's own road may also reach it along it.
        Without *with_source* the search keeps no predecessors and every ``source_index`` is -1.
        """
        pg = prepared
        metric: Metric = "seconds" if unit == "minutes" else "metres"
        access_speed_ms = settings.ACCESS_SPEED_KMH[profile] / 3.6 if unit == "minutes" else 1.0
        per_unit = 60.0 if unit == "minutes" else 1.0
        cutoff = cutoff * per_unit
        t_snap = self._snap(pg, targets)
        if len(sources) == 0 or len(targets) == 0:
            return NearestResult(
                np.full(len(targets), np.inf), np.full(len(targets), -1, np.int64), t_snap.dist_m.copy()
            )
        s_snap = self._snap(pg, sources)
        s_leg = s_snap.dist_m / access_speed_ms
        t_leg = t_snap.dist_m / access_speed_ms
        graph, s_cost = self._source_costs(pg, s_snap, metric=metric, direction=direction, leg=s_leg)
        t_enter, t_exit = t_snap.along(pg, metric)
        t_cost = t_exit if direction == "from_sources" else t_enter
        if with_source:
            dist, src = multi_source(graph, s_snap.nodes, s_cost, cutoff)
        else:
            dist = multi_source_cost(graph, s_snap.nodes, s_cost, cutoff)
        value, end = join_ends(dist, t_snap.nodes, t_cost)
        value = value + t_leg
        idx = src[t_snap.nodes[np.arange(len(targets)), end]] if with_source else np.full(len(targets), -1)
        si, ti, direct = direct_costs(
            pg,
            s_snap,
            t_snap,
            metric=metric,
            from_sources=direction == "from_sources",
            s_leg=s_leg,
            t_leg=t_leg,
        )
        if len(ti):
            # the cheapest same-road source of each target (pairs are ordered by target)
            order = np.lexsort((direct, ti))
            si, ti, direct = si[order], ti[order], direct[order]
            first = np.ones(len(ti), dtype=bool)
            first[1:] = ti[1:] != ti[:-1]
            si, ti, direct = si[first], ti[first], direct[first]
            better = direct < value[ti]
            value[ti[better]] = direct[better]
            idx[ti[better]] = si[better]
        over = ~(value <= cutoff) | ~np.isfinite(value)
        value[over] = np.inf
        idx[over] = -1
        return NearestResult(value / per_unit, idx, t_snap.dist_m.copy())

    def nearest_minutes(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """Minutes between every target and its nearest source, without saying which source.

        The same numbers as ``nearest(...).minutes``, to the last bit, from a search that keeps
        no predecessors (about a fifth faster).

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        direction
            ``"from_sources"`` or ``"to_sources"``.
        cutoff_minutes
            Targets beyond this get ``inf``; it also bounds the search.

        Returns
        -------
        numpy.ndarray
            (n_targets,) minutes; ``inf`` = not reached.
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, direction, cutoff_minutes, "cutoff_minutes"
        )
        res = self._nearest(
            prepared,
            profile,
            sources,
            targets,
            unit="minutes",
            direction=direction,
            cutoff=cutoff,
            with_source=False,
        )
        return res.minutes

    def node_minutes(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Minutes from the nearest source to every graph node (one multi-source run).

        Parameters
        ----------
        sources_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        direction
            ``"from_sources"`` or ``"to_sources"``.
        cutoff_minutes
            Nodes beyond this get ``inf`` / -1.

        Returns
        -------
        tuple of numpy.ndarray
            ``(minutes, source_index)`` per node, in the order of :attr:`node_ids`.
        """
        check_direction(direction)
        pg = self._profile(profile)
        cutoff = check_cutoff(cutoff_minutes, "cutoff_minutes") * 60.0
        sources = as_xy(sources_xy, "sources_xy")
        if len(sources) == 0:
            return np.full(self._n_nodes, np.inf), np.full(self._n_nodes, -1, np.int64)
        s_snap = self._snap(pg, sources)
        leg = s_snap.dist_m / (settings.ACCESS_SPEED_KMH[profile] / 3.6)
        graph, s_cost = self._source_costs(pg, s_snap, metric="seconds", direction=direction, leg=leg)
        dist, src = multi_source(graph, s_snap.nodes, s_cost, cutoff)
        return dist / 60.0, src

    def _matrix_minutes(
        self,
        prepared: ProfileGraph,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        direction: Direction,
        cutoff_minutes: float,
    ) -> np.ndarray:
        cutoff_s = cutoff_minutes * 60.0
        out = np.full((len(sources), len(targets)), np.inf)
        if len(sources) == 0 or len(targets) == 0:
            return out
        access = settings.ACCESS_SPEED_KMH[profile] / 3.6
        t_snap = self._snap(prepared, targets)
        s_snap = self._snap(prepared, sources)
        s_leg, t_leg = s_snap.dist_m / access, t_snap.dist_m / access
        graph, s_cost = self._source_costs(prepared, s_snap, metric="seconds", direction=direction, leg=s_leg)
        t_enter, t_exit = t_snap.along(prepared, "seconds")
        t_cost = t_exit if direction == "from_sources" else t_enter
        aug = augment(graph, s_snap.nodes, s_cost)
        t0 = time.perf_counter()
        for rows, dist in source_runs(aug, self._n_nodes, len(sources), cutoff_s):
            block, _ = join_ends(dist, t_snap.nodes, t_cost)
            out[rows] = block + t_leg[None, :]
        si, ti, direct = direct_costs(
            prepared,
            s_snap,
            t_snap,
            metric="seconds",
            from_sources=direction == "from_sources",
            s_leg=s_leg,
            t_leg=t_leg,
        )
        np.minimum.at(out, (si, ti), direct)
        out /= 60.0
        out[~(out <= cutoff_minutes)] = np.inf
        logger.info(
            "Travel matrix %d x %d (%s, %s) in %.2f s",
            len(sources),
            len(targets),
            profile,
            direction,
            time.perf_counter() - t0,
        )
        return out

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Direction = "from_sources",
        source_ids: Sequence[str] | None = None,
        buffer_m: float | None = None,
    ) -> gpd.GeoDataFrame:
        """Areas within each band of each source, following the roads.

        Each shape is every place within *buffer_m* of the road parts reachable within the
        band (edges cut where the band ends, from node times), the source's access leg and the
        source itself. A place farther than *buffer_m* from every reached road is outside even
        if reached roads surround it — these are not convex hulls. The band is built from the
        blocks the reached roads enclose (:mod:`analysis.travel.road_band`), the same area as
        buffering each piece and unioning them, at a fraction of the cost. A source reaching
        many roads (:data:`~analysis.travel.isochrone_shapes.BLOCKS_MIN_EDGES_SHARE` of the
        edges) picks its blocks among the network's, found once per profile
        (:mod:`analysis.travel.road_faces`); a smaller one finds its own.

        Parameters
        ----------
        sources_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        minutes
            Bands, e.g. ``[5, 10, 15]``.
        direction
            ``"from_sources"`` or ``"to_sources"``.
        source_ids
            One label per source (default ``"0"``, ``"1"``, ...).
        buffer_m
            Half-width of the band around reached roads, metres: a place this close to a
            reached road counts as reached (a home along the street). Positive; ``None`` →
            ``settings.ISOCHRONE_BUFFER_M`` (75 m). Zero, negative or non-numbers raise
            :class:`~analysis.errors.ParameterError`.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326 polygons, one row per source and band, columns ``source_id``,
            ``minutes``, ``network_source``.
        """
        pg, bands, sources, ids = self._isochrone_args(sources_xy, profile, minutes, direction, source_ids)
        width = check_buffer_m(buffer_m, settings.ISOCHRONE_BUFFER_M)
        if len(sources) == 0:
            return empty_isochrones(settings.GEOGRAPHIC_CRS)
        t0 = time.perf_counter()
        access = settings.ACCESS_SPEED_KMH[profile] / 3.6
        s_snap = self._snap(pg, sources)
        s_leg = np.where(s_snap.joined, s_snap.dist_m / access, np.inf)
        graph, s_cost = self._source_costs(pg, s_snap, metric="seconds", direction=direction, leg=s_leg)
        aug = augment(graph, s_snap.nodes, s_cost)
        n = self._n_nodes
        records: list[dict[str, Any]] = []
        for rows, dist in source_runs(aug, n, len(sources), bands[-1] * 60.0):
            for row, i in enumerate(rows):
                # the widest band's edges hold every narrower band's
                edges = reached_edges(pg, dist[row, :n], bands[-1] * 60.0, direction)
                faces = network_blocks(pg, len(edges))
                for band in bands:
                    geom = reach_shape(
                        pg,
                        dist[row, :n],
                        band * 60.0,
                        direction,
                        source_xy=sources[i],
                        join_xy=s_snap.point_xy[i],
                        leg_s=float(s_leg[i]),
                        road=int(s_snap.road[i]),
                        road_frac=float(s_snap.frac[i]),
                        arrays=self._arrays,
                        curved=self._curved,
                        buffer_m=width,
                        edges=edges,
                        faces=faces,
                    )
                    records.append({"source_id": ids[i], "minutes": band, "geometry": geom})
        gdf = gpd.GeoDataFrame(records, geometry="geometry", crs=self.crs)
        gdf["network_source"] = self.network_source
        gdf = gdf[["source_id", "minutes", "network_source", "geometry"]]
        logger.info(
            "Isochrones for %d sources x %d bands (%s) in %.2f s",
            len(sources),
            len(bands),
            profile,
            time.perf_counter() - t0,
        )
        return gdf.to_crs(settings.GEOGRAPHIC_CRS)
