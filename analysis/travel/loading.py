"""The travel model of the app and CLI: the road graph when there is one, else the straight-line estimate."""

# A road graph is `G`, as in osmnx and networkx.

from __future__ import annotations

import logging
import time
from pathlib import Path

from analysis import network, settings
from analysis.errors import HealthcircleError, NetworkError
from analysis.network.graphml_stream import UnsupportedGraphMLError, graphml_arrays
from analysis.travel import store
from analysis.travel.engine import NetworkTravel
from analysis.travel.model import TravelModel
from analysis.travel.straight_line import StraightLineTravel

logger = logging.getLogger(__name__)


def load_network_travel(
    network_path: Path | str, *, crs: str | None = None, use_store: bool = True, index_roads: bool = True
) -> NetworkTravel:
    """The road engine of a GraphML road graph, from its prepared store when that is current.

    With *index_roads* the nearest-road index of every profile is built here
    (:meth:`NetworkTravel.prepare_snapping`), so that the first question pays no more than the next.

    Parameters
    ----------
    network_path
        GraphML(.gz) road graph.
    crs
        Working CRS; ``None`` → ``settings.WORKING_CRS``.
    use_store
        Read the prepared store next to the graph (:func:`analysis.travel.store.store_path`)
        when its key matches the graph file and the speed settings, and write a new one
        otherwise (a folder that cannot be written is logged, not fatal). A damaged store is
        never used: the graph is read again and the store rewritten.
    index_roads
        Build the nearest-road indices now (else at each road topology's first snap).

    Returns
    -------
    NetworkTravel
        The engine with every profile prepared.

    Raises
    ------
    DataError
        If the file is not a road graph.
    """
    model = _load(Path(network_path), crs=settings.WORKING_CRS if crs is None else crs, use_store=use_store)
    if index_roads:
        t0 = time.perf_counter()
        model.prepare_snapping()
        logger.info("Nearest-road indices built (%.2f s)", time.perf_counter() - t0)
    return model


def _load(network_path: Path, *, crs: str, use_store: bool) -> NetworkTravel:
    """The engine from the prepared store when it is current, else from the graph (writing the store)."""
    t0 = time.perf_counter()
    key = store.store_key(store.file_sha256(network_path), crs=crs) if use_store else ""
    target = store.store_path(network_path)
    if use_store and target.is_file():
        try:
            prepared = store.read_store(target, key=key)
        except NetworkError as exc:
            logger.warning("%s Rebuilding it.", exc)
            prepared = None
        else:
            if prepared is None:
                logger.info(
                    "Prepared store %s is from another graph or other settings: rebuilding it", target
                )
        if prepared is not None:
            model = NetworkTravel.from_prepared(prepared)
            logger.info(
                "Travel model: road network from %s (prepared store, %.2f s)",
                network_path,
                time.perf_counter() - t0,
            )
            return model
    model = _engine_from_graphml(network_path, crs=crs)
    profiles, unusable = model.prepare_all()
    model.release_graph_attributes()
    if use_store:
        try:
            store.write_store(
                target,
                key=key,
                arrays=model._arrays,
                curved=model._curved,
                profiles=profiles,
                unusable=unusable,
                crs=model.crs,
                network_source=model.network_source,
            )
        except OSError as exc:
            logger.warning("Could not write the prepared network store %s: %s", target, exc)
    logger.info("Travel model: road network from %s (%.2f s)", network_path, time.perf_counter() - t0)
    return model


def _copy_graphml(source: Path, target: Path) -> None:
    """Copy a GraphML file, gzipping or unzipping it as the two names say (``.gz`` or not)."""
    import gzip
    import shutil

    opener_in = gzip.open if source.suffix == ".gz" else open
    opener_out = gzip.open if target.suffix == ".gz" else open
    if source.suffix == target.suffix:
        shutil.copyfile(source, target)
        return
    with opener_in(source, "rb") as src, opener_out(target, "wb") as dst:
        shutil.copyfileobj(src, dst, length=1 << 20)


def import_graphml(source: Path | str, target: Path | str, *, crs: str | None = None) -> NetworkTravel:
    """Put a GraphML road graph at *target* with its prepared store, replacing what is there only on success.

    The file is copied (gzipped or unzipped as the names say) beside *target* under a temporary
    name, read (streamed, :mod:`analysis.network.graphml_stream`) and prepared there; only then
    do the graph and its store take *target*'s place. A file that is not a road graph leaves
    *target* and its store as they were.

    Parameters
    ----------
    source
        GraphML(.gz) road graph.
    target
        Where the county keeps its graph (``.graphml`` or ``.graphml.gz``).
    crs
        Working CRS; ``None`` → ``settings.WORKING_CRS``.

    Returns
    -------
    NetworkTravel
        The engine of the imported graph.

    Raises
    ------
    DataError, NetworkError
        The file is not a usable road graph (*target* untouched).
    """
    source, target = Path(source), Path(target)
    if source.resolve() == target.resolve():
        return load_network_travel(target, crs=crs, index_roads=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".importing-{target.name}")
    try:
        _copy_graphml(source, staging)
        try:
            model = load_network_travel(staging, crs=crs, index_roads=False)
        except HealthcircleError as exc:
            # the message names the file the planner gave, not the temporary copy
            raise type(exc)(str(exc).replace(str(staging), str(source))) from None
        staged_store = store.store_path(staging)
        staging.replace(target)
        if staged_store.is_file():
            staged_store.replace(store.store_path(target))
        else:
            store.store_path(target).unlink(missing_ok=True)
    finally:
        staging.unlink(missing_ok=True)
        store.store_path(staging).unlink(missing_ok=True)
    return model


def _engine_from_graphml(path: Path, *, crs: str) -> NetworkTravel:
    """The engine of a GraphML file, streamed into arrays (no networkx graph) unless it needs networkx."""
    try:
        arrays, graph_attrs = graphml_arrays(path, crs=crs)
    except UnsupportedGraphMLError as why:
        logger.info("Road graph %s has %s: reading it with networkx", path, why)
        return NetworkTravel.from_graph(network.load_graphml(path), crs=crs)
    return NetworkTravel.from_arrays(arrays, graph_attrs=graph_attrs, crs=crs)


def load_travel_model(
    network_path: Path | None = None, *, crs: str | None = None, use_store: bool = True
) -> TravelModel:
    """Travel model for the app and CLI: the road graph if there is one, else the straight-line estimate.

    Parameters
    ----------
    network_path
        GraphML(.gz) road graph; used when given and present.
    crs
        Working CRS; ``None`` → ``settings.WORKING_CRS``.
    use_store
        Use and keep the prepared store next to the graph (see :func:`load_network_travel`).

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
        return load_network_travel(network_path, crs=crs, use_store=use_store)
    if network_path is not None:
        logger.info("No road graph at %s: travel is a straight-line estimate", network_path)
    else:
        logger.info("No road graph given: travel is a straight-line estimate")
    return StraightLineTravel(crs=crs)
