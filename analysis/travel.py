"""Travel-time engine: nearest-facility times, time matrices and isochrones.

Two models share one interface (:class:`TravelModel`):

- :class:`NetworkTravel` runs shortest paths on a compressed sparse row (CSR) matrix of edge
  travel times with ``scipy.sparse.csgraph`` — one multi-source run gives every target's
  nearest facility. Points join the nearest road (the foot of the perpendicular, then along
  the road to either end the profile may use) along a straight "access leg" walked or driven
  at ``settings.ACCESS_SPEED_KMH``; each source is a virtual node wired to its road's ends.
- :class:`StraightLineTravel` estimates travel as straight-line distance ×
  ``settings.CIRCUITY_FACTOR`` at ``settings.STRAIGHT_LINE_SPEED_KMH`` when no road graph is
  available; its results say so (``network_source``).
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
import shapely.ops
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from analysis import network, settings
from analysis.errors import NetworkError, ParameterError, SnapError

logger = logging.getLogger(__name__)

Direction = Literal["from_sources", "to_sources"]
_DIRECTIONS = ("from_sources", "to_sources")
#: Shortest edge time (s): keeps zero-length edges as edges in the sparse matrix.
_MIN_EDGE_S = 1e-9


@dataclass(frozen=True)
class NearestResult:
    """Nearest source of each target.

    Attributes
    ----------
    minutes
        (n_targets,) float64 travel time; ``inf`` where no source is within the cutoff.
    source_index
        (n_targets,) int64 index into ``sources_xy``; -1 where unreached.
    snap_distance_m
        (n_targets,) distance from each target to where it joins the network (0 for the
        straight-line estimate).
    """

    minutes: np.ndarray
    source_index: np.ndarray
    snap_distance_m: np.ndarray


class TravelModel(Protocol):
    """What the coverage and siting code needs from a travel model."""

    network_source: str
    crs: str

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        """Nearest source of every target."""
        ...

    def nearest_distance_m(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        cutoff_m: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Distance to the nearest source and its index (inf / -1 unreached)."""
        ...

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """(n_sources, n_targets) minutes, inf beyond the cutoff."""
        ...

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Direction = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """EPSG:4326 polygons with columns source_id, minutes."""
        ...


# --- helpers --------------------------------------------------------------------------------


def _as_xy(points: np.ndarray | Sequence[Sequence[float]], name: str) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        msg = f"{name} must be an (n, 2) array of x/y coordinates in the working CRS, got shape {arr.shape}."
        raise ParameterError(msg)
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        msg = f"{name} has missing or infinite coordinates at index {first}; drop them first."
        raise ParameterError(msg)
    return arr


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        msg = f"Unknown direction {direction!r}; use 'from_sources' or 'to_sources'."
        raise ParameterError(msg)


def _check_cutoff(cutoff: float | None, name: str) -> float:
    if cutoff is None:
        return np.inf
    if not cutoff >= 0:
        msg = f"{name} must be a non-negative number, got {cutoff!r}."
        raise ParameterError(msg)
    return float(cutoff)


def _check_minutes(minutes: Sequence[float]) -> list[float]:
    bands = sorted({float(m) for m in minutes})
    if not bands or bands[0] <= 0 or not np.isfinite(bands[-1]):
        msg = f"minutes must be one or more positive numbers (e.g. 5, 10, 15), got {list(minutes)!r}."
        raise ParameterError(msg)
    return bands


def _source_ids(source_ids: Sequence[str] | None, n: int) -> list[str]:
    if source_ids is None:
        return [str(i) for i in range(n)]
    ids = [str(s) for s in source_ids]
    if len(ids) != n:
        msg = f"source_ids has {len(ids)} entries but there are {n} sources; give one id per source."
        raise ParameterError(msg)
    return ids


def _empty_isochrones(crs_out: str) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"source_id": [], "minutes": [], "network_source": []}, geometry=[], crs=crs_out)


# --- shared public interface --------------------------------------------------------------

#: What a model prepares per profile: minutes per metre, or the profile's road matrices.
_Prepared = TypeVar("_Prepared")


class _CheckedTravel(Generic[_Prepared]):
    """The documented :class:`TravelModel` methods and their argument checks.

    Subclasses prepare each profile in :meth:`_profile` (which rejects unknown profiles) and
    compute in the hooks :meth:`_nearest` and :meth:`_matrix_minutes`, which get checked
    (n, 2) arrays and numeric cutoffs.
    """

    crs: str
    network_source: str

    def _profile(self, profile: str) -> _Prepared:
        raise NotImplementedError

    def _nearest(
        self,
        prepared: _Prepared,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        *,
        unit: Literal["minutes", "metres"],
        direction: Direction,
        cutoff: float,
    ) -> NearestResult:
        """Nearest source of each target by time or distance; ``minutes`` holds values in *unit*."""
        raise NotImplementedError

    def _matrix_minutes(
        self,
        prepared: _Prepared,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        direction: Direction,
        cutoff_minutes: float,
    ) -> np.ndarray:
        raise NotImplementedError

    def nearest(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> NearestResult:
        """Nearest source of every target by travel time.

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        direction
            ``"from_sources"`` (travel starts at the source, e.g. an ambulance) or
            ``"to_sources"`` (travel ends at the source, e.g. a patient going to a clinic).
            Straight lines are symmetric: the straight-line estimate only checks it.
        cutoff_minutes
            Targets beyond this get ``inf`` / -1; on a road network it also bounds the search.

        Returns
        -------
        NearestResult
            Minutes, nearest source index and each target's snap distance (all zeros for the
            straight-line estimate).

        Raises
        ------
        ParameterError
            On an unknown profile/direction, bad coordinates or a negative cutoff.
        SnapError
            If a point is farther than ``settings.MAX_SNAP_DISTANCE_M`` from the network.
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, direction, cutoff_minutes, "cutoff_minutes"
        )
        return self._nearest(
            prepared, profile, sources, targets, unit="minutes", direction=direction, cutoff=cutoff
        )

    def nearest_distance_m(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        cutoff_m: float | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Road distance from the nearest source (by distance) to each target.

        On a road network: the shortest network distance including both off-network legs,
        on the roads and one-way rules of *profile*. Straight-line estimate: straight-line
        distance × ``settings.CIRCUITY_FACTOR`` (the profile is checked but does not matter).

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        cutoff_m
            Targets beyond this get ``inf`` / -1.

        Returns
        -------
        tuple of numpy.ndarray
            ``(distance_m, source_index)``.
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, "from_sources", cutoff_m, "cutoff_m"
        )
        res = self._nearest(
            prepared, profile, sources, targets, unit="metres", direction="from_sources", cutoff=cutoff
        )
        return res.minutes, res.source_index

    def matrix(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        *,
        profile: str,
        direction: Direction = "from_sources",
        cutoff_minutes: float | None = None,
    ) -> np.ndarray:
        """Minutes between every source and every target, in memory-bounded chunks of sources.

        Parameters
        ----------
        sources_xy, targets_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        direction
            ``"from_sources"`` or ``"to_sources"`` (only checked by the straight-line
            estimate, which is symmetric).
        cutoff_minutes
            Entries above this are ``inf``; on a road network it also bounds each search.

        Returns
        -------
        numpy.ndarray
            (n_sources, n_targets) float64 minutes.

        Raises
        ------
        SnapError
            If a point is farther than ``settings.MAX_SNAP_DISTANCE_M`` from the network.
        """
        prepared, sources, targets, cutoff = self._checked(
            sources_xy, targets_xy, profile, direction, cutoff_minutes, "cutoff_minutes"
        )
        return self._matrix_minutes(prepared, profile, sources, targets, direction, cutoff)

    def _checked(
        self,
        sources_xy: np.ndarray,
        targets_xy: np.ndarray,
        profile: str,
        direction: Direction,
        cutoff: float | None,
        cutoff_name: str,
    ) -> tuple[_Prepared, np.ndarray, np.ndarray, float]:
        """Checked (prepared profile, sources, targets, cutoff), checking direction first."""
        _check_direction(direction)
        prepared = self._profile(profile)
        limit = _check_cutoff(cutoff, cutoff_name)
        return prepared, _as_xy(sources_xy, "sources_xy"), _as_xy(targets_xy, "targets_xy"), limit

    def _isochrone_args(
        self,
        sources_xy: np.ndarray,
        profile: str,
        minutes: Sequence[float],
        direction: Direction,
        source_ids: Sequence[str] | None,
    ) -> tuple[_Prepared, list[float], np.ndarray, list[str]]:
        """Checked arguments of ``isochrones``: (prepared profile, sorted bands, sources, ids)."""
        _check_direction(direction)
        prepared = self._profile(profile)
        bands = _check_minutes(minutes)
        sources = _as_xy(sources_xy, "sources_xy")
        return prepared, bands, sources, _source_ids(source_ids, len(sources))


# --- straight-line estimate ---------------------------------------------------------------


class StraightLineTravel(_CheckedTravel[float]):
    """Travel estimated from straight-line distance, for use when no road graph is available.

    Time = Euclidean distance in the working CRS × ``settings.CIRCUITY_FACTOR`` at
    ``settings.STRAIGHT_LINE_SPEED_KMH[profile]``; distances are Euclidean distance ×
    circuity (an estimate of the distance along roads). Straight lines are symmetric, so
    ``direction`` is only checked, and ``snap_distance_m`` is all zeros. Every result is
    labelled ``settings.STRAIGHT_LINE_SOURCE``.

    Parameters
    ----------
    crs
        Projected CRS of the coordinates; ``None`` → ``settings.WORKING_CRS``.
    """

    def __init__(self, *, crs: str | None = None) -> None:
        self.crs: str = settings.WORKING_CRS if crs is None else crs
        self.network_source: str = settings.STRAIGHT_LINE_SOURCE

    def _profile(self, profile: str) -> float:
        """Estimated minutes per metre of straight line for *profile*."""
        network.check_profile(profile)
        speed_kmh = settings.STRAIGHT_LINE_SPEED_KMH[profile]
        return settings.CIRCUITY_FACTOR / (speed_kmh * 1000.0 / 60.0)

    @staticmethod
    def _nearest_straight_m(
        sources_xy: np.ndarray, targets_xy: np.ndarray, max_straight_m: float
    ) -> tuple[np.ndarray, np.ndarray]:
        n_t = len(targets_xy)
        if len(sources_xy) == 0 or n_t == 0:
            return np.full(n_t, np.inf), np.full(n_t, -1, dtype=np.int64)
        tree = cKDTree(sources_xy)
        bound = max_straight_m * (1 + 1e-12) if np.isfinite(max_straight_m) else np.inf
        dist, idx = tree.query(targets_xy, k=1, distance_upper_bound=bound)
        idx = np.where(np.isfinite(dist), idx, -1).astype(np.int64)
        return dist.astype(np.float64), idx

    def _nearest(
        self,
        prepared: float,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        *,
        unit: Literal["minutes", "metres"],
        direction: Direction,
        cutoff: float,
    ) -> NearestResult:
        per_m = prepared if unit == "minutes" else settings.CIRCUITY_FACTOR
        dist, idx = self._nearest_straight_m(sources, targets, cutoff / per_m)
        value = dist * per_m
        over = value > cutoff
        value[over] = np.inf
        idx[over] = -1
        return NearestResult(value, idx, np.zeros(len(targets)))

    def _matrix_minutes(
        self,
        prepared: float,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        direction: Direction,
        cutoff_minutes: float,
    ) -> np.ndarray:
        out = np.empty((len(sources), len(targets)), dtype=np.float64)
        chunk = max(1, settings.MATRIX_CHUNK_CELLS // max(1, len(targets)))
        for start in range(0, len(sources), chunk):
            block = sources[start : start + chunk]
            d = np.hypot(block[:, None, 0] - targets[None, :, 0], block[:, None, 1] - targets[None, :, 1])
            out[start : start + chunk] = d * prepared
        out[out > cutoff_minutes] = np.inf
        return out

    def isochrones(
        self,
        sources_xy: np.ndarray,
        *,
        profile: str,
        minutes: Sequence[float],
        direction: Direction = "from_sources",
        source_ids: Sequence[str] | None = None,
    ) -> gpd.GeoDataFrame:
        """Circles reachable within each band, labelled as estimates.

        Parameters
        ----------
        sources_xy
            (n, 2) coordinates in ``self.crs``.
        profile
            One of ``settings.PROFILES``.
        minutes
            Bands, e.g. ``[5, 10, 15]``.
        direction
            Accepted for the interface; straight lines are symmetric.
        source_ids
            One label per source (default ``"0"``, ``"1"``, ...).

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326 circles of radius speed × t / circuity, columns ``source_id``,
            ``minutes``, ``network_source``.
        """
        per_m, bands, sources, ids = self._isochrone_args(sources_xy, profile, minutes, direction, source_ids)
        if len(sources) == 0:
            return _empty_isochrones(settings.GEOGRAPHIC_CRS)
        radius = np.array(bands) / per_m
        px = np.repeat(sources[:, 0], len(bands))
        py = np.repeat(sources[:, 1], len(bands))
        geoms = shapely.buffer(shapely.points(px, py), np.tile(radius, len(sources)), quad_segs=16)
        gdf = gpd.GeoDataFrame(
            {
                "source_id": np.repeat(ids, len(bands)),
                "minutes": np.tile(bands, len(sources)),
                "network_source": self.network_source,
            },
            geometry=geoms,
            crs=self.crs,
        )
        return gdf.to_crs(settings.GEOGRAPHIC_CRS)


# --- network engine -------------------------------------------------------------------------


@dataclass(frozen=True)
class _ProfileGraph:
    """Per-profile matrices: forward/backward CSR weights and the usable nodes."""

    forward: sp.csr_matrix
    backward: sp.csr_matrix
    forward_m: sp.csr_matrix
    edge_u: np.ndarray  # edges of the profile graph (after the component filter), node indices
    edge_v: np.ndarray
    edge_s: np.ndarray  # seconds
    edge_geom: np.ndarray  # index into the graph's edge list, for curved geometry
    edge_reversed: np.ndarray  # True where the edge is a walking reverse of a one-way edge
    node_index: np.ndarray  # node indices kept (largest strongly connected component)
    tree: cKDTree
    edge_m: np.ndarray  # metres
    rev_s: np.ndarray  # seconds of the opposite edge v -> u (inf where one-way)
    rev_m: np.ndarray
    lines: np.ndarray  # LineString of each edge, oriented u -> v
    line_tree: shapely.STRtree


@dataclass(frozen=True)
class _Snapped:
    """Where points join the network: the two ends of their edge and the costs to/from them."""

    nodes: np.ndarray  # (n, 2) node indices (u, v); the same node twice when snapping to nodes
    dist_m: np.ndarray  # (n,) straight distance from the point to the network
    point_xy: np.ndarray  # (n, 2) where the point joins the network
    frac: np.ndarray  # (n,) position along the edge, 0 at u and 1 at v
    edge: np.ndarray  # (n,) profile edge index, -1 when snapped to a node

    def costs(self, pg: _ProfileGraph, metric: Literal["seconds", "metres"]) -> tuple[np.ndarray, np.ndarray]:
        """(enter, leave): cost from the join point to (u, v), and from (u, v) to the join point."""
        n = len(self.dist_m)
        if n and self.edge[0] < 0:
            zero_inf = np.column_stack([np.zeros(n), np.full(n, np.inf)])
            return zero_inf, zero_inf
        fwd = (pg.edge_s if metric == "seconds" else pg.edge_m)[self.edge]
        rev = (pg.rev_s if metric == "seconds" else pg.rev_m)[self.edge]
        t = self.frac
        enter = np.column_stack([_part(t, rev), _part(1.0 - t, fwd)])
        leave = np.column_stack([_part(t, fwd), _part(1.0 - t, rev)])
        return enter, leave


def _part(fraction: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """fraction x weight, exactly 0 for a zero fraction even where the weight is inf (no edge)."""
    with np.errstate(invalid="ignore"):
        return np.where(fraction <= 0.0, 0.0, fraction * weight)


def _lookup(matrix: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """matrix[rows[i], cols[i]] for each i, inf where there is no edge."""
    if len(rows) == 0:
        return np.empty(0)
    values = np.asarray(matrix[rows, cols]).ravel().astype(np.float64)
    values[values == 0.0] = np.inf
    return values


class NetworkTravel(_CheckedTravel[_ProfileGraph]):
    """Travel times on a road graph (osmnx ``MultiDiGraph``).

    Build with :meth:`from_graph`. Matrices are built once per profile and cached.

    Parameters
    ----------
    G
        Road graph projected to *crs* (``x``/``y`` in metres).
    crs
        Projected CRS of the graph and of every ``*_xy`` argument.
    network_source
        Label carried by results; default names OpenStreetMap and today's date.
    """

    def __init__(
        self,
        G: nx.MultiDiGraph,
        *,
        crs: str,
        network_source: str | None = None,
        snap_to: Literal["edge", "node"] = "edge",
    ) -> None:
        if snap_to not in ("edge", "node"):
            msg = f"snap_to must be 'edge' or 'node', got {snap_to!r}."
            raise ParameterError(msg)
        self.snap_to = snap_to
        self.crs: str = crs
        self.network_source: str = (
            network_source
            if network_source is not None
            else G.graph.get(
                "network_source",
                # osmnx stamps the download date; graphs built by hand get today's
                "OpenStreetMap road network (osmnx), "
                + str(G.graph.get("created_date", date.today().isoformat()))[:10],
            )
        )
        self._arrays = network.graph_arrays(G)
        self._n_nodes = len(self._arrays["node_ids"])
        self._curved = np.array([g is not None for g in self._arrays["geometry"]], dtype=bool)
        self._profiles: dict[str, _ProfileGraph] = {}

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
            If the graph has no nodes or edges.
        """
        crs = settings.WORKING_CRS if crs is None else crs
        if len(G) == 0 or G.number_of_edges() == 0:
            msg = "The road graph has no nodes or no edges; rebuild it for the right area."
            raise NetworkError(msg)
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

    # -- per-profile graph -----------------------------------------------------------------

    def _profile(self, profile: str) -> _ProfileGraph:
        network.check_profile(profile)
        cached = self._profiles.get(profile)
        if cached is not None:
            return cached
        t0 = time.perf_counter()
        a = self._arrays
        n = self._n_nodes
        speeds = network.edge_speeds_kmh(a["highway"], a["maxspeed"], profile=profile)
        factor = settings.PEAK_HOUR_FACTOR if profile in ("ambulance", "car") else 1.0
        allowed = speeds > 0
        geom_idx = np.flatnonzero(allowed)
        u, v = a["u"][allowed], a["v"][allowed]
        length = a["length_m"][allowed]
        secs = np.maximum(length / (speeds[allowed] / 3.6) * factor, _MIN_EDGE_S)
        reverse = np.zeros(len(u), dtype=bool)
        if profile == "walk":
            # pedestrians may walk both ways along one-way streets
            ow = a["oneway"][allowed]
            u, v = np.concatenate([u, v[ow]]), np.concatenate([v, u[ow]])
            secs = np.concatenate([secs, secs[ow]])
            length = np.concatenate([length, length[ow]])
            geom_idx = np.concatenate([geom_idx, geom_idx[ow]])
            reverse = np.concatenate([reverse, np.ones(int(ow.sum()), dtype=bool)])
        # largest strongly connected component of this profile's graph
        adj = sp.csr_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        n_comp, labels = connected_components(adj, directed=True, connection="strong")
        used = np.zeros(n, dtype=bool)
        used[u] = True
        used[v] = True
        counts = np.bincount(labels[used], minlength=n_comp) if used.any() else np.zeros(n_comp)
        if not used.any():
            msg = (
                f"No road in the graph is open to profile {profile!r}; use another profile or a fuller graph."
            )
            raise NetworkError(msg)
        biggest = int(np.argmax(counts))
        keep_node = (labels == biggest) & used
        keep_edge = keep_node[u] & keep_node[v]
        dropped_nodes = int(used.sum() - keep_node.sum())
        logger.info(
            "Profile %s: kept %d of %d nodes (largest strongly connected component); dropped %d nodes "
            "and %d edges in %d smaller components; %d edges closed to this profile",
            profile,
            int(keep_node.sum()),
            n,
            dropped_nodes,
            int((~keep_edge).sum()),
            max(int(np.unique(labels[used]).size) - 1, 0),
            int((~allowed).sum()),
        )
        u, v, secs, length = u[keep_edge], v[keep_edge], secs[keep_edge], length[keep_edge]
        geom_idx, reverse = geom_idx[keep_edge], reverse[keep_edge]
        forward = _csr_min(u, v, secs, n)
        forward_m = _csr_min(u, v, np.maximum(length, _MIN_EDGE_S), n)
        backward = forward.T.tocsr()
        node_index = np.flatnonzero(keep_node)
        tree = cKDTree(np.column_stack([a["x"][node_index], a["y"][node_index]]))
        rev_s = _lookup(forward, v, u)
        rev_m = _lookup(forward_m, v, u)
        lines = self._edge_lines(u, v, geom_idx, reverse)
        pg = _ProfileGraph(
            forward,
            backward,
            forward_m,
            u,
            v,
            secs,
            geom_idx,
            reverse,
            node_index,
            tree,
            np.maximum(length, _MIN_EDGE_S),
            rev_s,
            rev_m,
            lines,
            shapely.STRtree(lines),
        )
        self._profiles[profile] = pg
        logger.info("Profile %s matrix built in %.3f s", profile, time.perf_counter() - t0)
        return pg

    def _edge_lines(
        self, u: np.ndarray, v: np.ndarray, geom_idx: np.ndarray, reverse: np.ndarray
    ) -> np.ndarray:
        """LineString of each profile edge, oriented u -> v (curved geometry where the graph has it)."""
        x, y = self._arrays["x"], self._arrays["y"]
        coords = np.stack([np.column_stack([x[u], y[u]]), np.column_stack([x[v], y[v]])], axis=1)
        lines = np.asarray(shapely.linestrings(coords), dtype=object)
        geoms = self._arrays["geometry"]
        for k in np.flatnonzero(self._curved[geom_idx]):
            line = geoms[geom_idx[k]]
            lines[k] = shapely.reverse(line) if reverse[k] else line
        return lines

    def _snap(self, pg: _ProfileGraph, xy: np.ndarray, name: str) -> _Snapped:
        """Where each point joins the profile's network; refuse points too far from it."""
        n = len(xy)
        if n == 0:
            empty = np.empty(0)
            return _Snapped(np.empty((0, 2), np.int64), empty, np.empty((0, 2)), empty, np.empty(0, np.int64))
        if self.snap_to == "node":
            dist, idx = pg.tree.query(xy, k=1, workers=-1)
            nodes = pg.node_index[idx].astype(np.int64)
            point_xy = np.column_stack([self._arrays["x"][nodes], self._arrays["y"][nodes]])
            snapped = _Snapped(np.column_stack([nodes, nodes]), dist, point_xy, np.zeros(n), np.full(n, -1))
        else:
            pts = shapely.points(xy)
            (_, edge), dist = pg.line_tree.query_nearest(pts, return_distance=True, all_matches=False)
            edge = edge.astype(np.int64)
            lines = pg.lines[edge]
            frac = np.clip(shapely.line_locate_point(lines, pts, normalized=True), 0.0, 1.0)
            point_xy = shapely.get_coordinates(shapely.line_interpolate_point(lines, frac, normalized=True))
            nodes = np.column_stack([pg.edge_u[edge], pg.edge_v[edge]]).astype(np.int64)
            snapped = _Snapped(nodes, np.asarray(dist, dtype=np.float64), point_xy, frac, edge)
        limit = settings.MAX_SNAP_DISTANCE_M
        far = snapped.dist_m > limit
        if far.any():
            i = int(np.flatnonzero(far)[0])
            msg = (
                f"{name} point {i} at ({xy[i, 0]:.0f}, {xy[i, 1]:.0f}) in {self.crs} is "
                f"{snapped.dist_m[i]:.0f} m from the nearest road, more than the allowed {limit:.0f} m "
                f"({int(far.sum())} point(s) in all). Check the coordinates and CRS, use a road graph that "
                "covers the area, or raise settings.MAX_SNAP_DISTANCE_M."
            )
            raise SnapError(msg)
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
            ``(join_xy, snap_distance_m)``: (n, 2) points where each point joins the network
            and the straight distance to it.

        Raises
        ------
        SnapError
            If a point is farther than ``settings.MAX_SNAP_DISTANCE_M`` from the network.
        """
        snapped = self._snap(self._profile(profile), _as_xy(points_xy, "points_xy"), "points_xy")
        return snapped.point_xy, snapped.dist_m

    @property
    def node_ids(self) -> list[Any]:
        """Graph node ids in the order used by :meth:`node_minutes`."""
        return list(self._arrays["node_ids"])

    @property
    def node_xy(self) -> np.ndarray:
        """(n_nodes, 2) node coordinates in ``self.crs``."""
        return np.column_stack([self._arrays["x"], self._arrays["y"]])

    @staticmethod
    def _augment(graph: sp.csr_matrix, nodes: np.ndarray, cost: np.ndarray) -> sp.csr_matrix:
        """*graph* plus one virtual node per source, joined to its edge's ends by *cost* (n, 2)."""
        n = graph.shape[0]
        k = len(nodes)
        cost = cost.copy()
        same = nodes[:, 0] == nodes[:, 1]
        cost[same, 0] = np.minimum(cost[same, 0], cost[same, 1])
        cost[same, 1] = np.inf
        ok = np.isfinite(cost)
        counts = ok.sum(axis=1)
        indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
        indices = np.concatenate([graph.indices, nodes[ok].astype(graph.indices.dtype)])
        # explicit zeros stay edges in a CSR built from its arrays, so a zero leg is exact
        data = np.concatenate([graph.data, cost[ok]])
        return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))

    def _multi_source(
        self, graph: sp.csr_matrix, nodes: np.ndarray, cost: np.ndarray, limit: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """One min-only Dijkstra from virtual source nodes: (cost of each node, its source index)."""
        n = graph.shape[0]
        k = len(nodes)
        aug = self._augment(graph, nodes, cost)
        dist, _, src = dijkstra(
            aug,
            directed=True,
            indices=np.arange(n, n + k),
            min_only=True,
            limit=limit,
            return_predecessors=True,
        )
        src = np.where(src >= n, src - n, -1).astype(np.int64)
        return dist[:n], src[:n]

    @staticmethod
    def _join(dist: np.ndarray, nodes: np.ndarray, cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Best of the two edge ends: value per point (last axis) and which end (0/1)."""
        both = np.stack([dist[..., nodes[:, 0]] + cost[:, 0], dist[..., nodes[:, 1]] + cost[:, 1]], axis=-1)
        end = np.argmin(both, axis=-1)
        return np.take_along_axis(both, end[..., None], axis=-1)[..., 0], end

    def _source_costs(
        self,
        pg: _ProfileGraph,
        sources: np.ndarray,
        *,
        metric: Literal["seconds", "metres"],
        direction: Direction,
        access_speed_ms: float,
    ) -> tuple[_Snapped, sp.csr_matrix, np.ndarray]:
        """Snap the sources: (their joins, the graph to search in *direction*, (n, 2) costs to the edge ends).

        A source's cost to each end of its edge includes its off-network leg at *access_speed_ms*.
        """
        s_snap = self._snap(pg, sources, "sources_xy")
        if metric == "metres":
            graph = pg.forward_m if direction == "from_sources" else pg.forward_m.T.tocsr()
        else:
            graph = pg.forward if direction == "from_sources" else pg.backward
        s_enter, s_exit = s_snap.costs(pg, metric)
        s_cost = (s_enter if direction == "from_sources" else s_exit) + (s_snap.dist_m / access_speed_ms)[
            :, None
        ]
        return s_snap, graph, s_cost

    def _source_runs(
        self, aug: sp.csr_matrix, n_sources: int, limit_s: float
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Dijkstra from the virtual source nodes of *aug* in memory-bounded chunks.

        Yields ``(rows, dist)``: source indices and their (len(rows), n_nodes + n_sources) seconds.
        """
        n = self._n_nodes
        chunk = max(1, settings.MATRIX_CHUNK_CELLS // (n + n_sources))
        for start in range(0, n_sources, chunk):
            rows = np.arange(start, min(start + chunk, n_sources))
            yield rows, np.atleast_2d(dijkstra(aug, directed=True, indices=n + rows, limit=limit_s))

    def _nearest(
        self,
        prepared: _ProfileGraph,
        profile: str,
        sources: np.ndarray,
        targets: np.ndarray,
        *,
        unit: Literal["minutes", "metres"],
        direction: Direction,
        cutoff: float,
    ) -> NearestResult:
        """One multi-source run: source access leg + network cost + target access leg.

        In minutes both legs are at ``settings.ACCESS_SPEED_KMH[profile]``; in metres they
        count as their length.
        """
        pg = prepared
        metric: Literal["seconds", "metres"] = "seconds" if unit == "minutes" else "metres"
        access_speed_ms = settings.ACCESS_SPEED_KMH[profile] / 3.6 if unit == "minutes" else 1.0
        per_unit = 60.0 if unit == "minutes" else 1.0
        cutoff = cutoff * per_unit
        t_snap = self._snap(pg, targets, "targets_xy")
        if len(sources) == 0 or len(targets) == 0:
            return NearestResult(
                np.full(len(targets), np.inf), np.full(len(targets), -1, np.int64), t_snap.dist_m
            )
        s_snap, graph, s_cost = self._source_costs(
            pg, sources, metric=metric, direction=direction, access_speed_ms=access_speed_ms
        )
        t_enter, t_exit = t_snap.costs(pg, metric)
        t_cost = t_exit if direction == "from_sources" else t_enter
        dist, src = self._multi_source(graph, s_snap.nodes, s_cost, cutoff)
        value, end = self._join(dist, t_snap.nodes, t_cost)
        value = value + t_snap.dist_m / access_speed_ms
        idx = src[t_snap.nodes[np.arange(len(targets)), end]]
        over = ~(value <= cutoff)
        value[over] = np.inf
        idx[over] = -1
        return NearestResult(value / per_unit, idx, t_snap.dist_m)

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
        _check_direction(direction)
        pg = self._profile(profile)
        cutoff = _check_cutoff(cutoff_minutes, "cutoff_minutes") * 60.0
        sources = _as_xy(sources_xy, "sources_xy")
        if len(sources) == 0:
            return np.full(self._n_nodes, np.inf), np.full(self._n_nodes, -1, np.int64)
        s_snap, graph, s_cost = self._source_costs(
            pg,
            sources,
            metric="seconds",
            direction=direction,
            access_speed_ms=settings.ACCESS_SPEED_KMH[profile] / 3.6,
        )
        dist, src = self._multi_source(graph, s_snap.nodes, s_cost, cutoff)
        src[~np.isfinite(dist)] = -1
        return dist / 60.0, src

    def _matrix_minutes(
        self,
        prepared: _ProfileGraph,
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
        t_snap = self._snap(prepared, targets, "targets_xy")
        s_snap, graph, s_cost = self._source_costs(
            prepared, sources, metric="seconds", direction=direction, access_speed_ms=access
        )
        t_enter, t_exit = t_snap.costs(prepared, "seconds")
        t_cost = t_exit if direction == "from_sources" else t_enter
        t_leg = t_snap.dist_m / access
        aug = self._augment(graph, s_snap.nodes, s_cost)
        t0 = time.perf_counter()
        for rows, dist in self._source_runs(aug, len(sources), cutoff_s):
            block, _ = self._join(dist, t_snap.nodes, t_cost)
            out[rows] = block + t_leg[None, :]
        out /= 60.0
        out[~(out <= cutoff_s / 60.0)] = np.inf
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

        Each shape is the union of the road parts reachable within the band (edges cut where
        the band ends, from node times) and the sources' access legs, widened by *buffer_m*.
        A place far from every reached road is outside even if reached roads surround it —
        these are not convex hulls.

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
            Half-width of the band around reached roads; ``None`` →
            ``settings.ISOCHRONE_BUFFER_M``.

        Returns
        -------
        geopandas.GeoDataFrame
            EPSG:4326 polygons, one row per source and band, columns ``source_id``,
            ``minutes``, ``network_source``.
        """
        pg, bands, sources, ids = self._isochrone_args(sources_xy, profile, minutes, direction, source_ids)
        width = settings.ISOCHRONE_BUFFER_M if buffer_m is None else float(buffer_m)
        if len(sources) == 0:
            return _empty_isochrones(settings.GEOGRAPHIC_CRS)
        t0 = time.perf_counter()
        access = settings.ACCESS_SPEED_KMH[profile] / 3.6
        s_snap, graph, s_cost = self._source_costs(
            pg, sources, metric="seconds", direction=direction, access_speed_ms=access
        )
        s_leg = s_snap.dist_m / access
        aug = self._augment(graph, s_snap.nodes, s_cost)
        n = self._n_nodes
        a = self._arrays
        x, y = a["x"], a["y"]
        records: list[dict[str, Any]] = []
        for rows, dist in self._source_runs(aug, len(sources), bands[-1] * 60.0):
            for row, i in enumerate(rows):
                node_s = dist[row, :n]
                for band in bands:
                    geom = self._reach_shape(
                        pg,
                        node_s,
                        band * 60.0,
                        direction,
                        sources[i],
                        s_snap.point_xy[i],
                        float(s_leg[i]),
                        int(s_snap.edge[i]),
                        float(s_snap.frac[i]),
                        x,
                        y,
                        width,
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

    def _reach_shape(
        self,
        pg: _ProfileGraph,
        node_s: np.ndarray,
        band_s: float,
        direction: Direction,
        source_xy: np.ndarray,
        join_xy: np.ndarray,
        leg_s: float,
        edge: int,
        edge_frac: float,
        x: np.ndarray,
        y: np.ndarray,
        width: float,
    ) -> shapely.Geometry:
        """Road parts within *band_s* seconds and the source's access leg, widened by *width* m."""
        u, v, w = pg.edge_u, pg.edge_v, pg.edge_s
        if direction == "from_sources":
            # along u -> v from u: covered fraction [0, f]
            tu = node_s[u]
            ok = tu < band_s
            f = np.clip((band_s - tu[ok]) / w[ok], 0.0, 1.0)
            lo, hi = np.zeros_like(f), f
        else:
            # travel u -> v ends at the source via v: covered fraction [1 - f, 1]
            tv = node_s[v]
            ok = tv < band_s
            f = np.clip((band_s - tv[ok]) / w[ok], 0.0, 1.0)
            lo, hi = 1.0 - f, np.ones_like(f)
        eu, ev, w_ok = u[ok], v[ok], w[ok]
        geom_idx, rev = pg.edge_geom[ok], pg.edge_reversed[ok]
        # a street reached whole from both ends is drawn once
        full = (lo <= 0.0) & (hi >= 1.0)
        keep = ~full
        if full.any():
            key = np.column_stack([np.minimum(eu, ev), np.maximum(eu, ev), np.round(w_ok * 1000.0)])[full]
            _, first = np.unique(key, axis=0, return_index=True)
            keep[np.flatnonzero(full)[first]] = True
        eu, ev, lo, hi, geom_idx, rev = eu[keep], ev[keep], lo[keep], hi[keep], geom_idx[keep], rev[keep]
        geoms_src = self._arrays["geometry"]
        curved = self._curved[geom_idx]
        parts: list[shapely.Geometry] = []
        # straight edges, vectorised
        s = ~curved
        x0, y0, x1, y1 = x[eu[s]], y[eu[s]], x[ev[s]], y[ev[s]]
        ax, ay = x0 + lo[s] * (x1 - x0), y0 + lo[s] * (y1 - y0)
        bx, by = x0 + hi[s] * (x1 - x0), y0 + hi[s] * (y1 - y0)
        coords = np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1)
        if len(coords):
            parts.extend(np.asarray(shapely.linestrings(coords), dtype=object).ravel().tolist())
        # curved edges: only their few partial ones need cutting
        for k in np.flatnonzero(curved):
            line = geoms_src[geom_idx[k]]
            if rev[k]:
                line = shapely.reverse(line)
            if lo[k] <= 0.0 and hi[k] >= 1.0:
                parts.append(line)
            else:
                parts.append(shapely.ops.substring(line, lo[k], hi[k], normalized=True))
        # the source's access leg to its road, cut at the band, and its own road from there
        px, py = float(source_xy[0]), float(source_xy[1])
        jx, jy = float(join_xy[0]), float(join_xy[1])
        if leg_s > 0 and (jx, jy) != (px, py):
            frac = min(1.0, band_s / leg_s)
            parts.append(shapely.linestrings([[px, py], [px + frac * (jx - px), py + frac * (jy - py)]]))
        if edge >= 0 and leg_s < band_s:
            rest = band_s - leg_s
            line = pg.lines[edge]
            ahead = min(1.0, edge_frac + rest / pg.edge_s[edge])
            if ahead > edge_frac:
                parts.append(shapely.ops.substring(line, edge_frac, ahead, normalized=True))
            if np.isfinite(pg.rev_s[edge]):
                behind = max(0.0, edge_frac - rest / pg.rev_s[edge])
                if behind < edge_frac:
                    parts.append(shapely.ops.substring(line, behind, edge_frac, normalized=True))
        parts.append(shapely.Point(px, py))
        # buffering each part and unioning is ~15x faster in GEOS than buffering one
        # MultiLineString of thousands of overlapping streets
        pieces = shapely.buffer(np.array(parts, dtype=object), width, quad_segs=4)
        return shapely.union_all(pieces)


def _csr_min(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """CSR matrix with the smallest weight of parallel edges (scipy would sum them)."""
    order = np.lexsort((w, v, u))
    u, v, w = u[order], v[order], w[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[first], v[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    return sp.csr_matrix((w, v.astype(np.int32), indptr.astype(np.int32)), shape=(n, n))


def load_travel_model(network_path: Path | None = None, *, crs: str | None = None) -> TravelModel:
    """Travel model for the app and CLI: the road graph if there is one, else the straight-line estimate.

    Parameters
    ----------
    network_path
        GraphML(.gz) road graph; used when given and present.
    crs
        Working CRS; ``None`` → ``settings.WORKING_CRS``.

    Returns
    -------
    TravelModel
        :class:`NetworkTravel` or :class:`StraightLineTravel`.

    Raises
    ------
    DataError
        If the file exists but is not a road graph.
    """
    if network_path is not None and Path(network_path).is_file():
        G = network.load_graphml(network_path)
        model = NetworkTravel.from_graph(G, crs=crs)
        logger.info("Travel model: road network from %s", network_path)
        return model
    if network_path is not None:
        logger.info("No road graph at %s: travel is a straight-line estimate", network_path)
    else:
        logger.info("No road graph given: travel is a straight-line estimate")
    return StraightLineTravel(crs=crs)
