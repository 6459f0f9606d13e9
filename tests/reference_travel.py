"""An independent reference for travel times between points off the graph's nodes.

It shares no code with ``analysis.travel``: it inserts every point into the graph as a node
by splitting its road there, then runs ``networkx`` Dijkstra. Its rules, written from the
engine's documentation:

- a profile uses the edges its speed table opens (walkers also go against one-way edges),
  in the largest strongly connected part of that graph;
- a point joins the nearest road line at the foot of the perpendicular (edges along the same
  line, either way, are one road); its access leg is walked or driven at the access speed;
  points farther than the snap limit are unreached;
- an edge's cost is spread along its line in proportion to length along the line.
"""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N803, N806

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from typing import Any

import networkx as nx
import numpy as np

from analysis import settings

Coords = tuple[tuple[float, float], ...]


def _coords(G: nx.MultiDiGraph, u: Any, v: Any, data: dict[str, Any]) -> Coords:
    geom = data.get("geometry")
    if geom is not None:
        return tuple((float(a), float(b)) for a, b in geom.coords)
    return ((G.nodes[u]["x"], G.nodes[u]["y"]), (G.nodes[v]["x"], G.nodes[v]["y"]))


def _speed_kmh(highway: str, maxspeed: Any, profile: str) -> float:
    """Class speed from the table; a plain km/h ``maxspeed`` as the settings document it."""
    cls = highway[: -len("_link")] if highway.endswith("_link") else highway
    speed = settings.SPEED_KMH_BY_HIGHWAY[cls][profile]
    if maxspeed is None or speed <= 0 or profile == "walk":
        return speed
    tagged = float(maxspeed)  # the fixtures here carry plain numbers only
    if profile == "car":
        return min(tagged, settings.MAXSPEED_CAP_KMH["car"])
    if profile == "ambulance":
        return min(tagged * settings.AMBULANCE_MAXSPEED_FACTOR, settings.MAXSPEED_CAP_KMH["ambulance"])
    return min(speed, tagged)


def _profile_edges(
    G: nx.MultiDiGraph, profile: str, metric: str
) -> tuple[list[tuple[Any, Any, float, Coords]], bool]:
    """(u, v, cost, line) of the edges the profile may use, in the largest strongly connected part.

    Also whether that part is tied in size with another (then "the largest" is ambiguous).
    """
    out: list[tuple[Any, Any, float, Coords]] = []
    for u, v, data in G.edges(data=True):
        speed = _speed_kmh(str(data["highway"]), data.get("maxspeed"), profile)
        if speed <= 0:
            continue
        line = _coords(G, u, v, data)
        length = float(data["length"])
        cost = length if metric == "metres" else length / (speed / 3.6)
        out.append((u, v, cost, line))
        oneway = data.get("oneway", False)
        if profile == "walk" and (oneway is True or str(oneway).lower() == "true"):
            out.append((v, u, cost, tuple(reversed(line))))
    D = nx.DiGraph()
    D.add_edges_from((u, v) for u, v, _, _ in out)
    if len(D) == 0:
        return [], False
    parts = sorted(nx.strongly_connected_components(D), key=len, reverse=True)
    biggest = parts[0]
    tied = len(parts) > 1 and len(parts[1]) == len(biggest)
    return [e for e in out if e[0] in biggest and e[1] in biggest], tied


def _cumulative(line: Coords) -> list[float]:
    acc = [0.0]
    for (x0, y0), (x1, y1) in itertools.pairwise(line):
        acc.append(acc[-1] + math.hypot(x1 - x0, y1 - y0))
    return acc


def _project(line: Coords, px: float, py: float) -> list[tuple[float, float, float, float]]:
    """(distance, fraction along the line, foot x, foot y) on each segment of *line*, nearest first."""
    acc = _cumulative(line)
    total = acc[-1]
    out = []
    for i, ((x0, y0), (x1, y1)) in enumerate(itertools.pairwise(line)):
        dx, dy = x1 - x0, y1 - y0
        seg2 = dx * dx + dy * dy
        s = 0.0 if seg2 == 0 else min(1.0, max(0.0, ((px - x0) * dx + (py - y0) * dy) / seg2))
        fx, fy = x0 + s * dx, y0 + s * dy
        along = acc[i] + s * math.sqrt(seg2)
        out.append((math.hypot(px - fx, py - fy), along / total if total > 0 else 0.0, fx, fy))
    return sorted(out)


def _at_end(frac: float) -> bool:
    return frac <= 1e-12 or frac >= 1.0 - 1e-12


class Reference:
    """Travel times between points by splitting roads and running networkx Dijkstra.

    Parameters
    ----------
    G
        Projected road graph (``x``/``y`` in metres) with ``highway``, ``length``, ``oneway``.
    profile
        Travel profile.
    metric
        ``"minutes"`` or ``"metres"``.
    """

    def __init__(self, G: nx.MultiDiGraph, profile: str, metric: str = "minutes") -> None:
        self.metric = metric
        self.edges, self.tied_components = _profile_edges(
            G, profile, "metres" if metric == "metres" else "seconds"
        )
        self.access = 1.0 if metric == "metres" else settings.ACCESS_SPEED_KMH[profile] / 3.6
        # roads: one line per set of edges along it, either way
        self.roads: dict[Coords, list[int]] = defaultdict(list)
        for i, (_, _, _, line) in enumerate(self.edges):
            key = min(line, tuple(reversed(line)))
            self.roads[key].append(i)

    def joins(self, points: np.ndarray) -> list[tuple[float, Coords, float, tuple[float, float], float]]:
        """Per point: (distance, road, fraction, foot, gap to the next nearest road with another foot)."""
        out = []
        for px, py in points:
            # every segment's foot, of every road: the nearest is the join
            found = sorted(
                (foot, road) for road in self.roads for foot in _project(road, float(px), float(py))
            )
            (d, frac, fx, fy), road = found[0]
            gap = math.inf
            at_node = _at_end(frac)
            for (d2, f2, gx, gy), road2 in found[1:]:
                same_place = math.hypot(gx - fx, gy - fy) <= 1e-9
                # the same foot on this road (a vertex), or another road's end at the same node,
                # is the same join; any other foot as near is a tie (so is a line over itself)
                if same_place and ((road2 == road and abs(f2 - frac) <= 1e-12) or (at_node and _at_end(f2))):
                    continue
                gap = d2 - d
                break
            out.append((d, road, frac, (fx, fy), gap))
        return out

    def ambiguous(self, points: np.ndarray, tolerance_m: float = 1e-6) -> bool:
        """Whether the largest part is tied, or a point is (nearly) as near two roads joining it apart."""
        return self.tied_components or any(j[4] < tolerance_m for j in self.joins(points))

    def _split_graph(self, joins: list[Any]) -> nx.MultiDiGraph:
        """The profile graph with every joined point inserted as a node ("p", i) on its road."""
        H = nx.MultiDiGraph()
        on_road: dict[Coords, list[tuple[float, int]]] = defaultdict(list)
        for i, (d, road, frac, _, _) in enumerate(joins):
            if d <= settings.MAX_SNAP_DISTANCE_M:
                on_road[road].append((frac, i))
        for u, v, cost, line in self.edges:
            key = min(line, tuple(reversed(line)))
            pts = on_road.get(key, [])
            if not pts:
                H.add_edge(u, v, w=cost)
                continue
            forward = line == key
            # positions along this edge's own direction
            along = sorted((f if forward else 1.0 - f, i_pt) for f, i_pt in pts)
            prev_node, prev_pos = u, 0.0
            for pos, i_pt in along:
                H.add_edge(prev_node, ("p", i_pt), w=(pos - prev_pos) * cost)
                prev_node, prev_pos = ("p", i_pt), pos
                # a point whose foot is an end of the road is at that node, whatever the one-way rule
                if _at_end(pos):
                    end = u if pos < 0.5 else v
                    H.add_edge(end, ("p", i_pt), w=0.0)
                    H.add_edge(("p", i_pt), end, w=0.0)
            H.add_edge(prev_node, v, w=(1.0 - prev_pos) * cost)
        # points joined at the same place of a road are at one place, both ways
        for pts in on_road.values():
            ordered = sorted(pts)
            for (f0, i0), (f1, i1) in itertools.pairwise(ordered):
                if f1 - f0 <= 1e-12:
                    H.add_edge(("p", i0), ("p", i1), w=0.0)
                    H.add_edge(("p", i1), ("p", i0), w=0.0)
        return H

    def matrix(self, sources: np.ndarray, targets: np.ndarray, *, from_sources: bool = True) -> np.ndarray:
        """(n_sources, n_targets) cost: minutes (or metres), legs included, ``inf`` unreached."""
        points = np.concatenate([sources, targets])
        joins = self.joins(points)
        H = self._split_graph(joins)
        if not from_sources:
            H = H.reverse(copy=True)
        ns = len(sources)
        out = np.full((ns, len(targets)), np.inf)
        per = 1.0 if self.metric == "metres" else 60.0
        for s in range(ns):
            if joins[s][0] > settings.MAX_SNAP_DISTANCE_M:
                continue
            lengths = nx.single_source_dijkstra_path_length(H, ("p", s), weight="w")
            for t in range(len(targets)):
                jt = joins[ns + t]
                if jt[0] > settings.MAX_SNAP_DISTANCE_M or ("p", ns + t) not in lengths:
                    continue
                net = lengths[("p", ns + t)]
                out[s, t] = (joins[s][0] / self.access + net + jt[0] / self.access) / per
        return out
