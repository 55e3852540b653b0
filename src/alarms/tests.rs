use super::*;

const RULES: Rules = Rules {
    warn: Some(75.0),
    alarm: Some(85.0),
    hysteresis: 0.5,
    min_duration_s: 2.0,
    max_rate: Some(1.0),
    forecast_horizon_s: Some(300.0),
};

fn at(time: f64, value: f64) -> Reading {
    Reading {
        time,
        value,
        rate: None,
        time_to_alarm: None,
    }
}

fn run(book: &mut AlarmBook, watch: &mut Watch, readings: &[(f64, f64)]) {
    for &(t, v) in readings {
        book.evaluate(0, &RULES, watch, &at(t, v));
    }
}

fn rules_of(book: &AlarmBook) -> Vec<(Rule, State)> {
    book.newest_first().map(|a| (a.rule, a.state)).collect()
}

#[test]
fn a_limit_must_hold_for_the_minimum_duration() {
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    // Above the alarm limit for 1.9 s, then back: nothing raised.
    run(
        &mut book,
        &mut watch,
        &[(0.0, 90.0), (1.0, 90.0), (1.9, 90.0), (2.5, 50.0)],
    );
    assert!(book.is_empty(), "{:?}", rules_of(&book));
    // Exactly 2 s: raised, with the value and time of the reading that raised it.
    run(
        &mut book,
        &mut watch,
        &[(10.0, 86.0), (11.0, 87.0), (12.0, 88.0)],
    );
    let raised: Vec<_> = book
        .newest_first()
        .map(|a| (a.rule, a.level, a.raised_at, a.value))
        .collect();
    assert_eq!(
        raised,
        vec![
            (Rule::HighHigh, Level::Alarm, 12.0, 88.0),
            (Rule::High, Level::Warn, 12.0, 88.0)
        ]
    );
}

#[test]
fn hysteresis_keeps_a_dithering_value_to_one_alarm() {
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    run(&mut book, &mut watch, &[(0.0, 86.0), (2.0, 86.0)]);
    assert_eq!(book.len(), 2);
    // 84.6 and 84.5 are within 0.5 of the limit 85: still active.
    run(
        &mut book,
        &mut watch,
        &[
            (3.0, 84.6),
            (4.0, 85.2),
            (5.0, 84.5),
            (6.0, 85.0),
            (9.0, 84.9),
        ],
    );
    assert_eq!(
        rules_of(&book),
        vec![(Rule::HighHigh, State::Active), (Rule::High, State::Active)]
    );
    // Below 84.5 it clears; warn stays (84.4 is above 75).
    run(&mut book, &mut watch, &[(10.0, 84.4)]);
    assert_eq!(
        rules_of(&book),
        vec![
            (Rule::HighHigh, State::Cleared),
            (Rule::High, State::Active)
        ]
    );
    let cleared = book.newest_first().next().unwrap();
    assert_eq!(cleared.cleared_at, Some(10.0));
    // Back up: a new alarm, after the minimum duration again.
    run(&mut book, &mut watch, &[(11.0, 85.5), (12.9, 85.5)]);
    assert_eq!(book.len(), 2);
    run(&mut book, &mut watch, &[(13.0, 85.5)]);
    assert_eq!(book.len(), 3);
}

#[test]
fn within_the_band_the_duration_clock_keeps_running() {
    // The condition started at 0 and was never turned off: the band does not reset it.
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    run(
        &mut book,
        &mut watch,
        &[(0.0, 85.0), (1.0, 84.8), (2.0, 85.1)],
    );
    assert_eq!(
        rules_of(&book),
        vec![(Rule::HighHigh, State::Active), (Rule::High, State::Active)]
    );
}

#[test]
fn lifecycle_active_acknowledged_cleared() {
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    run(&mut book, &mut watch, &[(0.0, 80.0), (2.0, 80.0)]);
    let id = book.newest_first().next().unwrap().id;
    assert!(book.acknowledge(id, 3.0));
    assert!(
        !book.acknowledge(id, 3.5),
        "only an active alarm can be acknowledged"
    );
    assert!(!book.acknowledge(999, 3.5));
    run(&mut book, &mut watch, &[(4.0, 70.0)]);
    let a = book.newest_first().next().unwrap();
    assert_eq!(
        (a.state, a.acknowledged_at, a.cleared_at, a.value),
        (State::Cleared, Some(3.0), Some(4.0), 80.0)
    );
    assert_eq!(book.open().count(), 0);
}

#[test]
fn rate_of_change_and_forecast_raise_early_warnings() {
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    let r = |t, rate, eta| Reading {
        time: t,
        value: 60.0,
        rate: Some(rate),
        time_to_alarm: eta,
    };
    for t in [0.0, 1.0, 2.0] {
        book.evaluate(0, &RULES, &mut watch, &r(t, 1.5, Some(400.0)));
    }
    assert_eq!(rules_of(&book), vec![(Rule::RateOfChange, State::Active)]);
    for t in [3.0, 4.0, 5.0] {
        book.evaluate(0, &RULES, &mut watch, &r(t, 0.5, Some(250.0)));
    }
    assert_eq!(
        rules_of(&book),
        vec![
            (Rule::Forecast, State::Active),
            (Rule::RateOfChange, State::Cleared)
        ]
    );
    assert_eq!(book.newest_first().next().unwrap().level, Level::Warn);
    book.evaluate(0, &RULES, &mut watch, &r(6.0, 0.0, None));
    assert_eq!(book.open().count(), 0);
}

#[test]
fn an_open_alarm_survives_a_renumbering_and_clears_on_its_sensor() {
    let rules = Rules {
        warn: None,
        alarm: Some(80.0),
        hysteresis: 1.0,
        min_duration_s: 0.0,
        max_rate: None,
        forecast_horizon_s: None,
    };
    let mut book = AlarmBook::default();
    let mut watch = Watch::default();
    let at = |time: f64, value: f64| Reading {
        time,
        value,
        rate: None,
        time_to_alarm: None,
    };
    book.evaluate(3, &rules, &mut watch, &at(10.0, 85.0));
    assert_eq!(book.open().count(), 1);
    // The scene is reloaded and sensor 3 is now number 7.
    book.renumber(|i| if i == 3 { 7 } else { i });
    let mut resumed = book.watch_for(7);
    assert!(book.watch_for(3).is_idle());
    assert!(!resumed.is_idle());
    // Still over the limit: no second alarm.
    book.evaluate(7, &rules, &mut resumed, &at(11.0, 86.0));
    assert_eq!(book.len(), 1);
    // Back to normal: the alarm from before the reload clears.
    book.evaluate(7, &rules, &mut resumed, &at(12.0, 50.0));
    // Nothing held any more: the memory is let go.
    assert!(resumed.is_idle());
    let a = book.newest_first().next().unwrap();
    assert_eq!(
        (a.sensor, a.state, a.cleared_at),
        (7, State::Cleared, Some(12.0))
    );
}

#[test]
fn the_default_hysteresis_is_five_percent_of_the_range() {
    // Range 20..120 (100 wide): 5 units below the 85 alarm limit clears.
    let def: crate::scene::format::SensorDef =
        ron::from_str(r#"(name: "t", unit: "°C", range: (20.0, 120.0), alarm: Some(85.0))"#)
            .unwrap();
    let rules = Rules::of(&def);
    assert_eq!(rules.hysteresis, 5.0);
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    for (t, v) in [(0.0, 86.0), (2.0, 86.0), (3.0, 80.5), (4.0, 80.01)] {
        book.evaluate(0, &rules, &mut watch, &at(t, v));
    }
    // Within 5 of the limit: still active.
    assert_eq!(rules_of(&book), vec![(Rule::HighHigh, State::Active)]);
    book.evaluate(0, &rules, &mut watch, &at(5.0, 79.99));
    assert_eq!(rules_of(&book), vec![(Rule::HighHigh, State::Cleared)]);
}

#[test]
fn a_rate_exactly_at_the_limit_is_allowed() {
    // max_rate 1.0: 1.0 a second for 3 s raises nothing; 1.0001 does.
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    let r = |t, rate| Reading {
        time: t,
        value: 60.0,
        rate: Some(rate),
        time_to_alarm: None,
    };
    for t in [0.0, 1.0, 2.0, 3.0] {
        book.evaluate(0, &RULES, &mut watch, &r(t, -1.0));
    }
    assert!(book.is_empty(), "{:?}", rules_of(&book));
    for t in [4.0, 5.0, 6.0] {
        book.evaluate(0, &RULES, &mut watch, &r(t, -1.0001));
    }
    assert_eq!(rules_of(&book), vec![(Rule::RateOfChange, State::Active)]);
}

#[test]
fn no_forecast_warning_once_the_value_is_past_its_alarm_limit() {
    // At the alarm limit itself (85) with a countdown of 10 s: high-high
    // speaks for it; the forecast rule stays quiet.
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    for t in [0.0, 1.0, 2.0, 3.0] {
        let reading = Reading {
            time: t,
            value: 85.0,
            rate: None,
            time_to_alarm: Some(10.0),
        };
        book.evaluate(0, &RULES, &mut watch, &reading);
    }
    assert_eq!(
        rules_of(&book),
        vec![(Rule::HighHigh, State::Active), (Rule::High, State::Active)]
    );
}

#[test]
fn every_alarm_has_its_own_id_and_acknowledging_one_leaves_the_other() {
    // High and high-high raised together: ids 1 and 2 (in raising order);
    // acknowledging the high-high (id 2) leaves the high active.
    let (mut book, mut watch) = (AlarmBook::default(), Watch::default());
    run(&mut book, &mut watch, &[(0.0, 90.0), (2.0, 90.0)]);
    let ids: Vec<(u64, Rule)> = book.newest_first().map(|a| (a.id, a.rule)).collect();
    assert_eq!(ids, vec![(2, Rule::HighHigh), (1, Rule::High)]);
    assert!(!book.is_empty());
    assert_eq!(book.len(), 2);
    assert!(book.acknowledge(2, 3.0));
    assert_eq!(
        rules_of(&book),
        vec![
            (Rule::HighHigh, State::Acknowledged),
            (Rule::High, State::Active)
        ]
    );
    // An id acknowledged twice, or one that does not exist: nothing to do.
    assert!(!book.acknowledge(2, 4.0));
    assert!(!book.acknowledge(9, 4.0));
}
