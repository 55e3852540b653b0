//! What a move or a turn made in the viewer writes into the scene file: a
//! position to the millimetre and a turn to a hundredth of a degree in
//! (−180°, 180°], so a drag leaves `(-9.0, 0.0, -4.8)` in the file rather
//! than `(-9.000000476837158, …)`; and the steps snapping moves and turns by.

/// Positions are written to this step, metres (a millimetre).
pub(crate) const POSITION_STEP_M: f64 = 0.001;
/// Turns are written to this step, degrees.
pub(crate) const TURN_STEP_DEG: f64 = 0.01;
/// With snapping on, a move goes in steps of this many metres.
pub(crate) const SNAP_MOVE_M: f32 = 0.5;
/// With snapping on, a turn goes in steps of this many degrees.
pub(crate) const SNAP_TURN_DEG: f32 = 15.0;

/// `v` to the nearest multiple of `step`, without a negative zero.
fn to_step(v: f64, step: f64) -> f64 {
    // Dividing by the whole number of steps per unit (1000, not × 0.001)
    // gives the f64 nearest the multiple, which prints short (0.1, not
    // 0.10000000000000002): Rust prints the shortest text that reads back.
    let r = (v / step).round() / (1.0 / step).round();
    if r == 0.0 { 0.0 } else { r }
}

/// The RON text of a translation: `(x, y, z)`, each to the millimetre.
pub(crate) fn position_text(p: [f32; 3]) -> String {
    let [x, y, z] = p.map(|v| to_step(f64::from(v), POSITION_STEP_M));
    format!("({x:?}, {y:?}, {z:?})")
}

/// A turn in degrees, as the scene keeps it: in (−180, 180], to a
/// hundredth of a degree.
pub(crate) fn turn_deg(deg: f64) -> f64 {
    let mut d = deg.rem_euclid(360.0);
    if d > 180.0 {
        d -= 360.0;
    }
    let d = to_step(d, TURN_STEP_DEG);
    // -180 after rounding is the same turn as 180.
    if d <= -180.0 { 180.0 } else { d }
}

/// The RON text of a turn (`rotation_y_deg`).
pub(crate) fn turn_text(deg: f64) -> String {
    format!("{:?}", turn_deg(deg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_written_to_the_millimetre() {
        // f32 values as a drag leaves them: -9 plus float noise, 0.1 as f32.
        assert_eq!(position_text([-9.000_001, 0.0, -4.8]), "(-9.0, 0.0, -4.8)");
        assert_eq!(position_text([0.1, 2.5004, -0.0004]), "(0.1, 2.5, 0.0)");
        assert_eq!(position_text([12.3456, -0.0, 1e-9]), "(12.346, 0.0, 0.0)");
        // What is written reads back as the f32 it came from (to the mm).
        let text = position_text([-15.25, 0.0, 7.125]);
        let back: (f32, f32, f32) = ron::from_str(&text).unwrap();
        assert_eq!(back, (-15.25, 0.0, 7.125));
    }

    #[test]
    fn turns_are_kept_in_half_open_degrees() {
        // Worked by hand: 370° is 10°, 190° is −170°, −190° is 170°,
        // −180° and 540° are 180°; 89.996° rounds up to 90.
        for (given, kept) in [
            (370.0, 10.0),
            (190.0, -170.0),
            (-190.0, 170.0),
            (-180.0, 180.0),
            (540.0, 180.0),
            (89.996, 90.0),
            (-0.001, 0.0),
            (45.004_999, 45.0),
        ] {
            assert_eq!(turn_deg(given), kept, "{given}");
        }
        assert_eq!(turn_text(-179.999), "180.0");
        assert_eq!(turn_text(30.0_f32.to_degrees().to_radians() as f64), "30.0");
    }
}
