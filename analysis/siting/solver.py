"""The MILP engine every location model shares: one HiGHS (``highspy``) call with its status and gap."""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from analysis import settings
from analysis.errors import ParameterError, SolverError

logger = logging.getLogger(__name__)

SOLVER_NAME = "HiGHS (highspy)"

# A solution value above this counts as "site open" (binaries come back as 0.9999999...).
OPEN_TOLERANCE = 0.5


# --- the MILP engine --------------------------------------------------------------------------


@dataclass(frozen=True)
class MilpResult:
    x: np.ndarray
    objective: float
    gap: float
    status: str
    time_limited: bool
    seconds: float


@contextmanager
def quiet_banner() -> Iterator[None]:
    """Silence C-level stdout while HiGHS prints its start-up banner, so JSON on stdout stays clean."""
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
) -> MilpResult:
    """Solve ``opt objective·x  s.t. row_lower <= A x <= row_upper, bounds, integrality`` with HiGHS."""
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
    limit = settings.SOLVER_TIME_LIMIT_S if time_limit_s is None else time_limit_s
    if limit <= 0:
        msg = f"time_limit_s must be positive, got {limit}; pass e.g. time_limit_s=60"
        raise ParameterError(msg)
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
    time_limited = status == highspy.HighsModelStatus.kTimeLimit
    if status != highspy.HighsModelStatus.kOptimal and not (time_limited and has_solution):
        msg = (
            f"HiGHS stopped without a usable solution of the {what} model ({status_text}) after "
            f"{seconds:.1f} s; raise time_limit_s or use fewer candidate sites"
        )
        raise SolverError(msg)
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    objective_value = float(info.objective_function_value)
    gap = float(info.mip_gap) if math.isfinite(info.mip_gap) else float("inf")
    if abs(objective_value) < 1e-9 and status == highspy.HighsModelStatus.kOptimal:
        gap = 0.0  # HiGHS reports an infinite relative gap at a zero optimum
    if time_limited:
        logger.warning("%s model hit the %.0f s time limit; MIP gap %.4g", what, limit, gap)
    return MilpResult(
        x=x,
        objective=objective_value,
        gap=gap,
        status=status_text,
        time_limited=time_limited,
        seconds=seconds,
    )
