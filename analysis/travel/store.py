"""The prepared network store: what the engine needs per profile, saved next to the road graph.

Parsing a county's GraphML and projecting it takes most of a cold start; the store keeps the
result instead — node coordinates in the working CRS, edge geometry, and per profile the CSR
arrays, the kept edges and the roads points join — in one ``.npz`` file (no pickles). It is
keyed by a hash of the source file and of every setting the arrays depend on (speeds, access
rules, peak factor, CRS, format), so a changed graph or speed table rebuilds it; a store that
cannot be read is never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import shapely

from analysis import settings
from analysis.errors import NetworkError
from analysis.travel.profile_graph import ProfileGraph, Topology, compact_index

logger = logging.getLogger(__name__)

#: Bumped whenever the layout of the store changes (2: int32 indices, identical arrays stored once).
STORE_FORMAT = 2
_STORE_SUFFIX = ".prepared.npz"

_TOPOLOGY_ARRAYS = (
    "edge_u",
    "edge_v",
    "edge_geom",
    "edge_reversed",
    "node_index",
    "edge_road",
    "edge_forward",
    "road_u",
    "road_v",
    "road_first",
    "road_coords",
    "road_offsets",
)
_WEIGHT_ARRAYS = ("edge_s", "road_fwd_s", "road_back_s", "road_fwd_m", "road_back_m")


def store_path(graph_path: Path | str) -> Path:
    """Where the store of a road graph lives: next to it, ``<graph file>.prepared.npz``.

    Parameters
    ----------
    graph_path
        The road graph file.

    Returns
    -------
    pathlib.Path
        The store's path.
    """
    graph_path = Path(graph_path)
    return graph_path.with_name(graph_path.name + _STORE_SUFFIX)


def file_sha256(path: Path | str) -> str:
    """SHA-256 of a file's bytes, read in blocks.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    str
        Hex digest.
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def store_key(source_sha256: str, *, crs: str) -> str:
    """The key of a store: the source file's hash and every setting the prepared arrays depend on.

    Parameters
    ----------
    source_sha256
        Hash of the road graph file.
    crs
        Working CRS of the arrays.

    Returns
    -------
    str
        Hex digest.
    """
    depends = {
        "format": STORE_FORMAT,
        "source": source_sha256,
        "crs": crs,
        "profiles": list(settings.PROFILES),
        "speeds": settings.SPEED_KMH_BY_HIGHWAY,
        "default_speeds": settings.DEFAULT_SPEED_KMH,
        "vehicles": list(settings.VEHICLE_PROFILES),
        "maxspeed_cap": settings.MAXSPEED_CAP_KMH,
        "ambulance_factor": settings.AMBULANCE_MAXSPEED_FACTOR,
        "peak": settings.PEAK_HOUR_FACTOR,
    }
    return hashlib.sha256(json.dumps(depends, sort_keys=True).encode("utf-8")).hexdigest()


def _csr_parts(prefix: str, m: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {f"{prefix}_data": m.data, f"{prefix}_indices": m.indices, f"{prefix}_indptr": m.indptr}


def _csr(z: Any, prefix: str, n: int, built: dict[tuple[int, ...], sp.csr_matrix]) -> sp.csr_matrix:
    """The CSR matrix of three stored arrays; arrays read as one give one matrix."""
    parts = (z[f"{prefix}_data"], z[f"{prefix}_indices"], z[f"{prefix}_indptr"])
    key = tuple(id(a) for a in parts)
    if key not in built:
        if len(parts[2]) != n + 1 or (len(parts[1]) and (parts[1].min() < 0 or parts[1].max() >= n)):
            msg = f"{prefix} is not a matrix over the nodes"
            raise ValueError(msg)
        built[key] = sp.csr_matrix(parts, shape=(n, n))
    return built[key]


def _write_once(out: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Index arrays as int32 where they fit, and each distinct array once.

    Returns the arrays to write and, for every array left out, the name of the equal one written.
    """
    written: dict[bytes, str] = {}
    kept: dict[str, np.ndarray] = {}
    same_as: dict[str, str] = {}
    for name, value in out.items():
        a = compact_index(value) if name != "node_ids" and value.ndim == 1 else value
        digest = hashlib.blake2b(
            f"{a.dtype.str}{a.shape}".encode() + np.ascontiguousarray(a).tobytes(), digest_size=20
        ).digest()
        if name != "meta" and digest in written:
            same_as[name] = written[digest]
            continue
        written.setdefault(digest, name)
        kept[name] = a
    return kept, same_as


def write_store(
    path: Path | str,
    *,
    key: str,
    arrays: dict[str, Any],
    curved: np.ndarray,
    profiles: dict[str, ProfileGraph],
    unusable: dict[str, str],
    crs: str,
    network_source: str,
) -> Path:
    """Write the prepared arrays of an engine to *path* (atomically: a temporary file, then renamed).

    Parameters
    ----------
    path
        Target ``.npz`` file.
    key
        :func:`store_key` of the source and settings.
    arrays
        The engine's graph arrays (node ids, coordinates, edge geometry).
    curved
        Per graph edge: whether it has its own geometry.
    profiles
        Prepared profile graphs, by profile name.
    unusable
        Profiles the graph cannot serve, with the reason.
    crs
        Working CRS of the coordinates.
    network_source
        Label of the network.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    node_ids = arrays["node_ids"]
    ids = np.asarray(node_ids)
    if ids.dtype.kind not in "iu":
        ids = np.asarray([str(n) for n in node_ids], dtype=str)
    geoms = arrays["geometry"]
    curved_idx = np.flatnonzero(np.asarray(curved, dtype=bool)).astype(np.int64)
    coords, offsets = np.empty((0, 2)), np.zeros(1, dtype=np.int64)
    if len(curved_idx):
        coords, which = shapely.get_coordinates(
            np.array([geoms[i] for i in curved_idx], dtype=object), return_index=True
        )
        offsets = np.concatenate([[0], np.cumsum(np.bincount(which, minlength=len(curved_idx)))]).astype(
            np.int64
        )
    out: dict[str, np.ndarray] = {
        "meta": np.array(
            json.dumps(
                {
                    "format": STORE_FORMAT,
                    "key": key,
                    "crs": crs,
                    "network_source": network_source,
                    "n_edges": len(geoms),
                    "node_ids_are_text": ids.dtype.kind == "U",
                    "profiles": list(profiles),
                    "unusable": unusable,
                }
            )
        ),
        "node_ids": ids,
        "x": arrays["x"],
        "y": arrays["y"],
        "curved_index": curved_idx,
        "curved_coords": coords,
        "curved_offsets": offsets,
    }
    topo_index: dict[int, int] = {}
    for name, pg in profiles.items():
        if id(pg.topology) not in topo_index:
            t = topo_index[id(pg.topology)] = len(topo_index)
            for field in _TOPOLOGY_ARRAYS:
                out[f"topology{t}_{field}"] = getattr(pg.topology, field)
        out[f"{name}_topology"] = np.array(topo_index[id(pg.topology)])
        for field in _WEIGHT_ARRAYS:
            out[f"{name}_{field}"] = getattr(pg, field)
        out.update(_csr_parts(f"{name}_forward", pg.forward))
        out.update(_csr_parts(f"{name}_forward_m", pg.forward_m))
    out, same_as = _write_once(out)
    meta = json.loads(str(out["meta"]))
    meta["same_as"] = same_as
    out["meta"] = np.array(json.dumps(meta))
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tmp.open("wb") as fh:
        np.savez(fh, allow_pickle=False, **out)  # type: ignore[arg-type]
    os.replace(tmp, path)
    logger.info("Wrote prepared network store %s (%.1f MB)", path, path.stat().st_size / 1e6)
    return path


def read_store(path: Path | str, *, key: str) -> dict[str, Any] | None:
    """Read a store written by :func:`write_store`, if it matches *key*.

    Parameters
    ----------
    path
        The ``.npz`` file.
    key
        The expected :func:`store_key`.

    Returns
    -------
    dict or None
        ``arrays`` (node ids, x, y, geometry), ``curved``, ``profiles`` (name → ProfileGraph),
        ``unusable`` (name → reason), ``crs`` and ``network_source``; ``None`` when the store
        was made from another source or other settings (it should be rebuilt).

    Raises
    ------
    NetworkError
        If the file is damaged or incomplete (it must not be used).
    """
    path = Path(path)
    t0 = time.perf_counter()
    try:
        with path.open("rb") as fh, np.load(fh, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != STORE_FORMAT or meta.get("key") != key:
                return None
            data = {name: z[name] for name in z.files}
            for name, original in dict(meta.get("same_as", {})).items():
                data[name] = data[original]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        msg = (
            f"The prepared network store {path} is damaged or incomplete ({exc}); it is not used. "
            "Delete it and it is rebuilt from the road graph."
        )
        raise NetworkError(msg) from exc
    try:
        result = _assemble(data, meta)
    except (KeyError, ValueError, IndexError, TypeError) as exc:
        msg = (
            f"The prepared network store {path} is inconsistent ({exc!r}); it is not used. "
            "Delete it and it is rebuilt from the road graph."
        )
        raise NetworkError(msg) from exc
    logger.info("Read prepared network store %s in %.2f s", path, time.perf_counter() - t0)
    return result


class LazyGeometry:
    """Edge geometries (LineString or None) rebuilt from flat coordinates on first use."""

    def __init__(self, n_edges: int, index: np.ndarray, coords: np.ndarray, offsets: np.ndarray) -> None:
        self._n = n_edges
        self._index, self._coords, self._offsets = index, coords, offsets
        self._built: np.ndarray | None = None

    def _all(self) -> np.ndarray:
        if self._built is None:
            built = np.full(self._n, None, dtype=object)
            if len(self._index):
                which = np.repeat(np.arange(len(self._index)), np.diff(self._offsets))
                built[self._index] = shapely.linestrings(self._coords, indices=which)
            self._built = built
        return self._built

    def __getitem__(self, i: Any) -> Any:
        return self._all()[i]

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Any:
        return iter(self._all())


def _assemble(data: dict[str, np.ndarray], meta: dict[str, Any]) -> dict[str, Any]:
    x, y = data["x"].astype(np.float64, copy=False), data["y"].astype(np.float64, copy=False)
    n = len(x)
    node_ids = data["node_ids"].tolist()
    if len(node_ids) != n or len(y) != n:
        msg = "node arrays of different lengths"
        raise ValueError(msg)
    n_edges = int(meta["n_edges"])
    curved_idx = data["curved_index"]
    curved = np.zeros(n_edges, dtype=bool)
    curved[curved_idx] = True
    geometry = LazyGeometry(n_edges, curved_idx, data["curved_coords"], data["curved_offsets"])
    arrays: dict[str, Any] = {"node_ids": node_ids, "x": x, "y": y, "geometry": geometry}
    topologies: dict[int, Topology] = {}
    profiles: dict[str, ProfileGraph] = {}
    matrices: dict[tuple[int, ...], sp.csr_matrix] = {}
    backward: dict[int, sp.csr_matrix] = {}
    for name in meta["profiles"]:
        t = int(data[f"{name}_topology"])
        if t not in topologies:
            f = {field: data[f"topology{t}_{field}"] for field in _TOPOLOGY_ARRAYS}
            for field in ("edge_u", "edge_v", "node_index", "road_u", "road_v"):
                if len(f[field]) and (f[field].min() < 0 or f[field].max() >= n):
                    msg = f"{field} points outside the nodes"
                    raise ValueError(msg)
            offsets = f["road_offsets"]
            if len(offsets) != len(f["road_u"]) + 1 or offsets[-1] != len(f["road_coords"]):
                msg = "road coordinates do not match the roads"
                raise ValueError(msg)
            topologies[t] = Topology(node_x=x, node_y=y, **f)
        forward = _csr(data, f"{name}_forward", n, matrices)
        if id(forward) not in backward:
            backward[id(forward)] = forward.T.tocsr()
        profiles[name] = ProfileGraph(
            topology=topologies[t],
            forward=forward,
            backward=backward[id(forward)],
            forward_m=_csr(data, f"{name}_forward_m", n, matrices),
            **{field: data[f"{name}_{field}"] for field in _WEIGHT_ARRAYS},
        )
    return {
        "arrays": arrays,
        "curved": curved,
        "profiles": profiles,
        "unusable": dict(meta.get("unusable", {})),
        "crs": meta["crs"],
        "network_source": meta["network_source"],
    }
