//! A generated city for measuring scale (`twinscape import --synthetic N`):
//! N buildings on a square grid of plots, grouped ten by ten into blocks
//! with a street along every block's edge, as map features in
//! longitude/latitude so they go through the same projection,
//! triangulation and file layout (`assemble`) as a real map. Plots hold a
//! rectangle or (one in `L_SHAPE_EVERY`) a concave L; heights are levels ×
//! `LEVEL_HEIGHT_M` with an occasional tower. Seeded: the same N and seed
//! give the same file.

use super::footprint::{Height, HeightFrom, Shape};
use super::project::{LonLat, Projection};
use super::streets::{StreetClass, Tagged, class_of};
use super::{MapBuilding, MapFeatures, MapStreet};

/// The generated city's centre: Helsinki's, so it lies somewhere real.
pub(crate) const ORIGIN: LonLat = [24.9384, 60.1699];
/// A plot's side, metres: a building's footprint fits inside with room
/// around it.
pub(crate) const PLOT_M: f64 = 40.0;
/// Plots along a block's side (a block is `BLOCK_PLOTS`² plots).
pub(crate) const BLOCK_PLOTS: usize = 10;
/// Width of the street between two blocks, metres (centre line in the
/// middle).
pub(crate) const STREET_GAP_M: f64 = 20.0;
/// A footprint's sides, metres: drawn between these.
const SIDE_MIN_M: f64 = 14.0;
const SIDE_MAX_M: f64 = 34.0;
/// One plot in this many holds an L-shaped (concave) building.
const L_SHAPE_EVERY: u64 = 5;
/// Storey height, metres, as the OSM import assumes.
const LEVEL_HEIGHT_M: f64 = 3.2;
/// Levels of an ordinary building: 2 up to this.
const MAX_LEVELS: u64 = 12;
/// One building in this many is a tower of 20 to 40 levels.
const TOWER_EVERY: u64 = 200;

/// The map features of a generated city of `buildings` buildings.
pub(crate) fn features(buildings: usize, seed: u64) -> MapFeatures {
    let side = (buildings as f64).sqrt().ceil() as usize;
    let blocks = side.div_ceil(BLOCK_PLOTS).max(1);
    let pitch = BLOCK_PLOTS as f64 * PLOT_M + STREET_GAP_M;
    let extent = blocks as f64 * pitch;
    // Local metres with the city's centre at the origin.
    let corner = -extent / 2.0;
    let projection = Projection::new(ORIGIN);
    let to_lon_lat = |p: [f64; 2]| projection.lon_lat(p);
    let mut rng = SplitMix(seed);
    let mut out = MapFeatures::default();
    for n in 0..buildings {
        let (row, col) = (n / side, n % side);
        let (block_row, block_col) = (row / BLOCK_PLOTS, col / BLOCK_PLOTS);
        let x0 = corner
            + STREET_GAP_M / 2.0
            + block_col as f64 * pitch
            + (col % BLOCK_PLOTS) as f64 * PLOT_M;
        let y0 = corner
            + STREET_GAP_M / 2.0
            + block_row as f64 * pitch
            + (row % BLOCK_PLOTS) as f64 * PLOT_M;
        let ring = footprint(&mut rng, x0, y0);
        out.buildings.push(MapBuilding {
            id: format!("b-g{n}"),
            name: None,
            height: height(&mut rng),
            shapes: vec![Shape {
                outer: ring.into_iter().map(to_lon_lat).collect(),
                holes: vec![],
            }],
            multipolygon: false,
        });
    }
    let class = street_class();
    let mut id = 0;
    for line in 0..=blocks {
        let across = corner + line as f64 * pitch;
        for span in 0..blocks {
            let (a, b) = (
                corner + span as f64 * pitch,
                corner + (span + 1) as f64 * pitch,
            );
            for ends in [[[a, across], [b, across]], [[across, a], [across, b]]] {
                out.streets.push(MapStreet {
                    id: format!("s-g{id}"),
                    name: None,
                    class,
                    lanes: (class.lanes, Tagged::Missing),
                    maxspeed_kmh: (class.maxspeed_kmh, Tagged::Missing),
                    lines: vec![ends.iter().map(|&p| to_lon_lat(p)).collect()],
                });
                id += 1;
            }
        }
    }
    out
}

/// The streets' class: residential (two lanes, 30 km/h).
fn street_class() -> &'static StreetClass {
    class_of("residential").expect("residential is a street class")
}

/// A footprint inside the plot whose south-west corner is (x0, y0),
/// counter-clockwise, open: a rectangle, or an L with its north-east
/// corner cut away.
fn footprint(rng: &mut SplitMix, x0: f64, y0: f64) -> Vec<[f64; 2]> {
    let w = rng.between(SIDE_MIN_M, SIDE_MAX_M);
    let d = rng.between(SIDE_MIN_M, SIDE_MAX_M);
    let (x, y) = (x0 + (PLOT_M - w) / 2.0, y0 + (PLOT_M - d) / 2.0);
    if rng.next().is_multiple_of(L_SHAPE_EVERY) {
        let (cw, cd) = (w / 2.0, d / 2.0);
        vec![
            [x, y],
            [x + w, y],
            [x + w, y + d - cd],
            [x + w - cw, y + d - cd],
            [x + w - cw, y + d],
            [x, y + d],
        ]
    } else {
        vec![[x, y], [x + w, y], [x + w, y + d], [x, y + d]]
    }
}

fn height(rng: &mut SplitMix) -> Height {
    let levels = if rng.next().is_multiple_of(TOWER_EVERY) {
        20 + rng.next() % 21
    } else {
        2 + rng.next() % (MAX_LEVELS - 1)
    };
    Height {
        m: levels as f64 * LEVEL_HEIGHT_M,
        from: HeightFrom::Levels,
        unreadable: false,
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014): small, seeded, and good
/// enough for shapes.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [lo, hi).
    fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
#[path = "synthetic_tests.rs"]
mod tests;
