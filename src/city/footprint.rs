//! Building footprints: closed rings, triangulation (earcut) and the
//! building's height from its tags.
//!
//! Design: the ring check works on whatever identifies a point — OSM node
//! ids (a ring closes when its last node is its first, as OSM defines it),
//! positions for GeoJSON — so a broken ring is reported in the file's own
//! terms. Triangulation happens last, in local metres, on the coordinates
//! the city file stores (rounded to the centimetre), so the triangles
//! index exactly the stored rings.

use serde::{Deserialize, Serialize};

use super::project::Local;

/// Height of one storey (`building:levels`), metres.
pub(crate) const LEVEL_HEIGHT_M: f64 = 3.2;
/// Height of a building with neither `height` nor `building:levels`:
/// three storeys of `LEVEL_HEIGHT_M`, metres.
pub(crate) const DEFAULT_HEIGHT_M: f64 = 9.6;
/// Metres per foot, for `height=40'` or `height=40 ft`.
const METRES_PER_FOOT: f64 = 0.3048;

/// A polygon: its outer ring and its holes, each without the closing point
/// (the last point joins the first).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shape<P> {
    pub(crate) outer: Vec<P>,
    pub(crate) holes: Vec<Vec<P>>,
}

/// A closed ring as given (`first == last`) without its closing point, or
/// why it is not a ring. `name` says a point in the file's terms.
pub(crate) fn open_ring<P: PartialEq + Copy>(
    closed: &[P],
    name: impl Fn(&P) -> String,
) -> Result<Vec<P>, String> {
    let (Some(first), Some(last)) = (closed.first(), closed.last()) else {
        return Err("the ring has no points".into());
    };
    if first != last || closed.len() < 2 {
        return Err(format!(
            "the ring does not close: it starts at {} and ends at {}",
            name(first),
            name(last)
        ));
    }
    let open = &closed[..closed.len() - 1];
    let mut distinct: Vec<P> = Vec::with_capacity(3);
    for p in open {
        if !distinct.contains(p) {
            distinct.push(*p);
            if distinct.len() == 3 {
                return Ok(open.to_vec());
            }
        }
    }
    Err(format!(
        "the ring has {} distinct points; a footprint needs at least 3",
        distinct.len()
    ))
}

/// Twice the signed area by the shoelace formula (positive when the ring
/// runs counter-clockwise with y up), in the square of the points' unit.
pub(crate) fn twice_signed_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// A footprint ready to draw: outer ring counter-clockwise and holes
/// clockwise (x east, y north), and triangles as indices into the outer
/// ring's points followed by each hole's.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Triangulated {
    pub(crate) shape: Shape<Local>,
    pub(crate) triangles: Vec<u32>,
    /// The outer ring's area less the holes', square metres.
    pub(crate) area_m2: f64,
    /// earcut's measure of how far the triangles' total area is from the
    /// polygon's (relative; 0 for a simple polygon).
    pub(crate) deviation: f64,
}

/// Orients the rings and triangulates them with earcut.
pub(crate) fn triangulate(
    earcut: &mut earcut::Earcut<f64>,
    mut shape: Shape<Local>,
) -> Triangulated {
    orient(&mut shape.outer, true);
    for hole in &mut shape.holes {
        orient(hole, false);
    }
    let mut points = shape.outer.clone();
    let mut hole_starts: Vec<u32> = Vec::with_capacity(shape.holes.len());
    for hole in &shape.holes {
        hole_starts.push(points.len() as u32);
        points.extend_from_slice(hole);
    }
    let mut triangles: Vec<u32> = Vec::new();
    earcut.earcut(points.iter().copied(), &hole_starts, &mut triangles);
    let deviation = earcut::deviation(points.iter().copied(), &hole_starts, &triangles);
    let twice_area = twice_signed_area(&shape.outer)
        + shape
            .holes
            .iter()
            .map(|h| twice_signed_area(h))
            .sum::<f64>();
    Triangulated {
        shape,
        triangles,
        area_m2: twice_area / 2.0,
        deviation,
    }
}

fn orient(ring: &mut [Local], counter_clockwise: bool) {
    if (twice_signed_area(ring) > 0.0) != counter_clockwise {
        ring.reverse();
    }
}

/// Where a building's height came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HeightFrom {
    /// The `height` tag.
    Height,
    /// `building:levels` × `LEVEL_HEIGHT_M`.
    Levels,
    /// `DEFAULT_HEIGHT_M`.
    Default,
}

/// A building's height, metres, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Height {
    pub(crate) m: f64,
    pub(crate) from: HeightFrom,
    /// A `height` or `building:levels` tag was there but unreadable.
    pub(crate) unreadable: bool,
}

/// Height from `height` (metres, or feet with `ft` or `'`), else
/// `building:levels` × `LEVEL_HEIGHT_M`, else `DEFAULT_HEIGHT_M`.
pub(crate) fn height(height: Option<&str>, levels: Option<&str>) -> Height {
    let tagged_m = height.map(metres);
    let tagged_levels = levels.map(|l| l.trim().parse::<f64>().ok().filter(|l| positive(*l)));
    let unreadable = matches!(tagged_m, Some(None)) || matches!(tagged_levels, Some(None));
    let (m, from) = match (tagged_m.flatten(), tagged_levels.flatten()) {
        (Some(m), _) => (m, HeightFrom::Height),
        (None, Some(levels)) => (levels * LEVEL_HEIGHT_M, HeightFrom::Levels),
        (None, None) => (DEFAULT_HEIGHT_M, HeightFrom::Default),
    };
    Height {
        m,
        from,
        unreadable,
    }
}

fn positive(v: f64) -> bool {
    v.is_finite() && v > 0.0
}

/// `12`, `12.13 m`, `12m`, `40 ft`, `40'` → metres.
fn metres(text: &str) -> Option<f64> {
    let t = text.trim();
    let (number, factor) = if let Some(n) = t.strip_suffix("ft").or(t.strip_suffix('\'')) {
        (n, METRES_PER_FOOT)
    } else {
        (t.strip_suffix('m').unwrap_or(t), 1.0)
    };
    let v = number.trim().parse::<f64>().ok()? * factor;
    positive(v).then_some(v)
}

#[cfg(test)]
#[path = "footprint_tests.rs"]
mod tests;
