//! The city's solids as plain triangle lists (no Bevy types): a building's
//! parts extruded to its height (roof from the footprint's triangles, a
//! wall quad per ring edge, facing out), a street's centre line as a
//! ribbon as wide as its lanes. Positions are in scene coordinates (x east,
//! y up, z south) relative to a twin's origin; the view makes meshes of them.

use super::asset::{Building, Street};
use super::scene::scene_point;

/// Width of a traffic lane, metres.
pub(crate) const LANE_WIDTH_M: f64 = 3.0;
/// How high a street's ribbon floats over the ground, metres (above the
/// ground plane, below any building's wall foot).
pub(crate) const STREET_LIFT_M: f64 = 0.15;

/// Triangles with a normal per vertex.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Solid {
    pub(crate) positions: Vec<[f32; 3]>,
    pub(crate) normals: Vec<[f32; 3]>,
    pub(crate) indices: Vec<u32>,
}

impl Solid {
    fn vertex(&mut self, p: [f32; 3], n: [f32; 3]) -> u32 {
        self.positions.push(p);
        self.normals.push(n);
        (self.positions.len() - 1) as u32
    }

    /// The corners' extent: (min, max).
    pub(crate) fn extent(&self) -> ([f32; 3], [f32; 3]) {
        let mut lo = [f32::MAX; 3];
        let mut hi = [f32::MIN; 3];
        for p in &self.positions {
            for i in 0..3 {
                lo[i] = lo[i].min(p[i]);
                hi[i] = hi[i].max(p[i]);
            }
        }
        (lo, hi)
    }
}

fn local(p: [f64; 2], up: f64, origin: [f32; 3]) -> [f32; 3] {
    let s = scene_point(p, up);
    [s[0] - origin[0], s[1], s[2] - origin[2]]
}

/// A building: each part's roof at `height_m` and its walls from the ground.
pub(crate) fn building(b: &Building, origin: [f32; 3]) -> Solid {
    let mut out = Solid::default();
    for part in &b.parts {
        let rings = std::iter::once(&part.outer).chain(part.holes.iter());
        // The roof: earcut's triangles index the outer ring's points, then each hole's.
        let base = out.positions.len() as u32;
        for p in rings.clone().flatten() {
            out.vertex(local(*p, b.height_m, origin), [0.0, 1.0, 0.0]);
        }
        // Counter-clockwise on the map (x east, y north) stays
        // counter-clockwise seen from above in the scene (z = −y): facing up.
        out.indices.extend(part.triangles.iter().map(|i| base + i));
        for ring in rings {
            walls(&mut out, ring, b.height_m, origin);
        }
    }
    out
}

/// A wall quad per edge of a ring (stored open). The map's rings keep the
/// outside on the right of each edge (outer rings counter-clockwise, holes
/// clockwise), so the outward normal of edge (dx, dy) is (dy, -dx) on the
/// map, (dy, 0, dx) in the scene.
fn walls(out: &mut Solid, ring: &[[f64; 2]], height: f64, origin: [f32; 3]) {
    for (i, a) in ring.iter().enumerate() {
        let b = ring[(i + 1) % ring.len()];
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len = dx.hypot(dy);
        if len < 1e-6 {
            continue;
        }
        let n = [(dy / len) as f32, 0.0, (dx / len) as f32];
        let v = [
            out.vertex(local(*a, 0.0, origin), n),
            out.vertex(local(b, 0.0, origin), n),
            out.vertex(local(b, height, origin), n),
            out.vertex(local(*a, height, origin), n),
        ];
        out.indices.extend([v[0], v[1], v[2], v[0], v[2], v[3]]);
    }
}

/// A street: a flat quad per segment of each stretch, `lanes` ×
/// `LANE_WIDTH_M` wide, facing up.
pub(crate) fn street(s: &Street, origin: [f32; 3]) -> Solid {
    let mut out = Solid::default();
    let half = s.lanes.max(1) as f64 * LANE_WIDTH_M / 2.0;
    for line in &s.lines {
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = dx.hypot(dy);
            if len < 1e-6 {
                continue;
            }
            // The left of the direction of travel, on the map.
            let (lx, ly) = (-dy / len * half, dx / len * half);
            let up = [0.0, 1.0, 0.0];
            let corner = |p: [f64; 2], sign: f64| {
                local([p[0] + sign * lx, p[1] + sign * ly], STREET_LIFT_M, origin)
            };
            let v = [
                out.vertex(corner(a, 1.0), up),
                out.vertex(corner(a, -1.0), up),
                out.vertex(corner(b, -1.0), up),
                out.vertex(corner(b, 1.0), up),
            ];
            out.indices.extend([v[0], v[1], v[2], v[0], v[2], v[3]]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::asset::Part;
    use crate::city::footprint::HeightFrom;

    /// A 20 × 10 m block with a 4 × 4 m courtyard, 12 m high, triangulated
    /// by earcut as the importer does: n + 2h − 2 = 8 + 2 − 2 = 8 triangles.
    fn courtyard_block() -> Building {
        let outer = vec![[0.0, 0.0], [20.0, 0.0], [20.0, 10.0], [0.0, 10.0]];
        let hole = vec![[8.0, 3.0], [8.0, 7.0], [12.0, 7.0], [12.0, 3.0]];
        let mut triangles: Vec<u32> = Vec::new();
        earcut::Earcut::new().earcut(outer.iter().chain(&hole).copied(), &[4], &mut triangles);
        assert_eq!(triangles.len(), 8 * 3);
        Building {
            id: "b-w1".into(),
            name: None,
            height_m: 12.0,
            height_from: HeightFrom::Height,
            area_m2: 184.0,
            parts: vec![Part {
                outer,
                holes: vec![hole],
                triangles,
            }],
        }
    }

    fn area(s: &Solid, tri: &[u32]) -> f64 {
        let p = |i: u32| s.positions[i as usize].map(f64::from);
        let (a, b, c) = (p(tri[0]), p(tri[1]), p(tri[2]));
        let u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
        let v = [c[0] - a[0], c[1] - a[1], c[2] - a[2]];
        let n = [
            u[1] * v[2] - u[2] * v[1],
            u[2] * v[0] - u[0] * v[2],
            u[0] * v[1] - u[1] * v[0],
        ];
        0.5 * (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt()
    }

    #[test]
    fn a_courtyard_block_has_its_roof_area_and_a_wall_per_edge() {
        let s = building(&courtyard_block(), [10.0, 0.0, -5.0]);
        let roof: Vec<&[u32]> = s.indices.chunks(3).take(8).collect();
        let roof_area: f64 = roof.iter().map(|t| area(&s, t)).sum();
        // 20 × 10 − 4 × 4 = 184 m².
        assert!((roof_area - 184.0).abs() < 1e-3, "{roof_area}");
        // 4 outer + 4 courtyard walls, two triangles each, after 8 roof triangles.
        assert_eq!(s.indices.len(), (8 + 8 * 2) * 3);
        let wall_area: f64 = s.indices.chunks(3).skip(8).map(|t| area(&s, t)).sum();
        // Perimeters 60 m and 16 m, 12 m high.
        assert!((wall_area - 76.0 * 12.0).abs() < 1e-3, "{wall_area}");
        // Centred on the twin's origin, standing on the ground.
        assert_eq!(s.extent(), ([-10.0, 0.0, -5.0], [10.0, 12.0, 5.0]));
    }

    #[test]
    fn roof_triangles_face_up_and_walls_face_out_of_the_building() {
        let s = building(&courtyard_block(), [10.0, 0.0, -5.0]);
        for t in s.indices.chunks(3).take(8) {
            let p = |i: u32| s.positions[i as usize];
            let (a, b, c) = (p(t[0]), p(t[1]), p(t[2]));
            // The winding's normal, (b - a) × (c - a), points up (+y).
            let ny = (b[2] - a[2]) * (c[0] - a[0]) - (b[0] - a[0]) * (c[2] - a[2]);
            assert!(ny > 0.0, "a roof triangle faces down: {t:?}");
        }
        // The south wall (map y = 0, scene z = +5) faces south (+z); the
        // courtyard's wall at map x = 8 faces east into the courtyard (+x).
        let normal_at = |x: f32, z: f32| {
            s.positions
                .iter()
                .zip(&s.normals)
                .skip(8)
                .find(|(p, _)| (p[0] - x).abs() < 1e-4 && (p[2] - z).abs() < 1e-4)
                .map(|(_, n)| *n)
                .unwrap()
        };
        assert_eq!(normal_at(-10.0, 5.0), [0.0, 0.0, 1.0]);
        assert_eq!(normal_at(-2.0, 2.0), [1.0, 0.0, 0.0]);
    }

    #[test]
    fn a_two_lane_street_is_six_metres_wide() {
        let s = Street {
            id: "s-w2".into(),
            name: None,
            class: "residential".into(),
            lanes: 2,
            maxspeed_kmh: 30.0,
            defaults: vec![],
            lines: vec![vec![[0.0, 0.0], [100.0, 0.0], [100.0, 50.0]]],
        };
        let solid = street(&s, [0.0, 0.0, 0.0]);
        let total: f64 = solid.indices.chunks(3).map(|t| area(&solid, t)).sum();
        assert!((total - 150.0 * 6.0).abs() < 1e-3, "{total}");
        let (lo, hi) = solid.extent();
        assert_eq!((lo[1], hi[1]), (0.15, 0.15));
        // The first segment runs 0..100 m east, the second ±3 m around x = 100.
        assert_eq!((lo[0], hi[0]), (0.0, 103.0));
    }
}
