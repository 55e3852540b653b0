//! Streets: which `highway` classes are streets, and their lanes and speed
//! limits from `lanes` and `maxspeed`, or from the class when a tag is
//! missing or unreadable.
//!
//! Design: a street is the centre line of one OSM way (its stable id is
//! the way's). Only roads for vehicles count: footways, cycleways, steps,
//! paths, platforms and `service` roads (driveways, parking aisles) are
//! left out, so the city shows the network that traffic sensors watch.
//! The defaults are generic urban values, not one country's law; where the
//! map says otherwise (almost everywhere in central Helsinki) the map wins.

/// One `highway=*` class that is a street, and what it is assumed to have
/// when the way does not say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StreetClass {
    /// The `highway` value.
    pub(crate) name: &'static str,
    /// Lanes in both directions together (OSM's `lanes`).
    pub(crate) lanes: u32,
    /// Speed limit, km/h.
    pub(crate) maxspeed_kmh: f64,
}

const fn class(name: &'static str, lanes: u32, maxspeed_kmh: f64) -> StreetClass {
    StreetClass {
        name,
        lanes,
        maxspeed_kmh,
    }
}

/// The street classes and their defaults (lanes, km/h).
pub(crate) const STREET_CLASSES: &[StreetClass] = &[
    class("motorway", 4, 100.0),
    class("trunk", 4, 80.0),
    class("primary", 2, 50.0),
    class("secondary", 2, 50.0),
    class("tertiary", 2, 40.0),
    class("unclassified", 2, 40.0),
    class("residential", 2, 30.0),
    class("living_street", 1, 20.0),
    class("road", 2, 50.0),
    class("motorway_link", 1, 60.0),
    class("trunk_link", 1, 50.0),
    class("primary_link", 1, 40.0),
    class("secondary_link", 1, 40.0),
    class("tertiary_link", 1, 40.0),
];

/// More lanes than this is a typing error, not a road.
const MAX_LANES: u32 = 16;
/// km/h per mile per hour (`maxspeed=30 mph`).
const KMH_PER_MPH: f64 = 1.609_344;
/// km/h per knot (`maxspeed=5 knots`, waterways).
const KMH_PER_KNOT: f64 = 1.852;

/// The street class of a `highway` value, if it is a street.
pub(crate) fn class_of(highway: &str) -> Option<&'static StreetClass> {
    STREET_CLASSES.iter().find(|c| c.name == highway)
}

/// Whether a value came from the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tagged {
    Yes,
    Missing,
    /// There, but not a value we can read (`maxspeed=FI:urban`,
    /// `lanes=many`): the class default is used.
    Unreadable,
}

/// The way's `lanes` (the first of `2;3`), else the class default.
pub(crate) fn lanes(tag: Option<&str>, class: &StreetClass) -> (u32, Tagged) {
    let Some(tag) = tag else {
        return (class.lanes, Tagged::Missing);
    };
    match first(tag).parse::<u32>() {
        Ok(n) if (1..=MAX_LANES).contains(&n) => (n, Tagged::Yes),
        _ => (class.lanes, Tagged::Unreadable),
    }
}

/// The way's `maxspeed` in km/h (`50`, `30 mph`, `5 knots`; the first of
/// `50;30`), else the class default.
pub(crate) fn maxspeed_kmh(tag: Option<&str>, class: &StreetClass) -> (f64, Tagged) {
    let Some(tag) = tag else {
        return (class.maxspeed_kmh, Tagged::Missing);
    };
    let text = first(tag);
    let (number, factor) = if let Some(n) = text.strip_suffix("mph") {
        (n, KMH_PER_MPH)
    } else if let Some(n) = text.strip_suffix("knots") {
        (n, KMH_PER_KNOT)
    } else {
        (text.strip_suffix("km/h").unwrap_or(text), 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => (v * factor, Tagged::Yes),
        _ => (class.maxspeed_kmh, Tagged::Unreadable),
    }
}

/// The first of several `;`-separated values, trimmed.
fn first(tag: &str) -> &str {
    tag.split(';').next().unwrap_or("").trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streets_are_the_roads_for_vehicles() {
        for street in ["primary", "residential", "living_street", "tertiary_link"] {
            assert!(class_of(street).is_some(), "{street}");
        }
        for not in [
            "footway",
            "cycleway",
            "steps",
            "service",
            "path",
            "platform",
            "construction",
        ] {
            assert!(class_of(not).is_none(), "{not}");
        }
    }

    #[test]
    fn lanes_come_from_the_tag_else_the_class() {
        let primary = class_of("primary").unwrap();
        assert_eq!(lanes(Some("3"), primary), (3, Tagged::Yes));
        assert_eq!(lanes(Some("2;3"), primary), (2, Tagged::Yes));
        assert_eq!(lanes(None, primary), (2, Tagged::Missing));
        assert_eq!(lanes(Some("many"), primary), (2, Tagged::Unreadable));
        assert_eq!(lanes(Some("0"), primary), (2, Tagged::Unreadable));
        assert_eq!(
            lanes(None, class_of("living_street").unwrap()),
            (1, Tagged::Missing)
        );
    }

    #[test]
    fn maxspeed_reads_km_h_mph_and_knots() {
        let residential = class_of("residential").unwrap();
        assert_eq!(maxspeed_kmh(Some("40"), residential), (40.0, Tagged::Yes));
        assert_eq!(
            maxspeed_kmh(Some("50 km/h"), residential),
            (50.0, Tagged::Yes)
        );
        assert_eq!(
            maxspeed_kmh(Some("30;20"), residential),
            (30.0, Tagged::Yes)
        );
        let (mph, tagged) = maxspeed_kmh(Some("30 mph"), residential);
        assert!(
            (mph - 48.280_32).abs() < 1e-9 && tagged == Tagged::Yes,
            "{mph}"
        );
        assert!((maxspeed_kmh(Some("5 knots"), residential).0 - 9.26).abs() < 1e-9);
        assert_eq!(maxspeed_kmh(None, residential), (30.0, Tagged::Missing));
        assert_eq!(
            maxspeed_kmh(Some("FI:urban"), residential),
            (30.0, Tagged::Unreadable)
        );
    }
}
