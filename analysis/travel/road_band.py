"""The band around a set of road pieces: every place within ``buffer_m`` of one of them.

Buffering each piece and unioning them all costs one overlay per piece, and a reached street
grid has thousands of pieces that all overlap their neighbours. Most of that work is wasted
inside the band, where the streets' buffers fill the blocks between them. So the band is built
from the blocks instead:

- the pieces are noded and polygonised into faces (the blocks they enclose);
- inside a face, the nearest road to any point is on the face's own boundary (or a dead end
  inside it), so the band covers the face except the points farther than ``buffer_m`` from
  its boundary: the face's inward buffer, empty for blocks narrower than twice ``buffer_m``;
- outside every face, the nearest road is on the faces' outer boundary or a piece that
  bounds no face (a dead end, a bridge between blocks), so the band there is the union of the
  faces grown by ``buffer_m`` and those pieces' own buffers.

This is the same set as the union of the pieces' buffers, with one overlay per piece that bounds
no face instead of one per piece; the polygons differ only by how arcs are approximated
(``quad_segs`` segments per quarter circle, always inside the true arc).
"""

from __future__ import annotations

import numpy as np
import shapely
import shapely.errors

#: Segments per quarter circle of the buffer arcs: a 75 m arc is within 1.5 m of its polygon.
QUAD_SEGS: int = 4
#: Faces smaller than this (m²) are slivers between near-coincident pieces (a street reached
#: from both ends): their sides are buffered as lines instead, which is exact but not faster.
MIN_FACE_M2: float = 1.0


def _union(geoms: np.ndarray) -> shapely.Geometry:
    """Union of an array of polygons (empty polygon for none)."""
    if len(geoms) == 0:
        return shapely.Polygon()
    if len(geoms) == 1:
        return geoms[0]
    return shapely.union_all(geoms)


def road_band(pieces: np.ndarray, buffer_m: float, *, quad_segs: int = QUAD_SEGS) -> shapely.Geometry:
    """Every place within *buffer_m* of one of *pieces*.

    Parameters
    ----------
    pieces
        Array of LineStrings and Points (the reached road pieces and the source), in a
        projected CRS. Not modified.
    buffer_m
        Half-width of the band, metres (positive).
    quad_segs
        Segments per quarter circle of the arcs.

    Returns
    -------
    shapely.Geometry
        A Polygon or MultiPolygon; empty when there are no pieces.
    """
    geoms = np.asarray(pieces, dtype=object)
    geoms = geoms[~shapely.is_empty(geoms)] if len(geoms) else geoms
    if len(geoms) == 0:
        return shapely.Polygon()
    kind = shapely.get_type_id(geoms)
    lines, others = geoms[kind == 1], geoms[kind != 1]
    faces = np.empty(0, dtype=object)
    loose = lines
    if len(lines) >= 3:
        noded = shapely.get_parts(shapely.node(shapely.multilinestrings(lines)))
        polys, cuts, dangles, invalid = shapely.polygonize_full(noded)
        faces = shapely.get_parts(polys)
        # slivers between near-coincident pieces go back to being lines, as do invalid rings
        sliver = shapely.area(faces) < MIN_FACE_M2
        loose = np.concatenate(
            [
                shapely.get_parts(cuts),
                shapely.get_parts(dangles),
                shapely.get_parts(invalid),
                shapely.get_parts(shapely.boundary(faces[sliver])),
            ]
        )
        faces = faces[~sliver]
        if len(faces) == 0:
            loose = lines
    return band_of_blocks(faces, np.concatenate([loose, others]), buffer_m, quad_segs=quad_segs)


def band_of_blocks(
    faces: np.ndarray, loose: np.ndarray, buffer_m: float, *, quad_segs: int = QUAD_SEGS
) -> shapely.Geometry:
    """Every place within *buffer_m* of the boundaries of *faces* or of one of *loose*.

    The band of a set of pieces, given the blocks they enclose: *faces* are blocks whose whole
    boundary is among the pieces, *loose* every piece not on such a boundary (a dead end, a
    road between blocks, a partly reached street, a point).

    Parameters
    ----------
    faces
        Polygons that form a coverage (no two overlap), in a projected CRS. Not modified.
    loose
        LineStrings and Points. Not modified.
    buffer_m
        Half-width of the band, metres (positive).
    quad_segs
        Segments per quarter circle of the arcs.

    Returns
    -------
    shapely.Geometry
        A Polygon or MultiPolygon; empty when there is nothing.
    """
    faces = np.asarray(faces, dtype=object)
    loose = np.asarray(loose, dtype=object)
    if len(faces) == 0:
        return _union(shapely.buffer(loose, buffer_m, quad_segs=quad_segs))
    try:
        blocks = shapely.coverage_union_all(faces)
    except shapely.errors.GEOSException:
        # faces that overlap by a rounding error: the general union is slower but exact
        blocks = shapely.union_all(faces)
    shapely.prepare(blocks)
    inside = shapely.covers(blocks, loose) if len(loose) else np.zeros(0, dtype=bool)
    # a piece inside the blocks adds nothing the grown blocks do not hold
    outside = loose[~inside]
    grown = shapely.buffer(blocks, buffer_m, quad_segs=quad_segs)
    band = _union(np.concatenate([[grown], shapely.buffer(outside, buffer_m, quad_segs=quad_segs)]))
    # inside each face, the places farther than buffer_m from its boundary are not in the band,
    # unless a dead end (or the source) inside the face comes near them
    cores = shapely.buffer(faces, -buffer_m, quad_segs=quad_segs)
    cores = cores[~shapely.is_empty(cores)]
    if len(cores) == 0:
        return band
    holes = _union(cores)
    inner = loose[inside]
    if len(inner):
        near = inner[shapely.dwithin(inner, holes, buffer_m)]
        if len(near):
            holes = shapely.difference(holes, _union(shapely.buffer(near, buffer_m, quad_segs=quad_segs)))
    return shapely.difference(band, holes)
