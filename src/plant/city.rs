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

#[cfg(test)]
mod tests {
    use super::*;

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
