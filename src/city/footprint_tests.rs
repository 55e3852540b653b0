//! Footprints against numbers worked by hand: the shoelace areas of an
//! L-shaped building with a square courtyard, earcut's triangle count for
//! a polygon with holes, and rings that cannot be rings.

use super::*;

/// An L-shaped building, 40 m × 40 m with the north-east quarter missing,
/// clockwise on purpose (the triangulation turns it). Shoelace by hand,
/// counter-clockwise order (0,0) (40,0) (40,20) (20,20) (20,40) (0,40):
/// Σ xᵢyᵢ₊₁ − xᵢ₊₁yᵢ = 0 + 800 + 400 + 400 + 800 + 0 = 2400 → 1200 m².
fn l_shape() -> Vec<Local> {
    vec![
        [0.0, 40.0],
        [20.0, 40.0],
        [20.0, 20.0],
        [40.0, 20.0],
        [40.0, 0.0],
        [0.0, 0.0],
    ]
}

/// A 10 m × 10 m courtyard inside the L's south-west square: 100 m²
/// (shoelace: −50 + 150 + 150 − 50 = 200 → 100), counter-clockwise.
fn courtyard() -> Vec<Local> {
    vec![[5.0, 5.0], [15.0, 5.0], [15.0, 15.0], [5.0, 15.0]]
}

fn triangle_area([a, b, c]: [Local; 3]) -> f64 {
    ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
}

#[test]
fn a_concave_footprint_with_a_courtyard_triangulates_to_its_shoelace_area() {
    let t = triangulate(
        &mut earcut::Earcut::new(),
        Shape {
            outer: l_shape(),
            holes: vec![courtyard()],
        },
    );
    // earcut triangulates a simple polygon of n points with h holes (no
    // collinear or repeated points) into n + 2h − 2 triangles:
    // 6 outer + 4 hole + 2·1 − 2 = 10.
    assert_eq!(t.triangles.len(), 3 * 10, "{:?}", t.triangles);
    assert!(
        (t.area_m2 - (1200.0 - 100.0)).abs() < 1e-9,
        "area {}",
        t.area_m2
    );
    let points: Vec<Local> = t
        .shape
        .outer
        .iter()
        .chain(&t.shape.holes[0])
        .copied()
        .collect();
    let total: f64 = t
        .triangles
        .chunks(3)
        .map(|c| triangle_area([0, 1, 2].map(|k| points[c[k] as usize])))
        .sum();
    assert!((total - 1100.0).abs() < 1e-9, "triangles cover {total} m²");
    assert!(t.deviation < 1e-12, "deviation {}", t.deviation);
    // Every corner is used, so the courtyard's walls meet the roof.
    for i in 0..points.len() as u32 {
        assert!(t.triangles.contains(&i), "point {i} is in no triangle");
    }
}

#[test]
fn rings_are_turned_outer_counter_clockwise_and_holes_clockwise() {
    let t = triangulate(
        &mut earcut::Earcut::new(),
        Shape {
            outer: l_shape(),
            holes: vec![courtyard()],
        },
    );
    assert!(twice_signed_area(&t.shape.outer) > 0.0);
    assert!(twice_signed_area(&t.shape.holes[0]) < 0.0);
    // Turned, not reshuffled: the same points in reverse order.
    let mut back = t.shape.outer.clone();
    back.reverse();
    assert_eq!(back, l_shape());
}

#[test]
fn two_courtyards_add_two_triangles_each() {
    let mut second = courtyard();
    for p in &mut second {
        p[1] += 20.0; // (5..15, 25..35), inside the L's north arm
    }
    let t = triangulate(
        &mut earcut::Earcut::new(),
        Shape {
            outer: l_shape(),
            holes: vec![courtyard(), second],
        },
    );
    // 6 + 4 + 4 + 2·2 − 2 = 16 triangles; 1200 − 100 − 100 = 1000 m².
    assert_eq!(t.triangles.len(), 3 * 16);
    assert!((t.area_m2 - 1000.0).abs() < 1e-9);
}

#[test]
fn a_ring_that_does_not_close_says_where_it_starts_and_ends() {
    let err = open_ring(&[1, 2, 3, 4], |n| format!("node {n}")).unwrap_err();
    assert_eq!(
        err,
        "the ring does not close: it starts at node 1 and ends at node 4"
    );
}

#[test]
fn a_ring_needs_three_distinct_points() {
    assert_eq!(
        open_ring(&[1, 2, 3, 1], |n| n.to_string()),
        Ok(vec![1, 2, 3])
    );
    for short in [&[1, 2, 1][..], &[1, 2, 1, 2, 1], &[7, 7]] {
        let err = open_ring(short, |n| n.to_string()).unwrap_err();
        assert!(
            err.contains("2 distinct points") || err.contains("1 distinct point"),
            "{short:?}: {err}"
        );
    }
    assert!(open_ring::<i64>(&[], |n| n.to_string()).is_err());
}

#[test]
fn height_comes_from_height_then_levels_then_the_default() {
    let h = |height, levels| {
        let h = super::height(height, levels);
        // To the micrometre: 3 × 3.2 is not 9.6 in binary.
        ((h.m * 1e6).round() / 1e6, h.from, h.unreadable)
    };
    assert_eq!(
        h(Some("12.13 m"), Some("5")),
        (12.13, HeightFrom::Height, false)
    );
    assert_eq!(h(Some("18"), None), (18.0, HeightFrom::Height, false));
    assert_eq!(h(Some("7m"), None), (7.0, HeightFrom::Height, false));
    assert_eq!(h(Some("40 ft"), None).0, 12.192);
    assert_eq!(h(Some("10'"), None).1, HeightFrom::Height);
    // 5 storeys × 3.2 m = 16 m; 3.5 × 3.2 = 11.2.
    assert_eq!(h(None, Some("5")), (16.0, HeightFrom::Levels, false));
    assert_eq!(h(None, Some("3.5")).0, 11.2);
    assert_eq!(h(None, None), (9.6, HeightFrom::Default, false));
    // Unreadable tags fall through, and say so.
    assert_eq!(h(Some("tall"), Some("4")), (12.8, HeightFrom::Levels, true));
    assert_eq!(h(None, Some("0")), (9.6, HeightFrom::Default, true));
    assert_eq!(h(Some("-3"), None), (9.6, HeightFrom::Default, true));
}
