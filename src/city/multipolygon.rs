//! OSM multipolygons: rings joined from member ways, and each hole put
//! into the outer ring around it.
//!
//! Design: rings are joined on node ids, before any position is looked up,
//! so a relation whose ways leave a gap is an error naming those ways even
//! where the extract lacks some of their nodes. Holes are placed by
//! position (even–odd test of one of the hole's points that is not also a
//! point of the outer ring: rings may share nodes).

use super::footprint::{Shape, open_ring, twice_signed_area};

/// A ring of node ids joined from one or more ways (an OSM multipolygon's
/// members), closed (`first == last`), with the ways it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JoinedRing {
    pub(crate) ways: Vec<i64>,
    pub(crate) nodes: Vec<i64>,
}

/// Joins ways (id, node ids) end to end into closed rings, reversing a way
/// where its end meets the ring's. Fails, naming the ways, when a chain
/// cannot close or a ring has fewer than 3 points.
pub(crate) fn join_rings(ways: &[(i64, Vec<i64>)]) -> Result<Vec<JoinedRing>, String> {
    let mut unused: Vec<usize> = (0..ways.len()).collect();
    let mut rings = Vec::new();
    while !unused.is_empty() {
        let (id, refs) = &ways[unused.remove(0)];
        let mut ring = JoinedRing {
            ways: vec![*id],
            nodes: refs.clone(),
        };
        if ring.nodes.is_empty() {
            return Err(format!("member way {id} has no nodes"));
        }
        while ring.nodes.first() != ring.nodes.last() {
            let end = *ring.nodes.last().expect("not empty");
            let touching = unused.iter().position(|&i| {
                let r = &ways[i].1;
                r.first() == Some(&end) || r.last() == Some(&end)
            });
            let Some(at) = touching else {
                return Err(format!(
                    "{} do not close into a ring: it ends at node {end}, where no other member way starts or ends",
                    way_list(&ring.ways)
                ));
            };
            let (next_id, next) = &ways[unused.remove(at)];
            if next.first() == Some(&end) {
                ring.nodes.extend_from_slice(&next[1..]);
            } else {
                ring.nodes.extend(next.iter().rev().skip(1));
            }
            ring.ways.push(*next_id);
        }
        open_ring(&ring.nodes, |n| format!("node {n}"))
            .map_err(|why| format!("{}: {why}", way_list(&ring.ways)))?;
        rings.push(ring);
    }
    Ok(rings)
}

/// "way 5" or "ways 5, 6".
pub(crate) fn way_list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    match ids {
        [_] => format!("way {}", list[0]),
        _ => format!("ways {}", list.join(", ")),
    }
}

/// Whether `p` lies inside the ring (even–odd rule, a ray towards +x).
fn contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1])
            && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
        {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// Puts each hole into the smallest outer ring around it. A hole's test
/// point is its first point that is not a point of the outer ring (rings
/// may share nodes). Fails with the index of a hole that no outer holds.
pub(crate) fn nest(
    outers: Vec<Vec<[f64; 2]>>,
    holes: Vec<Vec<[f64; 2]>>,
) -> Result<Vec<Shape<[f64; 2]>>, usize> {
    let areas: Vec<f64> = outers.iter().map(|o| twice_signed_area(o).abs()).collect();
    let mut shapes: Vec<Shape<[f64; 2]>> = outers
        .into_iter()
        .map(|outer| Shape {
            outer,
            holes: Vec::new(),
        })
        .collect();
    for (index, hole) in holes.into_iter().enumerate() {
        let around = (0..shapes.len())
            .filter(|&o| {
                let outer = &shapes[o].outer;
                let probe = hole.iter().find(|p| !outer.contains(p)).unwrap_or(&hole[0]);
                contains(outer, *probe)
            })
            .min_by(|&a, &b| areas[a].total_cmp(&areas[b]));
        match around {
            Some(o) => shapes[o].holes.push(hole),
            None => return Err(index),
        }
    }
    Ok(shapes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The L-shaped building of footprint_tests.rs: 40 m × 40 m, the
    /// north-east quarter missing.
    fn l_shape() -> Vec<[f64; 2]> {
        vec![
            [0.0, 0.0],
            [40.0, 0.0],
            [40.0, 20.0],
            [20.0, 20.0],
            [20.0, 40.0],
            [0.0, 40.0],
        ]
    }

    fn square(x: f64, y: f64, side: f64) -> Vec<[f64; 2]> {
        vec![[x, y], [x + side, y], [x + side, y + side], [x, y + side]]
    }

    #[test]
    fn two_ways_join_into_one_ring_whichever_way_they_run() {
        // 1 → 2 → 3, then 3 → 4 → 1; and the second way drawn backwards.
        for second in [vec![3, 4, 1], vec![1, 4, 3]] {
            let rings = join_rings(&[(10, vec![1, 2, 3]), (11, second)]).unwrap();
            assert_eq!(
                rings,
                vec![JoinedRing {
                    ways: vec![10, 11],
                    nodes: vec![1, 2, 3, 4, 1]
                }]
            );
        }
    }

    #[test]
    fn closed_ways_stay_separate_rings() {
        let rings = join_rings(&[(1, vec![1, 2, 3, 1]), (2, vec![4, 5, 6, 4])]).unwrap();
        assert_eq!(rings.len(), 2);
        assert_eq!(rings[1].ways, vec![2]);
    }

    #[test]
    fn ways_that_leave_a_gap_name_themselves() {
        let err = join_rings(&[(10, vec![1, 2, 3]), (11, vec![3, 4, 5])]).unwrap_err();
        assert!(
            err.starts_with("ways 10, 11 do not close into a ring"),
            "{err}"
        );
        assert!(err.contains("node 5"), "{err}");
    }

    #[test]
    fn a_hole_goes_into_the_outer_ring_around_it() {
        let far: Vec<[f64; 2]> = l_shape().iter().map(|p| [p[0] + 100.0, p[1]]).collect();
        let courtyard = square(5.0, 5.0, 10.0);
        let shapes = nest(vec![far, l_shape()], vec![courtyard.clone()]).unwrap();
        assert!(shapes[0].holes.is_empty());
        assert_eq!(shapes[1].holes, vec![courtyard]);
        // A "hole" in the L's missing quarter is in no outer ring.
        assert_eq!(
            nest(vec![l_shape()], vec![square(25.0, 25.0, 10.0)]),
            Err(0)
        );
    }

    #[test]
    fn a_hole_sharing_a_corner_with_its_outer_ring_still_finds_it() {
        // The courtyard touches the L at (0, 0): its test point is another.
        let shapes = nest(vec![l_shape()], vec![square(0.0, 0.0, 10.0)]).unwrap();
        assert_eq!(shapes[0].holes.len(), 1);
    }
}
