"""Library defaults, each with a one-line reason.

Functions read these when called (a ``None`` argument means "use the setting"), so a caller
may change a module variable at run time, as in osmnx.settings. Nothing here reads the
environment; the web app passes its own values explicitly.
"""

from __future__ import annotations

from typing import Final

# --- coordinate reference systems -----------------------------------------------------------
#: Geographic CRS of every input and output the user sees (GeoJSON speaks WGS-84).
GEOGRAPHIC_CRS: Final = "EPSG:4326"
#: Projected CRS for distances and areas: UTM zone 50N covers Jinjiang (118.4-118.8 E).
WORKING_CRS: str = "EPSG:32650"

# --- travel profiles ------------------------------------------------------------------------
#: The travel profiles the engine knows. ``ambulance`` and ``car`` drive, ``ebike`` rides
#: (e-bikes are the most common way to reach a clinic in Fujian towns), ``walk`` walks.
PROFILES: Final = ("ambulance", "car", "ebike", "walk")

#: Free-flow speed in km/h per OSM highway class and profile. Car values follow typical
#: Chinese urban design speeds (GB 50220 / CJJ 37: expressway 60-100, arterial 40-60,
#: collector 30-50, local 20-40), taken near the low end for mixed traffic; ambulances are
#: allowed to exceed them modestly (+15-20%) under lights and sirens; e-bikes are capped at
#: 25 km/h by GB 17761-2018 and ride at ~18 km/h in practice; walking at 4.5 km/h, the
#: usual planning pace for mixed ages.
SPEED_KMH_BY_HIGHWAY: dict[str, dict[str, float]] = {
    "motorway": {"ambulance": 90.0, "car": 80.0, "ebike": 0.0, "walk": 0.0},
    "trunk": {"ambulance": 70.0, "car": 60.0, "ebike": 18.0, "walk": 4.5},
    "primary": {"ambulance": 55.0, "car": 45.0, "ebike": 18.0, "walk": 4.5},
    "secondary": {"ambulance": 45.0, "car": 40.0, "ebike": 18.0, "walk": 4.5},
    "tertiary": {"ambulance": 40.0, "car": 35.0, "ebike": 18.0, "walk": 4.5},
    "unclassified": {"ambulance": 30.0, "car": 30.0, "ebike": 16.0, "walk": 4.5},
    "residential": {"ambulance": 25.0, "car": 25.0, "ebike": 15.0, "walk": 4.5},
    "living_street": {"ambulance": 15.0, "car": 10.0, "ebike": 10.0, "walk": 4.5},
    "service": {"ambulance": 15.0, "car": 15.0, "ebike": 12.0, "walk": 4.5},
    "track": {"ambulance": 15.0, "car": 15.0, "ebike": 10.0, "walk": 4.0},
    "road": {"ambulance": 25.0, "car": 25.0, "ebike": 15.0, "walk": 4.5},
    "cycleway": {"ambulance": 0.0, "car": 0.0, "ebike": 18.0, "walk": 4.5},
    "footway": {"ambulance": 0.0, "car": 0.0, "ebike": 0.0, "walk": 4.5},
    "path": {"ambulance": 0.0, "car": 0.0, "ebike": 10.0, "walk": 4.5},
    "pedestrian": {"ambulance": 0.0, "car": 0.0, "ebike": 0.0, "walk": 4.5},
    "steps": {"ambulance": 0.0, "car": 0.0, "ebike": 0.0, "walk": 2.5},
}
#: Speed for highway classes not listed above (``trail``, ``corridor``, ``busway``, ...;
#: ``*_link`` classes use their parent). Vehicles use such a way only where it carries a
#: ``maxspeed`` tag (a limit says vehicles drive there); walkers use any of them.
DEFAULT_SPEED_KMH: dict[str, float] = {"ambulance": 25.0, "car": 25.0, "ebike": 15.0, "walk": 4.5}
#: Profiles that drive or ride a vehicle: unknown highway classes are closed to them unless tagged.
VEHICLE_PROFILES: Final = ("ambulance", "car", "ebike")

#: Multiplier on free-flow driving times at peak hour (1.0 = free flow). Chinese city
#: congestion indices put weekday peak travel at ~1.3-1.6x free flow; 1.0 is the default so
#: that results are reproducible free-flow figures unless a peak scenario is asked for.
PEAK_HOUR_FACTOR: float = 1.0

#: Speed (km/h) on the off-network leg from a point to its nearest road node: people walk
#: or push to the road; vehicles creep along driveways.
ACCESS_SPEED_KMH: dict[str, float] = {"ambulance": 10.0, "car": 10.0, "ebike": 10.0, "walk": 4.5}

#: Points farther than this from every road a profile may use are not joined to the network:
#: they count as unreached (a facility there serves nobody) instead of being silently snapped.
MAX_SNAP_DISTANCE_M: float = 2000.0
#: An access leg (point to its road) longer than this is reported as long: the point is joined
#: across a gap (e.g. its nearby roads are a cut-off fragment of the network).
LONG_ACCESS_LEG_M: float = 500.0

#: Cap on a tagged ``maxspeed`` per vehicle profile, km/h: a tagged limit replaces the class
#: speed for cars (up to expressway design speed) and can only slow e-bikes (GB 17761: 25 km/h).
MAXSPEED_CAP_KMH: dict[str, float] = {"ambulance": 100.0, "car": 100.0, "ebike": 25.0}
#: Ambulances under lights and sirens run ~15% above a tagged limit, as above the class speeds.
AMBULANCE_MAXSPEED_FACTOR: float = 1.15
#: Half-width (m) of the band drawn around reached roads in a network isochrone: about a
#: block's depth, so homes along a road are inside but the far side of a field is not.
ISOCHRONE_BUFFER_M: float = 75.0
#: Cells of the (sources x nodes) distance block computed at once in ``matrix``: bounds memory
#: to ~250 MB of float64 whatever the number of sources.
MATRIX_CHUNK_CELLS: int = 32_000_000
#: Point sets whose join to the roads the engine remembers per profile: the population cells and
#: each facility set are joined once, not once per query.
SNAP_CACHE_ENTRIES: int = 16
#: Memory for travel answers remembered across coverage runs (MB): a county's matrices for every
#: mode take tens of MB; least recently used answers are dropped beyond this.
TRAVEL_CACHE_MB: float = 256.0

# --- straight-line estimate (no road network) -----------------------------------------------
#: Network distance / straight-line distance. 1.3-1.5 is the classic range for road networks
#: (Ballou et al. 2002; Boscoe et al. 2012 found 1.417 for the US); 1.4 is the middle.
CIRCUITY_FACTOR: float = 1.4

#: Average door-to-door speed in km/h used with the straight-line estimate, i.e. over the
#: whole trip rather than on one road class: urban ambulance averages of 35-40 km/h are
#: reported for Chinese cities, cars in mixed town traffic ~30 km/h.
STRAIGHT_LINE_SPEED_KMH: dict[str, float] = {"ambulance": 40.0, "car": 30.0, "ebike": 15.0, "walk": 4.5}

#: Label every result carries when travel is estimated without a road network.
STRAIGHT_LINE_SOURCE: Final = "straight-line estimate"

# --- standards' assumptions -----------------------------------------------------------------
#: Travel mode of the 15-minute service circle: the plan does not fix it; e-bike is the
#: everyday mode to township clinics in Jinjiang.
SERVICE_CIRCLE_PROFILE: str = "ebike"
#: Threshold of the medical service circle, minutes (plan 二(三)2(2)).
SERVICE_CIRCLE_MINUTES: float = 15.0
#: Target of the pre-hospital emergency circle, minutes (plan 三(一)3(2)).
EMS_RESPONSE_MINUTES: float = 14.0
#: Minutes from call to ambulance departure; national target is departure within 3 minutes.
EMS_DISPATCH_MINUTES: float = 3.0
#: Emergency network service radius, metres (plan; 国卫医发〔2020〕19号, urban).
EMS_RADIUS_M: float = 5000.0
#: People per ambulance (plan; 国卫医发〔2020〕19号).
PEOPLE_PER_AMBULANCE: int = 30_000
#: Minimum share of negative-pressure ambulances (plan).
NEGATIVE_PRESSURE_SHARE: float = 0.40
#: People per public AED (plan).
PEOPLE_PER_AED: int = 10_000
#: Walking distance to an AED counted as access, metres (~3 min round trip; studies use
#: 100-200 m).
AED_WALK_RADIUS_M: float = 200.0
#: Hospital beds per 1,000 people by 2025 (plan 表1).
BEDS_PER_1000: float = 4.2
#: Share of people a circle or radius must reach to count as met: the plan names a circle,
#: not a share (an assumption; 95% leaves room for the outermost cells of a modelled grid).
CIRCLE_REQUIRED_SHARE: float = 0.95
#: Largest minutes threshold accepted: beyond 3 hours a "service circle" means nothing.
MAX_THRESHOLD_MINUTES: float = 180.0
#: Largest dispatch delay accepted, minutes (a sanity bound, not a target).
MAX_DISPATCH_MINUTES: float = 60.0
#: Largest EMS service radius accepted, metres: national guidance allows 10-20 km in rural areas.
MAX_EMS_RADIUS_M: float = 50_000.0
#: Largest AED walking radius accepted, metres: nobody carries an AED farther in time.
MAX_AED_WALK_RADIUS_M: float = 2000.0
#: Spacing of the AED demand points inside populated cells, metres: a 200 m walk is smaller than a
#: 500 m population cell, so a cell's people are spread over points this far apart (a cell centre is
#: not where its people live).
AED_DEMAND_SPACING_M: float = 100.0
#: OpenStreetMap ``amenity`` values taken as public places that can host an AED.
AED_PLACE_AMENITIES: tuple[str, ...] = ("school", "townhall", "marketplace", "community_centre")
#: AED candidates HiGHS chooses among when there are more (e.g. the demand lattice): this many × the number
#: of new sites, those reaching the most people on their own; at least ``AED_CANDIDATE_POOL_MIN``. On
#: Jinjiang's 72k-point lattice HiGHS proves the pool's optimum in about a second, the whole in no minute.
AED_CANDIDATE_POOL_FACTOR: int = 20
AED_CANDIDATE_POOL_MIN: int = 2000
#: Side of the square tiles in which walking distances to AED candidates are computed on a road
#: network, metres: each tile's candidates against the demand within a walk of the tile.
AED_NETWORK_TILE_M: float = 1000.0
#: Right end of the coverage-vs-minutes curve in reports, minutes (twice the circle).
CURVE_MAX_MINUTES: int = 30
#: How many worst-served cells and towns a coverage report lists.
WORST_SERVED_COUNT: int = 10

# --- time of day -------------------------------------------------------------------------------
#: Periods a coverage run can be asked for: free flow (``offpeak``) or weekday rush hour (``peak``).
PERIODS: Final = ("offpeak", "peak")
#: Period of a run when none is asked for: free-flow figures are reproducible and comparable.
DEFAULT_PERIOD: str = "offpeak"
#: Multiplier on travel minutes per profile at peak hour (weekday 07-09 and 17-19). AMap's
#: 《中国主要城市交通分析报告》 measures the "congestion delay index" = peak travel time / free-flow
#: travel time: in 2019 the most congested of its 50 main cities (Harbin) was 1.935, and Quanzhou
#: ranked 45th of 50 in 2018 Q3 (lowest congestion grade, peak car speed above 30 km/h); 1.3 for
#: cars is a low-congestion city's figure. Ambulances under lights and sirens keep about half that
#: delay and e-bikes, filtering past queues, mainly wait at junctions: both are assumptions.
#: Walking does not slow. Applied to whole door-to-door minutes, never to distances.
PEAK_FACTOR_BY_PROFILE: dict[str, float] = {"ambulance": 1.15, "car": 1.3, "ebike": 1.1, "walk": 1.0}

# --- accessibility and equity ----------------------------------------------------------------
#: Enhanced two-step floating catchment (E2SFCA, Luo & Qi 2009, Health & Place 15:1100-1107):
#: travel-time bands (upper bound, minutes) and their Gaussian decay weights 1 / 0.68 / 0.22 at
#: 0-10 / 10-20 / 20-30 min, as in the paper and in pysal/access's examples. Beyond the last band
#: a facility is out of the catchment.
E2SFCA_BANDS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
#: Travel mode of the E2SFCA catchment: a bed is reached by car or taxi in Jinjiang.
E2SFCA_PROFILE: str = "car"
#: Facility columns measured as capacity by E2SFCA when a data folder supplies them (beds always).
CAPACITY_COLUMNS: tuple[str, ...] = ("beds", "doctors", "nurses", "general_practitioners")
#: E2SFCA scores are reported per this many people (beds per 1,000, like the plan's ratio).
ACCESSIBILITY_PER_PEOPLE: int = 1000
#: The worst-served share of people the report describes (slowest 10 %).
WORST_SERVED_SHARE: float = 0.10
#: Palma ratio: share held by the top 10 % over the share held by the bottom 40 % (Palma 2011).
PALMA_TOP_SHARE: float = 0.10
PALMA_BOTTOM_SHARE: float = 0.40
#: Points of the Lorenz curves in the document (evenly spaced population shares, ends included).
LORENZ_POINTS: int = 21

# --- population surface ---------------------------------------------------------------------
#: Side of a population grid cell, metres: fine enough for 15-minute walks (~1.1 km),
#: coarse enough that the county (~720 km²) stays near 3,000 cells.
POPULATION_CELL_M: float = 500.0

# --- siting -----------------------------------------------------------------------------------
#: Spacing of the candidate grid for new sites, metres.
CANDIDATE_SPACING_M: float = 1000.0
#: Time budget of one siting run, seconds: candidates, travel times, model build and solve together.
SOLVER_TIME_LIMIT_S: float = 60.0
#: HiGHS presolve: "off". Its probing step does not honour the time limit on dense covering models
#: (measured: 36 s of presolve under a 3 s limit for 5,000 candidates × 50 sites, 0.13 s to the same
#: optimum without it); the models are already reduced to the demand that can change.
SOLVER_PRESOLVE: str = "off"
#: Busy fraction q of an ambulance (share of time it is out on a call) for expected coverage (MEXCLP):
#: ASSUMED 0.3, not measured for any county. Daskin (1983), "A maximum expected covering location model:
#: formulation, properties and heuristic solution", Transportation Science 17(1):48-70, estimates q as
#: the fleet's busy time over its available time (calls × minutes per call / (ambulances × minutes));
#: set it from the county's 120 dispatch log with ``analysis.siting.busy_fraction``.
BUSY_FRACTION: float = 0.3
#: Weight of first coverage against backup (second) coverage in the backup-covering model, as θ in
#: Hogan and ReVelle (1986), "Concepts and applications of backup coverage", Management Science 32(11):
#: 1434-1444 (BACOP2); 0.5 values a first and a second station alike.
BACKUP_PRIMARY_WEIGHT: float = 0.5
#: A site of an earlier run is matched to a candidate this close, metres (the document rounds lon/lat to
#: 6 decimals, about 0.1 m).
START_SITE_MATCH_M: float = 1.0
#: HiGHS random seed, fixed so that the same request gives the same sites.
SOLVER_SEED: int = 0
#: A candidate site may lie this far outside the county outline, metres: the outline is coarse on the coast.
CANDIDATE_BOUNDARY_TOLERANCE_M: float = 250.0
#: p-median travel matrices stop at this multiple of the threshold; farther people count at the cut-off.
PMEDIAN_CUTOFF_FACTOR: float = 2.0
#: p-median merges population cells into blocks this wide, metres: ~4x smaller model,
#: error below the grid spacing.
PMEDIAN_DEMAND_BLOCK_M: float = 1000.0
