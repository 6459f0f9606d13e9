"""Expected coverage (MEXCLP) and backup covering on instances worked out by hand.

MEXCLP instance: demand A (10 people) is within reach of site 0 only, demand B (3 people) of site 1 only.
With q = 0.5 an ambulance is free half the time, so m ambulances within reach cover 1 - 0.5**m.

- One ambulance already at site 0 (existing), one more to place (k = 1):
  at site 0 it adds 10 × 0.5 × 0.5 = 2.5 expected people; at site 1 it adds 3 × 0.5 = 1.5.
  MEXCLP puts it at the existing station 0; MCLP (p = 1 new station) opens site 1 (3 more people reached).
  Expected coverage: before 10 × 0.5 = 5, after 7.5 (share 7.5 / 13).
- No ambulances yet, k = 2: both at 0 give 10 × 0.75 = 7.5; one at each 10 × 0.5 + 3 × 0.5 = 6.5;
  both at 1 give 2.25. MEXCLP doubles up at 0 (marginal values 5 then 2.5); MCLP with p = 2 opens both.

Backup instance: A (10) within reach of existing station 0 and candidate 1; B (4) of candidate 2 only.
One new station, theta = 0.5: site 1 gives A its backup (0.5 × 10 = 5), site 2 gives B first coverage
(0.5 × 4 = 2): backup covering opens 1, MCLP opens 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from analysis.errors import ParameterError
from analysis.siting import (
    BackupCovering,
    ExpectedCovering,
    MaximalCovering,
    busy_fraction,
    expected_coverage,
)

INF = np.inf
# rows: A, B; columns: site 0, site 1
COST = np.array([[1.0, INF], [INF, 1.0]])
WEIGHTS = np.array([10.0, 3.0])


def test_one_more_ambulance_goes_to_the_busy_station_not_a_new_one() -> None:
    model = ExpectedCovering.from_cost_matrix(
        COST, WEIGHTS, threshold=2.0, k=1, existing=[0], existing_ambulances=[1], busy_fraction=0.5
    ).solve()
    assert model.allocation.tolist() == [1, 0]
    assert model.baseline_population == pytest.approx(5.0)
    assert model.covered_population == pytest.approx(7.5)
    assert model.added_population.tolist() == pytest.approx([2.5])
    assert model.expected_share() == pytest.approx((5 / 13, 7.5 / 13))
    assert model.gap == pytest.approx(0.0, abs=1e-9)
    mclp = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=2.0, p=1, existing=[0]).solve()
    assert mclp.selected.tolist() == [1]  # MCLP reaches B instead: the two models disagree
    table = model.marginal_gains()
    assert table["existing"].tolist() == [True]


def test_two_ambulances_double_up_with_diminishing_value() -> None:
    model = ExpectedCovering.from_cost_matrix(COST, WEIGHTS, threshold=2.0, k=2, busy_fraction=0.5).solve()
    assert model.allocation.tolist() == [2, 0]
    assert model.covered_population == pytest.approx(7.5)
    assert model.added_population.tolist() == pytest.approx([5.0, 2.5])  # marginal value of each
    assert model.selected.tolist() == [0, 0]
    assert model.covered_any == pytest.approx(10.0)  # only A is within reach of any ambulance
    mclp = MaximalCovering.from_cost_matrix(COST, WEIGHTS, threshold=2.0, p=2).solve()
    assert sorted(mclp.selected.tolist()) == [0, 1]


def test_with_q_near_zero_mexclp_spreads_like_mclp() -> None:
    # almost never busy: a second ambulance at 0 adds 10 × 0.99 × 0.01 ≈ 0.1 < 3 × 0.99 at site 1
    model = ExpectedCovering.from_cost_matrix(COST, WEIGHTS, threshold=2.0, k=2, busy_fraction=0.01).solve()
    assert model.allocation.tolist() == [1, 1]
    assert model.covered_population == pytest.approx(13 * 0.99)


def test_agrees_with_brute_force_on_a_random_instance() -> None:
    rng = np.random.default_rng(11)
    cost = np.where(rng.random((40, 6)) < 0.35, 1.0, INF)
    weights = rng.integers(1, 50, 40).astype(float)
    k, q = 3, 0.35
    model = ExpectedCovering.from_cost_matrix(
        cost, weights, threshold=2.0, k=k, existing=[0, 1], existing_ambulances=[1, 2], busy_fraction=q
    ).solve()
    reach = (cost <= 2.0).astype(int)
    stationed = np.array([1, 2, 0, 0, 0, 0])
    best = -1.0
    for a in np.ndindex(*(k + 1,) * 6):
        if sum(a) == k:
            best = max(best, expected_coverage(reach @ (stationed + np.array(a)), weights, q))
    assert model.covered_population == pytest.approx(best)
    assert model.added_population[0] >= model.added_population[1] >= model.added_population[2]


def test_unknown_ambulances_stay_unknown() -> None:
    with pytest.raises(ParameterError, match="unknown"):
        ExpectedCovering.from_cost_matrix(
            COST, WEIGHTS, threshold=2.0, k=1, existing=[0], existing_ambulances=[np.nan]
        )
    with pytest.raises(ParameterError, match="between 0 and 1"):
        ExpectedCovering.from_cost_matrix(COST, WEIGHTS, threshold=2.0, k=1, busy_fraction=1.0)
    with pytest.raises(ParameterError, match="max_per_site"):
        ExpectedCovering.from_cost_matrix(COST, WEIGHTS, threshold=2.0, k=3, max_per_site=1)


def test_busy_fraction_from_the_dispatch_log() -> None:
    # 52,560 calls a year × 60 min over 20 ambulances × 525,600 min = 0.3
    assert busy_fraction(calls_per_year=52_560, minutes_per_call=60, ambulances=20) == pytest.approx(0.3)
    with pytest.raises(ParameterError, match="busy"):
        busy_fraction(calls_per_year=1e6, minutes_per_call=60, ambulances=1)


def test_backup_covering_chooses_differently_from_mclp() -> None:
    cost = np.array([[1.0, 1.0, INF], [INF, INF, 1.0]])
    weights = np.array([10.0, 4.0])
    backup = BackupCovering.from_cost_matrix(cost, weights, threshold=2.0, p=1, existing=[0]).solve()
    assert backup.selected.tolist() == [1]
    assert backup.baseline_backup == 0.0 and backup.backup_population == pytest.approx(10.0)
    assert backup.objective == pytest.approx(0.5 * 10 + 0.5 * 10)  # A's first (fixed) and backup cover
    mclp = MaximalCovering.from_cost_matrix(cost, weights, threshold=2.0, p=1, existing=[0]).solve()
    assert mclp.selected.tolist() == [2]
    # valuing first coverage only, backup covering is MCLP again
    first = BackupCovering.from_cost_matrix(
        cost, weights, threshold=2.0, p=1, existing=[0], primary_weight=1.0
    ).solve()
    assert first.selected.tolist() == [2]


def test_recommend_sites_mexclp_on_the_line_county() -> None:
    from analysis.siting import recommend_sites
    from tests.test_siting import _candidates, _travel, tiny_inputs

    # cells 0/2/4/6/8 km with 100/200/50/300/400 people; 1.5 min at 1 min/km reaches a site's own cell.
    # ems-0 at 0 km with 2 ambulances (q = 0.5): expected 100 × 0.75 = 75. One more ambulance:
    # at ems-0 it adds 100 × 0.5 × 0.25 = 12.5, at the 2 km candidate 200 × 0.5 = 100 → the candidate.
    doc = recommend_sites(
        tiny_inputs(),
        _travel(),
        kind="ems",
        model="mexclp",
        count=1,
        candidates=_candidates([2000.0]),
        threshold_minutes=1.5,
        ambulances={"ems-0": 2},
        busy_fraction=0.5,
    )
    assert doc["expected_coverage_before"] == pytest.approx(75 / 1050, abs=1e-6)
    assert doc["expected_coverage_after"] == pytest.approx(175 / 1050, abs=1e-6)
    assert doc["sites"][0]["added_population"] == pytest.approx(100.0)
    assert doc["sites"][0]["station_id"] is None and doc["ambulances_at_new_sites"] == 1
    assert doc["busy_fraction"] == 0.5 and doc["optimal"] is True
    # with 12 more it pays to double up at the 2 km site and at ems-0 too: marginal values fall
    more = recommend_sites(
        tiny_inputs(),
        _travel(),
        kind="ems",
        model="mexclp",
        count=4,
        candidates=_candidates([2000.0]),
        threshold_minutes=1.5,
        ambulances={"ems-0": 2},
        busy_fraction=0.5,
    )
    gains = [s["added_population"] for s in more["sites"]]
    assert gains == [100.0, 50.0, 25.0, 12.5]  # 200×.5, 200×.25, 200×.125 or 100×.125 (tie) …
    with pytest.raises(ParameterError, match="unknown"):
        recommend_sites(
            tiny_inputs(), _travel(), kind="ems", model="mexclp", count=1, candidates=_candidates([2000.0]),
            threshold_minutes=1.5,
        )  # fmt: skip
    assumed = recommend_sites(
        tiny_inputs(), _travel(), kind="ems", model="mexclp", count=1, candidates=_candidates([2000.0]),
        threshold_minutes=1.5, assume_unknown_ambulances=1,
    )  # fmt: skip
    assert any(a.startswith("ASSUMED: 1 stations") for a in assumed["assumptions"])
