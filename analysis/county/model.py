"""What a county folder says about itself: :class:`County` and the :class:`Plan` it is checked against."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from analysis import settings

if TYPE_CHECKING:
    from analysis.coverage import CoverageOptions


@dataclass(frozen=True)
class Plan:
    """The plan a county is checked against.

    Attributes
    ----------
    title_zh, title_en
        Its title, Chinese first.
    sources
        Citation per standard id (e.g. the plan's section); standards not listed cite the title.
    """

    title_zh: str
    title_en: str = ""
    sources: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def title(self) -> str:
        """Bilingual title."""
        return f"{self.title_zh} ({self.title_en})" if self.title_en else self.title_zh


@dataclass(frozen=True)
class County:
    """What a county folder says about itself.

    Attributes
    ----------
    folder
        The folder.
    name_zh, name_en
        The county's name, Chinese first.
    admin_code
        Six-digit administrative division code, when known.
    crs
        Working CRS for distances and areas (projected).
    crs_source
        Where ``crs`` comes from: the manifest, or the UTM zone of the outline's centroid.
    plan
        The plan the county is checked against, ``None`` when the manifest names none.
    targets
        Overrides of the plan's figures keyed by setting name, e.g. ``{"EMS_RESPONSE_MINUTES": 12.0}``.
    assumptions
        Defaults of the open assumptions keyed by setting name.
    manifest
        Path of ``county.toml``, ``None`` when the folder has none.
    """

    folder: Path
    name_zh: str
    name_en: str
    admin_code: str | None
    crs: str
    crs_source: str
    plan: Plan | None = None
    targets: MappingProxyType[str, float] = field(default_factory=lambda: MappingProxyType({}))
    assumptions: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    manifest: Path | None = None

    @property
    def label(self) -> str:
        """Bilingual name, Chinese first."""
        if self.name_zh and self.name_en and self.name_zh != self.name_en:
            return f"{self.name_zh} {self.name_en}"
        return self.name_zh or self.name_en

    def setting(self, name: str) -> Any:
        """Value of a target or assumption for this county: its override, else the library setting."""
        if name in self.targets:
            return self.targets[name]
        if name in self.assumptions:
            return self.assumptions[name]
        return getattr(settings, name)

    def coverage_options(self, options: CoverageOptions | None = None) -> CoverageOptions:
        """*options* with every choice left ``None`` filled from the manifest's targets and assumptions.

        Parameters
        ----------
        options
            The caller's choices (not modified); ``None`` means all defaults.

        Returns
        -------
        analysis.coverage.CoverageOptions
            Choices the manifest does not set stay ``None`` (the library setting).
        """
        from analysis.coverage import CoverageOptions

        opts = options or CoverageOptions()
        fields = {
            "profile": "SERVICE_CIRCLE_PROFILE",
            "minutes": "SERVICE_CIRCLE_MINUTES",
            "dispatch_minutes": "EMS_DISPATCH_MINUTES",
            "aed_walk_radius_m": "AED_WALK_RADIUS_M",
            "ems_minutes": "EMS_RESPONSE_MINUTES",
            "ems_radius_m": "EMS_RADIUS_M",
            "required_share": "CIRCLE_REQUIRED_SHARE",
        }
        chosen: dict[str, Any] = {
            name: self.targets.get(setting, self.assumptions.get(setting))
            for name, setting in fields.items()
            if getattr(opts, name) is None and (setting in self.targets or setting in self.assumptions)
        }
        return dataclasses.replace(opts, **chosen) if chosen else opts

    def describe(self) -> dict[str, Any]:
        """The county as printed beside every result (JSON-able)."""
        return {
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "admin_code": self.admin_code,
            "crs": self.crs,
            "crs_source": self.crs_source,
            "plan": None if self.plan is None else self.plan.title,
            "targets": dict(self.targets),
            "assumptions": dict(self.assumptions),
            "folder": str(self.folder),
        }
