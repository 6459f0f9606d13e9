"""Siting routes (filled in by the siting issue)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["siting"])
