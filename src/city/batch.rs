//! The city's solids packed into a few large meshes (no Bevy types): each
//! vertex carries its block's slot, the index of the block's colour in a
//! palette, so one material draws thousands of blocks in one draw and a
//! block changes colour by one texel, not by a material or a mesh of its
//! own. A chunk holds whole blocks up to `CHUNK_VERTICES` vertices (a
//! block larger than that alone); chunks keep the order blocks come in.

use super::mesh::Solid;

/// Vertices per chunk, at most (unless one block alone has more): big
/// enough that 100,000 blocks make a handful of draws, small enough for
/// WebGL2's buffers and for culling to skip the chunks out of sight.
pub(crate) const CHUNK_VERTICES: usize = 1 << 18;
/// The palette's width, texels: slot `s` sits at (s % width, s / width).
/// WebGL2 guarantees textures 2,048 wide; 1,024 leaves room.
pub(crate) const PALETTE_WIDTH: u32 = 1024;

/// One mesh of many blocks: `slots[v]` is the slot of vertex `v`'s block.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Chunk {
    pub(crate) positions: Vec<[f32; 3]>,
    pub(crate) normals: Vec<[f32; 3]>,
    pub(crate) slots: Vec<u32>,
    pub(crate) indices: Vec<u32>,
}

impl Chunk {
    fn add(&mut self, slot: u32, solid: &Solid) {
        let base = self.positions.len() as u32;
        self.positions.extend_from_slice(&solid.positions);
        self.normals.extend_from_slice(&solid.normals);
        self.slots
            .extend(std::iter::repeat_n(slot, solid.positions.len()));
        self.indices.extend(solid.indices.iter().map(|i| base + i));
    }
}

/// Packs each `(slot, solid)` into chunks of at most `limit` vertices (one
/// over the limit gets a chunk of its own); empty solids are left out.
pub(crate) fn pack<'a>(
    solids: impl IntoIterator<Item = (u32, &'a Solid)>,
    limit: usize,
) -> Vec<Chunk> {
    let mut chunks: Vec<Chunk> = vec![];
    for (slot, solid) in solids {
        if solid.indices.is_empty() {
            continue;
        }
        let fits = chunks
            .last()
            .is_some_and(|c| c.positions.len() + solid.positions.len() <= limit);
        if !fits {
            chunks.push(Chunk::default());
        }
        chunks.last_mut().expect("a chunk").add(slot, solid);
    }
    chunks
}

/// The palette's height, texels, for `slots` slots (at least one row).
pub(crate) fn palette_rows(slots: usize) -> u32 {
    (slots as u32).div_ceil(PALETTE_WIDTH).max(1)
}

/// One colour as the palette holds it: sRGB red, green, blue and a glow
/// (255: the block glows in its colour, an alarm).
pub(crate) fn texel(srgb: [f32; 3], glow: bool) -> [u8; 4] {
    let byte = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
    [
        byte(srgb[0]),
        byte(srgb[1]),
        byte(srgb[2]),
        if glow { 255 } else { 0 },
    ]
}

/// Where a ray (`origin` + t·`dir`, t ≥ 0) enters the box `lo`..`hi`:
/// t, or none when it misses (slabs; a ray starting inside enters at 0).
pub(crate) fn ray_box(origin: [f32; 3], dir: [f32; 3], lo: [f32; 3], hi: [f32; 3]) -> Option<f32> {
    let (mut near, mut far) = (0.0f32, f32::INFINITY);
    for i in 0..3 {
        if dir[i] == 0.0 {
            if origin[i] < lo[i] || origin[i] > hi[i] {
                return None;
            }
            continue;
        }
        let (a, b) = ((lo[i] - origin[i]) / dir[i], (hi[i] - origin[i]) / dir[i]);
        near = near.max(a.min(b));
        far = far.min(a.max(b));
    }
    (near <= far).then_some(near)
}

/// The nearest t ≥ 0 at which the ray meets one of the solid's triangles
/// (Möller and Trumbore 1997), either face.
pub(crate) fn ray_solid(origin: [f32; 3], dir: [f32; 3], solid: &Solid) -> Option<f32> {
    let sub = |a: [f32; 3], b: [f32; 3]| [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let cross = |a: [f32; 3], b: [f32; 3]| {
        [
            a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0],
        ]
    };
    let mut best: Option<f32> = None;
    for t in solid.indices.chunks_exact(3) {
        let [p0, p1, p2] = [0, 1, 2].map(|k| solid.positions[t[k] as usize]);
        let (e1, e2) = (sub(p1, p0), sub(p2, p0));
        let p = cross(dir, e2);
        let det = dot(e1, p);
        if det.abs() < 1e-9 {
            continue;
        }
        let s = sub(origin, p0);
        let u = dot(s, p) / det;
        let q = cross(s, e1);
        let v = dot(dir, q) / det;
        let d = dot(e2, q) / det;
        if u >= 0.0 && v >= 0.0 && u + v <= 1.0 && d >= 0.0 && best.is_none_or(|b| d < b) {
            best = Some(d);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A solid of `n` vertices and one triangle per three.
    fn solid(n: usize, at: f32) -> Solid {
        Solid {
            positions: (0..n).map(|i| [at, i as f32, 0.0]).collect(),
            normals: vec![[0.0, 1.0, 0.0]; n],
            indices: (0..n as u32).collect(),
        }
    }

    #[test]
    fn blocks_fill_a_chunk_up_to_the_limit_and_keep_their_slots_and_triangles() {
        let (a, b, c) = (solid(6, 1.0), solid(3, 2.0), solid(6, 3.0));
        let chunks = pack([(7, &a), (8, &b), (9, &c)], 10);
        // 6 + 3 fit in 10; the third (6 more) starts a second chunk.
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].slots, vec![7, 7, 7, 7, 7, 7, 8, 8, 8]);
        assert_eq!(chunks[0].indices, (0..9).collect::<Vec<u32>>());
        assert_eq!(chunks[0].positions[6], [2.0, 0.0, 0.0]);
        assert_eq!(chunks[1].slots, vec![9; 6]);
        assert_eq!(chunks[1].indices, (0..6).collect::<Vec<u32>>());
        // Every index names a vertex of its own chunk, of its own block.
        for chunk in &chunks {
            for t in chunk.indices.chunks(3) {
                let slots: Vec<u32> = t.iter().map(|&i| chunk.slots[i as usize]).collect();
                assert!(slots.iter().all(|&s| s == slots[0]), "{slots:?}");
            }
        }
    }

    #[test]
    fn a_block_over_the_limit_gets_a_chunk_alone_and_empty_ones_none() {
        let (big, small, empty) = (solid(12, 1.0), solid(3, 2.0), Solid::default());
        let chunks = pack([(0, &small), (1, &empty), (2, &big), (3, &small)], 10);
        let slots: Vec<Vec<u32>> = chunks.iter().map(|c| c.slots.clone()).collect();
        assert_eq!(slots, vec![vec![0; 3], vec![2; 12], vec![3; 3]]);
    }

    #[test]
    fn a_ray_enters_a_box_where_its_face_is_and_misses_beside_it() {
        let (lo, hi) = ([0.0, 0.0, 0.0], [2.0, 4.0, 2.0]);
        // Straight down from 10 m over the middle: enters the top at 6 m.
        assert_eq!(
            ray_box([1.0, 10.0, 1.0], [0.0, -1.0, 0.0], lo, hi),
            Some(6.0)
        );
        assert_eq!(ray_box([3.0, 10.0, 1.0], [0.0, -1.0, 0.0], lo, hi), None);
        // From inside: at once; pointing away: never.
        assert_eq!(ray_box([1.0, 1.0, 1.0], [1.0, 0.0, 0.0], lo, hi), Some(0.0));
        assert_eq!(ray_box([1.0, 10.0, 1.0], [0.0, 1.0, 0.0], lo, hi), None);
        // Diagonal through the corner region: (−1, 1, 1) + t(1, 0, 0) enters x = 0 at t = 1.
        let d = ray_box([-1.0, 1.0, 1.0], [1.0, 0.0, 0.0], lo, hi).unwrap();
        assert!((d - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_ray_hits_an_l_shaped_roof_but_not_its_cut_corner() {
        // An L of 20 × 20 m with the north-east quarter cut, 12 m high,
        // through the real building mesh.
        let b = crate::city::asset::Building {
            id: "b-1".into(),
            name: None,
            height_m: 12.0,
            height_from: crate::city::footprint::HeightFrom::Default,
            area_m2: 300.0,
            parts: vec![crate::city::asset::Part {
                outer: vec![
                    [0.0, 0.0],
                    [20.0, 0.0],
                    [20.0, 10.0],
                    [10.0, 10.0],
                    [10.0, 20.0],
                    [0.0, 20.0],
                ],
                holes: vec![],
                triangles: vec![0, 1, 2, 0, 2, 3, 0, 3, 4, 0, 4, 5],
            }],
        };
        let solid = crate::city::mesh::building(&b, [0.0; 3]);
        // Scene z is south: the map's (5, 5) is scene (5, −5).
        let down = [0.0, -1.0, 0.0];
        let hit = ray_solid([5.0, 50.0, -5.0], down, &solid).unwrap();
        assert!((hit - 38.0).abs() < 1e-4, "{hit}");
        // Over the cut corner (15, 15): inside the box, outside the building.
        assert_eq!(ray_solid([15.0, 50.0, -15.0], down, &solid), None);
        assert!(
            ray_box(
                [15.0, 50.0, -15.0],
                down,
                [0.0, 0.0, -20.0],
                [20.0, 12.0, 0.0]
            )
            .is_some()
        );
        // Level from the west at 6 m high: meets the west wall at x = 0.
        let wall = ray_solid([-30.0, 6.0, -5.0], [1.0, 0.0, 0.0], &solid).unwrap();
        assert!((wall - 30.0).abs() < 1e-4, "{wall}");
    }

    #[test]
    fn a_hundred_thousand_slots_fit_the_palette_and_colours_round_to_bytes() {
        assert_eq!(palette_rows(100_000), 98);
        assert_eq!(palette_rows(0), 1);
        assert!(palette_rows(100_000) <= 2048, "WebGL2's guaranteed size");
        assert_eq!(texel([1.0, 0.5, -0.2], true), [255, 128, 0, 255]);
        assert_eq!(texel([0.0, 0.0, 2.0], false), [0, 0, 255, 0]);
    }
}
