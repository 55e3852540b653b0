//! A building's value per square metre of floor (energy use intensity):
//! its floor area is its footprint times its storeys (its height over
//! `LEVEL_HEIGHT_M`, at least one), and a value per m² is coloured on its
//! sensor's own ramp as if the building had the city's median floor area,
//! so the legend reads the sensor's range over that median.

use super::footprint::LEVEL_HEIGHT_M;

/// Floor area, m²: the footprint times the storeys.
pub(crate) fn floor_area_m2(footprint_m2: f64, height_m: f64) -> f64 {
    footprint_m2 * (height_m / LEVEL_HEIGHT_M).round().max(1.0)
}

/// The median of the positive, finite values (none when there are none).
pub(crate) fn median(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let mut v: Vec<f64> = values
        .into_iter()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// What a building's value is multiplied by to colour it per m² on its
/// sensor's ramp: the median floor area over its own.
pub(crate) fn per_m2_scale(floor_m2: f64, median_m2: f64) -> f64 {
    if floor_m2 > 0.0 {
        median_m2 / floor_m2
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_area_counts_storeys_of_3_2_m_and_at_least_one() {
        // 9.6 m is three storeys of 3.2 m; 4 m rounds to one; 1 m is one.
        assert_eq!(floor_area_m2(200.0, 9.6), 600.0);
        assert_eq!(floor_area_m2(200.0, 4.0), 200.0);
        assert_eq!(floor_area_m2(200.0, 1.0), 200.0);
        assert_eq!(floor_area_m2(150.0, 32.0), 1500.0);
    }

    #[test]
    fn the_median_skips_what_is_not_an_area() {
        assert_eq!(median([3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median([4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median([0.0, f64::NAN, 5.0]), Some(5.0));
        assert_eq!(median([]), None);
    }

    #[test]
    fn a_building_twice_the_median_shows_half_its_value() {
        // 400 kW over 2,000 m² is 200 W/m²; over the median 1,000 m² the
        // ramp's 200 kW mark is 200 W/m² too.
        let scale = per_m2_scale(2000.0, 1000.0);
        assert_eq!(400.0 * scale, 200.0);
        assert_eq!(per_m2_scale(0.0, 1000.0), 1.0);
    }
}
