//! Longitude/latitude to local metres around the area's centre, and the
//! `--crop` circle.
//!
//! Design: an equirectangular projection on the WGS84 ellipsoid's radii of
//! curvature at the origin's latitude φ0 (a "local tangent plane"):
//! `x = N(φ0)·cos φ0·(λ − λ0)` (metres east), `y = M(φ0)·(φ − φ0)` (metres
//! north), where `M` is the meridional and `N` the prime-vertical radius.
//! Using the ellipsoid's radii instead of a sphere's matters more than the
//! projection itself: at 60°N a 6,371 km sphere is 0.20 % short north–south
//! and 0.36 % short east–west (2 to 4 m per km). What remains is the
//! projection's own error, second order in the distance: measured against
//! WGS84 geodesics (geographiclib) around central Helsinki (60.17°N) a point
//! 1 km from the origin is at most 0.16 m from where it belongs, a point 2 km
//! away at most 0.63 m (its distance from the origin off by at most 0.21 m),
//! and lengths 2 km north or south of the origin are 0.055 % off (5.5 cm on a
//! 100 m façade). That is finer than OSM's own tracing, for a district.

use std::str::FromStr;

/// A longitude and latitude in degrees (WGS84), in that order, as OSM and
/// GeoJSON give them.
pub(crate) type LonLat = [f64; 2];

/// A point in local metres: x east, y north of the origin.
pub(crate) type Local = [f64; 2];

/// WGS84 semi-major axis, metres.
const WGS84_A_M: f64 = 6_378_137.0;
/// WGS84 flattening.
const WGS84_F: f64 = 1.0 / 298.257_223_563;

/// Latitudes beyond this (degrees) are refused as an origin: the projection
/// (and Web maps) stop making sense near the poles.
pub(crate) const MAX_ORIGIN_LAT_DEG: f64 = 85.0;

/// The projection around one origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Projection {
    origin: LonLat,
    /// Metres per radian of longitude at the origin: `N(φ0)·cos φ0`.
    east_m_per_rad: f64,
    /// Metres per radian of latitude at the origin: `M(φ0)`.
    north_m_per_rad: f64,
}

impl Projection {
    pub(crate) fn new(origin: LonLat) -> Projection {
        let phi0 = origin[1].to_radians();
        let e2 = WGS84_F * (2.0 - WGS84_F);
        let w = 1.0 - e2 * phi0.sin().powi(2);
        let prime_vertical = WGS84_A_M / w.sqrt();
        let meridional = WGS84_A_M * (1.0 - e2) / w.powf(1.5);
        Projection {
            origin,
            east_m_per_rad: prime_vertical * phi0.cos(),
            north_m_per_rad: meridional,
        }
    }

    /// Longitude/latitude of local metres: the inverse of `local`.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn lon_lat(&self, [x, y]: Local) -> LonLat {
        [
            self.origin[0] + (x / self.east_m_per_rad).to_degrees(),
            self.origin[1] + (y / self.north_m_per_rad).to_degrees(),
        ]
    }

    /// Local metres of a longitude/latitude.
    pub(crate) fn local(&self, [lon, lat]: LonLat) -> Local {
        [
            self.east_m_per_rad * (lon - self.origin[0]).to_radians(),
            self.north_m_per_rad * (lat - self.origin[1]).to_radians(),
        ]
    }
}

/// `--crop LON,LAT,RADIUS_M`: keep what lies within a circle.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Crop {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) radius_m: f64,
}

impl FromStr for Crop {
    type Err = String;

    fn from_str(s: &str) -> Result<Crop, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [lon, lat, radius] = parts.as_slice() else {
            return Err(format!(
                "\"{s}\" is not LON,LAT,RADIUS_M (three numbers separated by commas)"
            ));
        };
        let number = |what: &str, v: &str| {
            v.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{what} \"{v}\" is not a number"))
        };
        let crop = Crop {
            lon: number("longitude", lon)?,
            lat: number("latitude", lat)?,
            radius_m: number("radius", radius)?,
        };
        if !(-180.0..=180.0).contains(&crop.lon) {
            return Err(format!("longitude {} is outside -180..180", crop.lon));
        }
        if crop.lat.abs() > MAX_ORIGIN_LAT_DEG {
            return Err(format!(
                "latitude {} is outside -{MAX_ORIGIN_LAT_DEG}..{MAX_ORIGIN_LAT_DEG}",
                crop.lat
            ));
        }
        if crop.radius_m <= 0.0 {
            return Err(format!(
                "radius {} m must be more than 0 metres",
                crop.radius_m
            ));
        }
        Ok(crop)
    }
}

/// The parts of a polyline (local metres) that lie within `radius_m` of
/// the origin, each with at least two points. A segment that leaves and
/// re-enters the circle splits the line.
pub(crate) fn clip_line(line: &[Local], radius_m: f64) -> Vec<Vec<Local>> {
    let mut parts: Vec<Vec<Local>> = Vec::new();
    let mut current: Vec<Local> = Vec::new();
    for pair in line.windows(2) {
        let [p, q] = [pair[0], pair[1]];
        let Some((t0, t1)) = inside_span(p, q, radius_m) else {
            finish(&mut parts, &mut current);
            continue;
        };
        let at = |t: f64| [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])];
        if current.is_empty() || t0 > 0.0 {
            finish(&mut parts, &mut current);
            current.push(at(t0));
        }
        let end = at(t1);
        if current.last() != Some(&end) {
            current.push(end);
        }
        if t1 < 1.0 {
            finish(&mut parts, &mut current);
        }
    }
    finish(&mut parts, &mut current);
    parts
}

fn finish(parts: &mut Vec<Vec<Local>>, current: &mut Vec<Local>) {
    let line = std::mem::take(current);
    // A loop (a roundabout) starts and ends at the same point; a single
    // point, or one repeated, is not a line.
    if line.iter().any(|p| *p != line[0]) {
        parts.push(line);
    }
}

/// The span `t0..=t1` (within 0..=1) of the segment `p + t·(q − p)` inside
/// the circle: the roots of `|p + t·d|² = r²`.
fn inside_span(p: Local, q: Local, r: f64) -> Option<(f64, f64)> {
    let d = [q[0] - p[0], q[1] - p[1]];
    let a = d[0] * d[0] + d[1] * d[1];
    let c = p[0] * p[0] + p[1] * p[1] - r * r;
    if a == 0.0 {
        return (c <= 0.0).then_some((0.0, 1.0));
    }
    let b = 2.0 * (p[0] * d[0] + p[1] * d[1]);
    let disc = b * b - 4.0 * a * c;
    if disc <= 0.0 {
        return None;
    }
    let root = disc.sqrt();
    let t0 = ((-b - root) / (2.0 * a)).max(0.0);
    let t1 = ((-b + root) / (2.0 * a)).min(1.0);
    (t0 < t1).then_some((t0, t1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mean Earth radius (IUGG), metres: the haversine formula's sphere.
    const MEAN_EARTH_RADIUS_M: f64 = 6_371_008.8;
    /// Central Helsinki (Rautatientori), the shipped map's neighbourhood.
    const HELSINKI: LonLat = [24.9384, 60.1699];

    /// Great-circle distance on the mean sphere, metres.
    fn haversine_m(a: LonLat, b: LonLat) -> f64 {
        let (p1, p2) = (a[1].to_radians(), b[1].to_radians());
        let dp = p2 - p1;
        let dl = (b[0] - a[0]).to_radians();
        let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * MEAN_EARTH_RADIUS_M * h.sqrt().asin()
    }

    #[test]
    fn a_point_1_km_north_and_1_km_east_by_haversine_lands_near_1000_1000() {
        // 1 km north along the meridian, then 1 km east along that parallel,
        // both measured on the haversine sphere.
        let lat = HELSINKI[1] + (1000.0 / MEAN_EARTH_RADIUS_M).to_degrees();
        let half = (1000.0 / (2.0 * MEAN_EARTH_RADIUS_M)).sin() / lat.to_radians().cos();
        let lon = HELSINKI[0] + (2.0 * half.asin()).to_degrees();
        let point = [lon, lat];
        assert!((haversine_m(HELSINKI, [HELSINKI[0], lat]) - 1000.0).abs() < 1e-6);
        assert!((haversine_m([HELSINKI[0], lat], point) - 1000.0).abs() < 1e-6);
        let [x, y] = Projection::new(HELSINKI).local(point);
        // Tolerance: the sphere is not the ellipsoid. At 60.17°N WGS84's
        // radii of curvature exceed the mean radius by 0.36 % east–west
        // (6,394,264 m) and 0.20 % north–south (6,383,619 m), so a sphere's
        // kilometre is 3.6 m and 2.0 m short of the ellipsoid's; add 0.2 m
        // for the projection's own error at 1.4 km: 4 m east, 2.5 m north.
        assert!((x - 1000.0).abs() < 4.0, "east {x:.3} m, expected 1000 ± 4");
        assert!(
            (y - 1000.0).abs() < 2.5,
            "north {y:.3} m, expected 1000 ± 2.5"
        );
        // And the differences point the way the radii say (the ellipsoid's
        // metres are longer, so the sphere's kilometre projects to more).
        assert!(x > 1000.0 && y > 1000.0, "({x:.3}, {y:.3})");
    }

    #[test]
    fn a_geodesic_point_1_km_north_and_1_km_east_lands_within_the_stated_error() {
        // geographiclib (Python), Geodesic.WGS84.Direct(60.1699, 24.9384,
        // azimuth 45°, 1414.2136 m) — the point whose azimuthal-equidistant
        // coordinates are (1000, 1000) m.
        let point = [24.956_418_504_2, 60.178_874_208_0];
        let [x, y] = Projection::new(HELSINKI).local(point);
        // The projection's stated error at 1.4 km is 0.32 m (measured the
        // same way; docs/city.md).
        assert!(
            ((x - 1000.0).powi(2) + (y - 1000.0).powi(2)).sqrt() < 0.35,
            "({x:.3}, {y:.3}) should be within 0.35 m of (1000, 1000)"
        );
    }

    #[test]
    fn the_origin_is_zero_and_west_south_are_negative() {
        let p = Projection::new(HELSINKI);
        assert_eq!(p.local(HELSINKI), [0.0, 0.0]);
        let [x, y] = p.local([HELSINKI[0] - 0.01, HELSINKI[1] - 0.01]);
        assert!(x < 0.0 && y < 0.0, "({x}, {y})");
    }

    #[test]
    fn crop_reads_lon_lat_radius_and_refuses_nonsense() {
        assert_eq!(
            "24.94, 60.17,500".parse::<Crop>(),
            Ok(Crop {
                lon: 24.94,
                lat: 60.17,
                radius_m: 500.0
            })
        );
        for (bad, says) in [
            ("24.94,60.17", "LON,LAT,RADIUS_M"),
            ("24.94,north,500", "latitude \"north\""),
            ("190,60,500", "longitude 190"),
            ("24,89,500", "latitude 89"),
            ("24,60,0", "radius 0"),
            ("24,60,NaN", "radius \"NaN\""),
        ] {
            let err = bad.parse::<Crop>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn a_line_through_the_circle_is_cut_at_its_edge() {
        let parts = clip_line(&[[-300.0, 0.0], [0.0, 0.0], [300.0, 0.0]], 100.0);
        assert_eq!(parts, vec![vec![[-100.0, 0.0], [0.0, 0.0], [100.0, 0.0]]]);
    }

    #[test]
    fn a_line_that_leaves_and_comes_back_is_two_lines() {
        // In at (-50, 0), out along y = 0 to x = 100 … back in along x = 0.
        let line = [[-50.0, 0.0], [200.0, 0.0], [0.0, 200.0], [0.0, 50.0]];
        let parts = clip_line(&line, 100.0);
        assert_eq!(
            parts,
            vec![
                vec![[-50.0, 0.0], [100.0, 0.0]],
                vec![[0.0, 100.0], [0.0, 50.0]]
            ]
        );
    }

    #[test]
    fn a_line_outside_or_touching_the_circle_leaves_nothing() {
        assert!(clip_line(&[[-300.0, 200.0], [300.0, 200.0]], 100.0).is_empty());
        assert!(clip_line(&[[-300.0, 100.0], [300.0, 100.0]], 100.0).is_empty());
        assert!(clip_line(&[[5.0, 5.0]], 100.0).is_empty());
    }

    #[test]
    fn a_loop_inside_the_circle_is_kept_whole() {
        let ring = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 0.0]];
        assert_eq!(clip_line(&ring, 100.0), vec![ring.to_vec()]);
    }
}
