"""Travel-time engine: nearest-facility times, time matrices and isochrones.

Two models share one interface (:class:`TravelModel`):

- :class:`NetworkTravel` (:mod:`~analysis.travel.engine`) runs shortest paths on the road
  graph of each profile (:mod:`~analysis.travel.profile_graph`); points join their nearest
  road (:mod:`~analysis.travel.snapping`); queries (:mod:`~analysis.travel.queries`) and
  isochrone shapes (:mod:`~analysis.travel.isochrone_shapes`, widened around the reached roads
  by :mod:`~analysis.travel.road_band`) build on them.
- :class:`StraightLineTravel` (:mod:`~analysis.travel.straight_line`) estimates travel as
  straight-line distance × ``settings.CIRCUITY_FACTOR`` when no road graph is available; its
  results say so (``network_source``).
"""

from analysis.travel.engine import NetworkTravel
from analysis.travel.loading import load_travel_model
from analysis.travel.model import Direction, NearestResult, TravelModel
from analysis.travel.straight_line import StraightLineTravel

__all__ = [
    "Direction",
    "NearestResult",
    "NetworkTravel",
    "StraightLineTravel",
    "TravelModel",
    "load_travel_model",
]
