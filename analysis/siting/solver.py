"""The MILP engine every location model shares: one HiGHS (``highspy``) call with its status and gap."""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from analysis import settings
from analysis.errors import ParameterError, SolverError

if TYPE_CHECKING:
    from analysis.siting.budget import Budget

logger = logging.getLogger(__name__)

SOLVER_NAME = "HiGHS (highspy)"

# A solution value above this counts as "site open" (binaries come back as 0.9999999...).
OPEN_TOLERANCE = 0.5


# --- the MILP engine --------------------------------------------------------------------------

#: Shortest time the solver is given when the budget is spent before it starts, seconds: enough for
#: HiGHS to check the warm start and report it with its bound.
MIN_SOLVE_SECONDS = 0.05
#: Seconds between two progress reports while HiGHS runs.
PROGRESS_INTERVAL_S = 0.5

# Creating a Highs object prints a banner on the C-level stdout; the redirect swaps a process-wide file
# descriptor, so two threads must never do it at once.
_BANNER_LOCK = threading.Lock()


@dataclass(frozen=True)
class MilpResult:
    """What one HiGHS run gave: the solution, its objective, the relative gap and how it stopped."""

    x: np.ndarray
    objective: float
    gap: float
    bound: float
    status: str
    time_limited: bool
    seconds: float


@contextmanager
def quiet_banner() -> Iterator[None]:
    """Silence C-level stdout while HiGHS prints its start-up banner, so JSON on stdout stays clean."""
    with _BANNER_LOCK:
        try:
            sys.stdout.flush()
            saved = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
        except (OSError, ValueError):
            yield
            return
        try:
            os.dup2(devnull, 1)
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            os.close(devnull)


def _watch(h: Any, budget: Budget, *, objective_offset: float, objective_name: str) -> None:
    """Report incumbent, bound and gap while HiGHS runs, and stop it when asked."""
    last = [-math.inf]

    def on_interrupt(event: Any) -> None:
        if budget.stop.is_set():
            event.interrupt()
        now = time.perf_counter()
        if now - last[0] < PROGRESS_INTERVAL_S:
            return
        last[0] = now
        out = event.data_out
        gap = float(out.mip_gap)
        primal, dual = float(out.mip_primal_bound), float(out.mip_dual_bound)
        budget.report(
            "solving",
            "HiGHS branch and bound",
            incumbent=primal + objective_offset if math.isfinite(primal) else None,
            bound=dual + objective_offset if math.isfinite(dual) else None,
            gap_percent=round(100.0 * gap, 4) if math.isfinite(gap) else None,
            objective=objective_name,
            nodes=int(out.mip_node_count),
        )

    h.cbMipInterrupt.subscribe(on_interrupt)


def solve_milp(
    *,
    objective: np.ndarray,
    matrix: sp.csc_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    maximize: bool,
    time_limit_s: float | None,
    start: np.ndarray | None = None,
    what: str,
    budget: Budget | None = None,
    objective_offset: float = 0.0,
    objective_name: str = "objective",
) -> MilpResult:
    """Solve ``opt objective·x  s.t. row_lower <= A x <= row_upper, bounds, integrality`` with HiGHS.

    With a *budget*, the time limit is what is left of it (at least ``MIN_SOLVE_SECONDS``), progress is
    reported through it (objective values shifted by *objective_offset*) and ``budget.stop`` interrupts.
    """
    import highspy

    inf = highspy.kHighsInf
    matrix = sp.csc_matrix(matrix)
    n_row, n_col = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = n_row
    lp.col_cost_ = np.asarray(objective, dtype=np.float64)
    lp.col_lower_ = np.asarray(col_lower, dtype=np.float64)
    lp.col_upper_ = np.asarray(col_upper, dtype=np.float64)
    lp.row_lower_ = np.where(np.isfinite(row_lower), row_lower, -inf).astype(np.float64)
    lp.row_upper_ = np.where(np.isfinite(row_upper), row_upper, inf).astype(np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = n_row
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data.astype(np.float64)
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous for flag in integer
    ]
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize

    with quiet_banner():
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", settings.SOLVER_PRESOLVE)
    h.setOptionValue("random_seed", settings.SOLVER_SEED)
    limit = settings.SOLVER_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if limit <= 0:
        msg = f"time_limit_s must be positive, got {limit}; pass e.g. time_limit_s=60"
        raise ParameterError(msg)
    if budget is not None:
        limit = max(min(limit, budget.remaining()), MIN_SOLVE_SECONDS)
        _watch(h, budget, objective_offset=objective_offset, objective_name=objective_name)
    h.setOptionValue("time_limit", float(limit))
    h.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = np.asarray(start, dtype=np.float64).tolist()
        solution.value_valid = True
        h.setSolution(solution)
    began = time.perf_counter()
    h.run()
    seconds = time.perf_counter() - began

    status = h.getModelStatus()
    info = h.getInfo()
    status_text = h.modelStatusToString(status)
    has_solution = info.primal_solution_status == highspy.SolutionStatus.kSolutionStatusFeasible
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        msg = (
            f"the {what} model is infeasible (HiGHS: {status_text}); relax the target or add candidate sites"
        )
        raise SolverError(msg)
    stopped = status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt)
    if stopped and not has_solution and start is not None:
        # stopped before HiGHS took up the warm start (a busy machine, a spent budget): the start is
        # feasible by construction, so it is the best known solution, with no bound yet
        logger.warning(
            "%s model stopped (%s) before any solution; returning the warm start", what, status_text
        )
        x0 = np.asarray(start, dtype=np.float64)
        return MilpResult(
            x=x0,
            objective=float(np.asarray(objective, dtype=np.float64) @ x0),
            gap=float("inf"),
            bound=float("nan"),
            status=status_text,
            time_limited=True,
            seconds=seconds,
        )
    if status != highspy.HighsModelStatus.kOptimal and not (stopped and has_solution):
        msg = (
            f"HiGHS stopped without a usable solution of the {what} model ({status_text}) after "
            f"{seconds:.1f} s; raise the time limit or use fewer candidate sites"
        )
        raise SolverError(msg)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    objective_value = float(info.objective_function_value)
    gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else float("inf")
    bound = float(info.mip_dual_bound)
    if status == highspy.HighsModelStatus.kOptimal:
        if abs(objective_value) < 1e-9:
            gap = 0.0  # HiGHS reports an infinite relative gap at a zero optimum
        bound = objective_value if not math.isfinite(bound) else bound
    if stopped:
        logger.warning("%s model stopped (%s) after %.2f s; MIP gap %.4g", what, status_text, seconds, gap)
    return MilpResult(
        x=x,
        objective=objective_value,
        gap=gap,
        bound=bound,
        status=status_text,
        time_limited=stopped,
        seconds=seconds,
    )
