use super::*;
use crate::city::assemble::assemble;
use crate::city::asset::CityFile;

fn city(buildings: usize, seed: u64) -> CityFile {
    assemble(
        features(buildings, seed),
        None,
        "synthetic",
        "grid",
        "synthetic",
    )
    .unwrap()
    .0
}

/// Corners of a ring: (min, max).
fn extent(ring: &[[f64; 2]]) -> ([f64; 2], [f64; 2]) {
    ring.iter()
        .fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
            (
                [lo[0].min(p[0]), lo[1].min(p[1])],
                [hi[0].max(p[0]), hi[1].max(p[1])],
            )
        })
}

#[test]
fn a_thousand_buildings_on_a_grid_of_four_by_four_blocks_with_their_streets() {
    let file = city(1_000, 7);
    assert_eq!(file.buildings.len(), 1_000);
    // 32 plots a side → 4 blocks a side: 5 lines of 4 spans, each way.
    assert_eq!(file.streets.len(), 2 * 5 * 4);
    let ids: std::collections::HashSet<_> = file.buildings.iter().map(|b| &b.id).collect();
    assert_eq!(ids.len(), 1_000);
    // The extent: 4 blocks of 10 plots of 40 m and a 20 m street each.
    let side = 4.0 * (400.0 + 20.0);
    let [w, h] = [0, 1].map(|i| file.head.bounds.max[i] - file.head.bounds.min[i]);
    assert!(
        (w - side).abs() < 0.1 && (h - side).abs() < 0.1,
        "{w} × {h}"
    );
}

#[test]
fn the_same_seed_gives_the_same_city_and_another_seed_another() {
    let text = |seed| crate::city::asset::to_json(&city(300, seed));
    assert_eq!(text(3), text(3));
    assert_ne!(text(3), text(4));
}

#[test]
fn footprints_are_rectangles_or_ls_whose_triangles_cover_their_area() {
    let file = city(500, 11);
    let (mut ls, mut rects) = (0, 0);
    for b in &file.buildings {
        let part = &b.parts[0];
        let (lo, hi) = extent(&part.outer);
        let bbox = (hi[0] - lo[0]) * (hi[1] - lo[1]);
        // An L is its box with a quarter cut away.
        let expected = match part.outer.len() {
            4 => {
                rects += 1;
                bbox
            }
            6 => {
                ls += 1;
                0.75 * bbox
            }
            n => panic!("{}: {n} corners", b.id),
        };
        assert!(
            (b.area_m2 - expected).abs() < 0.5,
            "{}: {} vs {expected}",
            b.id,
            b.area_m2
        );
        let triangles: f64 = part
            .triangles
            .chunks(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| part.outer[t[k] as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum();
        assert!(
            (triangles - expected).abs() < 0.5,
            "{}: {triangles} vs {expected}",
            b.id
        );
        assert!((b.height_m / 3.2).fract().abs() < 1e-6 || (b.height_m / 3.2).fract() > 1.0 - 1e-6);
        assert!((6.0..=128.1).contains(&b.height_m), "{}", b.height_m);
    }
    // One in five is an L, give or take chance.
    assert!((60..=140).contains(&ls), "{ls} Ls of {}", ls + rects);
}

#[test]
fn no_building_touches_another_or_a_street() {
    let file = city(400, 5);
    let boxes: Vec<_> = file
        .buildings
        .iter()
        .map(|b| extent(&b.parts[0].outer))
        .collect();
    for (i, (lo, hi)) in boxes.iter().enumerate() {
        for (lo2, hi2) in &boxes[i + 1..] {
            let apart = hi[0] < lo2[0] || hi2[0] < lo[0] || hi[1] < lo2[1] || hi2[1] < lo[1];
            assert!(apart, "{lo:?}–{hi:?} overlaps {lo2:?}–{hi2:?}");
        }
        for s in &file.streets {
            let [a, b] = [s.lines[0][0], s.lines[0][1]];
            // Streets are axis-aligned: the box's distance from the line.
            let clear = if (a[1] - b[1]).abs() < 1e-6 {
                (lo[1] - a[1]).max(a[1] - hi[1]) >= STREET_GAP_M / 2.0
                    || hi[0] < a[0].min(b[0])
                    || lo[0] > a[0].max(b[0])
            } else {
                (lo[0] - a[0]).max(a[0] - hi[0]) >= STREET_GAP_M / 2.0
                    || hi[1] < a[1].min(b[1])
                    || lo[1] > a[1].max(b[1])
            };
            assert!(clear, "{lo:?}–{hi:?} on street {} {a:?}–{b:?}", s.id);
        }
    }
}

#[test]
fn every_street_meets_another_at_each_end() {
    let file = city(400, 5);
    let key = |p: [f64; 2]| ((p[0] * 10.0).round() as i64, (p[1] * 10.0).round() as i64);
    let mut ends = std::collections::HashMap::new();
    for s in &file.streets {
        for p in [s.lines[0][0], *s.lines[0].last().unwrap()] {
            *ends.entry(key(p)).or_insert(0) += 1;
        }
    }
    assert!(ends.values().all(|&n| n >= 2), "{ends:?}");
}
