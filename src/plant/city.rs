//! The city the plant publishes, as plain functions of the city's clock:
//! the time of day and week, an outdoor temperature, how full buildings
//! are, and how much traffic wants each street. A simulated day passes in
//! `DAY_S` seconds of the plant's clock, so rush hours and nights show
//! within minutes; the week starts on a Monday at `START_H`.
//!
//! Buildings: heating follows the outdoor temperature (degree-hours below
//! `HEATING_BASE_C`), plugs and lights follow occupancy; the indoor
//! temperature holds its setpoint by day and sets back at night. Streets:
//! demand has a morning and an evening rush whose peak reaches outer
//! streets first in the morning (traffic heading in) and last in the
//! evening (heading out), so congestion travels along the radial streets;
//! speed falls with demand (a BPR-like curve) and lane occupancy rises.

use crate::scene::format::{BUILDING_KIND, STREET_KIND, SensorDef};

/// The kinds of the scene's hand-placed city twins the model also knows.
pub(crate) const AIR_QUALITY_KIND: &str = "air_quality";
pub(crate) const CAR_PARK_KIND: &str = "car_park";

/// Whether the city model drives a twin of this kind.
pub(crate) fn is_city_kind(kind: &str) -> bool {
    [BUILDING_KIND, STREET_KIND, AIR_QUALITY_KIND, CAR_PARK_KIND].contains(&kind)
}

/// PM2.5 (µg/m³): a background, plus traffic's share at full demand.
const PM25_BACKGROUND: f64 = 4.0;
const PM25_PER_DEMAND: f64 = 20.0;
/// NO2 (µg/m³) likewise.
const NO2_BACKGROUND: f64 = 12.0;
const NO2_PER_DEMAND: f64 = 60.0;
/// A car park's spots: between these, by its size.
const PARK_SPOTS: (f64, f64) = (200.0, 400.0);

fn pm25(demand: f64) -> f64 {
    PM25_BACKGROUND + PM25_PER_DEMAND * demand
}

fn park_total(size: f64) -> f64 {
    (PARK_SPOTS.0 + (PARK_SPOTS.1 - PARK_SPOTS.0) * (size - 0.5) * 2.0).round()
}

/// The US EPA's PM2.5 breakpoints (24-hour µg/m³, as revised in 2024) and
/// the index range each maps to.
const PM25_BREAKPOINTS: [(f64, f64, f64, f64); 6] = [
    (0.0, 9.0, 0.0, 50.0),
    (9.1, 35.4, 51.0, 100.0),
    (35.5, 55.4, 101.0, 150.0),
    (55.5, 125.4, 151.0, 200.0),
    (125.5, 225.4, 201.0, 300.0),
    (225.5, 325.4, 301.0, 500.0),
];

/// The air quality index of a PM2.5 concentration: the EPA's piecewise
/// linear interpolation, on the concentration truncated to 0.1 µg/m³.
pub(crate) fn aqi_of_pm25(pm25: f64) -> f64 {
    let c = (pm25.max(0.0) * 10.0).floor() / 10.0;
    for (c_lo, c_hi, i_lo, i_hi) in PM25_BREAKPOINTS {
        if c <= c_hi {
            return ((i_hi - i_lo) / (c_hi - c_lo) * (c - c_lo) + i_lo).round();
        }
    }
    500.0
}

/// Plant seconds per simulated day (a day in 24 minutes).
pub(crate) const DAY_S: f64 = 1_440.0;
/// The hour of the (Monday) morning the plant starts at.
pub(crate) const START_H: f64 = 6.0;
/// Outdoor temperature: a winter day's mean and half swing (°C), warmest
/// at `WARMEST_H`.
const OUTDOOR_MEAN_C: f64 = -2.0;
const OUTDOOR_SWING_C: f64 = 4.0;
const WARMEST_H: f64 = 15.0;
/// Below this outdoor temperature a building heats (°C).
pub(crate) const HEATING_BASE_C: f64 = 17.0;
/// Rush hours (h) and their width (standard deviation, h).
const MORNING_RUSH_H: f64 = 8.0;
const EVENING_RUSH_H: f64 = 16.5;
const RUSH_WIDTH_H: f64 = 1.0;
/// Hours earlier (morning) or later (evening) the rush peaks per km from
/// the centre.
pub(crate) const RUSH_TRAVEL_H_PER_KM: f64 = 0.5;
/// Demand outside the rushes, and on weekends (shares of the weekday's).
const BASE_DEMAND: f64 = 0.2;
const WEEKEND_SHARE: f64 = 0.5;

/// The city's time: hours since the start of the first Monday.
pub(crate) fn city_hours(clock_s: f64) -> f64 {
    START_H + clock_s / DAY_S * 24.0
}

/// The hour of the day (0 to 24) and whether it is a weekday.
pub(crate) fn day_hour(hours: f64) -> (f64, bool) {
    let day = (hours / 24.0).floor();
    (hours - day * 24.0, day.rem_euclid(7.0) < 5.0)
}

/// Outdoor temperature (°C) at a time of day.
pub(crate) fn outdoor_c(hour: f64) -> f64 {
    let phase = (hour - WARMEST_H) / 24.0 * std::f64::consts::TAU;
    OUTDOOR_MEAN_C + OUTDOOR_SWING_C * phase.cos()
}

/// How full a building is (0 to 1): arriving 7–9, a lunch dip, leaving
/// 16–18; a tenth at night, a third of the weekday on weekends.
pub(crate) fn occupancy(hour: f64, weekday: bool) -> f64 {
    let ramp = |from: f64, to: f64| ((hour - from) / (to - from)).clamp(0.0, 1.0);
    let day = ramp(7.0, 9.0) * (1.0 - ramp(16.0, 18.0));
    let lunch = 1.0 - 0.25 * (-(hour - 12.0).powi(2) / 0.25).exp();
    let share = if weekday { 1.0 } else { 0.3 };
    0.1 + 0.85 * day * lunch * share
}

/// Traffic demand on a street `km` from the centre (0 to 1 of capacity).
pub(crate) fn demand(hour: f64, weekday: bool, km: f64) -> f64 {
    let peak = |at: f64| (-(hour - at).powi(2) / (2.0 * RUSH_WIDTH_H.powi(2))).exp();
    let travel = RUSH_TRAVEL_H_PER_KM * km;
    let rush = peak(MORNING_RUSH_H - travel).max(peak(EVENING_RUSH_H + travel));
    let d = BASE_DEMAND + (1.0 - BASE_DEMAND) * rush;
    if weekday { d * 0.95 } else { d * WEEKEND_SHARE }
}

/// Speed as a share of free flow at a demand: 1 when empty, a quarter at
/// capacity (the BPR curve's shape, a cubic).
pub(crate) fn speed_share(demand: f64) -> f64 {
    1.0 - 0.75 * demand.clamp(0.0, 1.0).powi(3)
}

/// A building's electrical and heating load (shares of its peak): plugs
/// and lights with occupancy, heating with the degrees below
/// `HEATING_BASE_C` (25 °C below is full heating).
pub(crate) fn building_load(occupancy: f64, outdoor_c: f64) -> f64 {
    let power = 0.15 + 0.35 * occupancy;
    let heating = 0.5 * ((HEATING_BASE_C - outdoor_c) / 25.0).clamp(0.0, 1.0);
    power + heating
}

/// The indoor temperature a building's controls aim for (°C): 21 while
/// occupied, set back to 19.5 when empty, a little lower on cold days.
pub(crate) fn indoor_setpoint_c(occupancy: f64, outdoor_c: f64) -> f64 {
    let occupied = ((occupancy - 0.1) / 0.5).clamp(0.0, 1.0);
    19.5 + 1.5 * occupied - 0.02 * (HEATING_BASE_C - outdoor_c).max(0.0)
}

/// The city's time and what follows from it alone, worked out once per
/// plant step for every reading.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CityNow {
    hour: f64,
    weekday: bool,
    outdoor_c: f64,
    occupancy: f64,
}

impl CityNow {
    /// At `clock_s` seconds of the plant's clock.
    pub(crate) fn at(clock_s: f64) -> CityNow {
        let (hour, weekday) = day_hour(city_hours(clock_s));
        CityNow {
            hour,
            weekday,
            outdoor_c: outdoor_c(hour),
            occupancy: occupancy(hour, weekday),
        }
    }
}

/// What a city twin's sensor reports (by its name; see docs/city.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CityValue {
    Energy,
    Indoor,
    Occupancy,
    Intensity,
    Speed,
    LaneOccupancy,
    Pm25,
    No2,
    Aqi,
    ParkAvailable,
    ParkTotal,
}

impl CityValue {
    pub(crate) fn of(kind: &str, sensor: &SensorDef) -> Option<CityValue> {
        let n = sensor.name.to_ascii_lowercase();
        let has = |w: &str| n.contains(w);
        match kind {
            BUILDING_KIND if has("energy") || has("power") => Some(CityValue::Energy),
            BUILDING_KIND if has("temp") => Some(CityValue::Indoor),
            BUILDING_KIND if has("occupancy") => Some(CityValue::Occupancy),
            STREET_KIND if has("speed") => Some(CityValue::Speed),
            STREET_KIND if has("intensity") || has("flow") => Some(CityValue::Intensity),
            STREET_KIND if has("occupancy") => Some(CityValue::LaneOccupancy),
            AIR_QUALITY_KIND if has("pm2") => Some(CityValue::Pm25),
            AIR_QUALITY_KIND if has("no2") => Some(CityValue::No2),
            AIR_QUALITY_KIND if has("aqi") || has("index") => Some(CityValue::Aqi),
            CAR_PARK_KIND if has("available") => Some(CityValue::ParkAvailable),
            CAR_PARK_KIND if has("total") => Some(CityValue::ParkTotal),
            _ => None,
        }
    }

    /// Whole numbers (spots, the index): rounded, without noise.
    pub(crate) fn is_count(self) -> bool {
        matches!(
            self,
            CityValue::Aqi | CityValue::ParkAvailable | CityValue::ParkTotal
        )
    }

    /// Seconds a reading takes to follow the model (a building's thermal
    /// mass, a street's quick response).
    pub(crate) fn lag_s(self) -> f64 {
        match self {
            CityValue::Energy => 20.0,
            CityValue::Indoor => 60.0,
            // Pollution disperses slowly; a car park fills over minutes.
            CityValue::Pm25 | CityValue::Aqi => 45.0,
            CityValue::No2 => 20.0,
            CityValue::ParkAvailable => 30.0,
            _ => 5.0,
        }
    }

    /// Where the model puts the reading `now`, in its range `lo..hi`;
    /// `size` (0.5 to 1) is the building's or street's share of the
    /// biggest, `km` its distance from the centre.
    pub(crate) fn target(self, now: &CityNow, lo: f64, hi: f64, size: f64, km: f64) -> f64 {
        let CityNow {
            hour,
            weekday,
            outdoor_c: out_c,
            occupancy: occ,
        } = *now;
        let d = demand(hour, weekday, km);
        let span = hi - lo;
        match self {
            CityValue::Energy => lo + span * size * building_load(occ, out_c),
            CityValue::Indoor => indoor_setpoint_c(occ, out_c).clamp(lo, hi),
            CityValue::Occupancy => lo + span * occ,
            CityValue::Intensity => lo + span * size * d,
            CityValue::Speed => lo + span * 0.9 * speed_share(d),
            CityValue::LaneOccupancy => lo + span * 0.7 * d,
            CityValue::Pm25 => pm25(d),
            CityValue::No2 => NO2_BACKGROUND + NO2_PER_DEMAND * d,
            CityValue::Aqi => aqi_of_pm25(pm25(d)),
            CityValue::ParkTotal => park_total(size),
            CityValue::ParkAvailable => {
                let fill = 0.1 + 0.85 * occ;
                (park_total(size) * (1.0 - fill)).round()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_follows_the_epa_breakpoints() {
        // Worked from the table: 9.0 → 50; 35.4 → 100; 12.0 → 51 + 49/26.3 ×
        // 2.9 = 56.4 → 56; 55.4 → 150; 9.05 truncates to 9.0 → 50.
        assert_eq!(aqi_of_pm25(9.0), 50.0);
        assert_eq!(aqi_of_pm25(35.4), 100.0);
        assert_eq!(aqi_of_pm25(12.0), 56.0);
        assert_eq!(aqi_of_pm25(55.4), 150.0);
        assert_eq!(aqi_of_pm25(9.05), 50.0);
        assert_eq!(aqi_of_pm25(0.0), 0.0);
        assert_eq!(aqi_of_pm25(400.0), 500.0);
    }

    #[test]
    fn pollution_follows_traffic_and_car_parks_fill_by_day() {
        let at = |v: CityValue, clock_s: f64| v.target(&CityNow::at(clock_s), 0.0, 400.0, 1.0, 0.0);
        // 08:00 Monday (the morning rush in the centre) against 03:00 Tuesday.
        let (rush, night) = (
            (8.0 - START_H) / 24.0 * DAY_S,
            (27.0 - START_H) / 24.0 * DAY_S,
        );
        assert!(at(CityValue::Pm25, rush) > at(CityValue::Pm25, night) + 10.0);
        assert!(at(CityValue::No2, rush) > at(CityValue::No2, night) + 30.0);
        // The biggest car park has 400 spots; at 11:00 it is 90% full.
        assert_eq!(at(CityValue::ParkTotal, rush), 400.0);
        let eleven = (11.0 - START_H) / 24.0 * DAY_S;
        let fill = 0.1 + 0.85 * occupancy(11.0, true);
        assert_eq!(
            at(CityValue::ParkAvailable, eleven),
            (400.0 * (1.0 - fill)).round()
        );
        assert!(at(CityValue::ParkAvailable, night) > 300.0);
    }

    #[test]
    fn the_clock_starts_monday_at_six_and_a_day_takes_24_minutes() {
        assert_eq!(day_hour(city_hours(0.0)), (6.0, true));
        assert_eq!(day_hour(city_hours(DAY_S / 4.0)), (12.0, true));
        // Saturday 06:00 is five days on.
        assert_eq!(day_hour(city_hours(5.0 * DAY_S)), (6.0, false));
        assert_eq!(day_hour(city_hours(7.0 * DAY_S)), (6.0, true));
    }

    #[test]
    fn the_afternoon_is_warmest_and_the_small_hours_coldest() {
        assert!((outdoor_c(15.0) - 2.0).abs() < 1e-12);
        assert!((outdoor_c(3.0) + 6.0).abs() < 1e-12);
    }

    #[test]
    fn offices_fill_by_day_on_weekdays_only() {
        assert!((occupancy(3.0, true) - 0.1).abs() < 1e-12);
        assert!(occupancy(10.0, true) > 0.9);
        assert!(occupancy(12.0, true) < occupancy(10.0, true));
        assert!(occupancy(10.0, false) < 0.4);
    }

    #[test]
    fn the_morning_rush_reaches_outer_streets_first_and_the_evening_last() {
        // At 07:00 a street 2 km out (its peak at 07:00) is busier than the
        // centre (peak at 08:00); at 17:30 the reverse.
        assert!(demand(7.0, true, 2.0) > demand(7.0, true, 0.0));
        assert!((demand(7.0, true, 2.0) - 0.95).abs() < 1e-9);
        assert!(demand(17.5, true, 2.0) > demand(17.5, true, 0.0));
        assert!(demand(3.0, true, 0.0) < 0.2);
        assert!(speed_share(1.0) == 0.25 && speed_share(0.0) == 1.0);
    }

    #[test]
    fn a_cold_night_heats_and_a_mild_full_day_powers() {
        // -6 °C at 03:00, 10% full: 0.15 + 0.035 + 0.5 × 23/25.
        assert!((building_load(0.1, -6.0) - (0.185 + 0.46)).abs() < 1e-12);
        assert!((building_load(0.95, 20.0) - 0.4825).abs() < 1e-12);
        assert!((indoor_setpoint_c(0.95, 17.0) - 21.0).abs() < 1e-12);
        assert!((indoor_setpoint_c(0.1, 17.0) - 19.5).abs() < 1e-12);
    }
}
