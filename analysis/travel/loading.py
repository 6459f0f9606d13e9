"""The travel model of the app and CLI: the road graph when there is one, else the straight-line estimate."""

# A road graph is `G`, as in osmnx and networkx.
# ruff: noqa: N806

from __future__ import annotations

import logging
from pathlib import Path

from analysis import network
from analysis.travel.engine import NetworkTravel
from analysis.travel.model import TravelModel
from analysis.travel.straight_line import StraightLineTravel

logger = logging.getLogger(__name__)


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
