use super::*;
use crate::scene::format::StationDef;

fn station(name: &str, machines: &[&str], cycle_s: f64, buffer: usize) -> StationDef {
    StationDef {
        name: name.into(),
        machines: machines.iter().map(|m| m.to_string()).collect(),
        cycle_s,
        cycle_sd_s: 0.0,
        mtbf_s: None,
        repair_s: 0.0,
        buffer,
        buffer_sensor: None,
    }
}

#[test]
fn a_deterministic_line_runs_at_its_bottleneck() {
    // A makes a part every 10 s, B needs 20 s: B sets the pace, A spends
    // about half its time blocked by the full buffer.
    let def = LineDef {
        crews: 1,
        stations: vec![
            station("a", &["a1"], 10.0, 2),
            station("b", &["b1"], 20.0, 1),
        ],
    };
    let line = Line::new(&def, &Start::default(), 1);
    line.run_until(1000.0);
    // First part reaches B at 10 s, then one leaves every 20 s: at 30, 50, …, 990.
    assert_eq!(line.shipped(), 49);
    let r = line.report();
    assert!((r.oee - 49.0 * 20.0 / 1000.0).abs() < 1e-9, "{}", r.oee);
    assert!((r.per_hour - 49.0 * 3.6).abs() < 1e-9);
    let a = &r.stations[0];
    assert!(
        a.blocked > 0.4 && a.blocked < 0.55,
        "A blocked {:.3}",
        a.blocked
    );
    assert_eq!(a.availability, 1.0);
    // B's buffer is full (2) nearly all the time once A gets ahead.
    let q = r.stations[1].queue_before.unwrap();
    assert!(q > 1.5 && q <= 2.0, "queue {q}");
    assert_eq!(line.state_of("b1"), Some(MachineState::Working));
}

#[test]
fn a_station_of_two_machines_paces_the_line_at_half_its_cycle() {
    // A makes a part every 10 s; B's two machines take 30 s each, so B
    // ships two parts every 30 s: b1 takes the first at 10 and ships at
    // 40, 70, …, 1000 (33), b2 the second at 20 and ships at 50, …, 980
    // (32). The line's ideal time per part is B's 30 s / 2 machines.
    let def = LineDef {
        crews: 1,
        stations: vec![
            station("a", &["a1"], 10.0, 2),
            station("b", &["b1", "b2"], 30.0, 2),
        ],
    };
    let line = Line::new(&def, &Start::default(), 1);
    line.run_until(1000.0);
    assert_eq!(line.shipped(), 65);
    let r = line.report();
    assert!((r.oee - 65.0 * 15.0 / 1000.0).abs() < 1e-9, "{}", r.oee);
    let b = &r.stations[1];
    assert!(
        (b.oee - 65.0 * 30.0 / (1000.0 * 2.0)).abs() < 1e-9,
        "{}",
        b.oee
    );
    // b1 waited 10 s for its first part, b2 20 s; A keeps ahead after.
    assert!((b.starved - 30.0 / 2000.0).abs() < 1e-9, "{}", b.starved);
}

#[test]
fn a_station_of_two_machines_blocked_behind_a_slow_one() {
    // At 10 both of A's machines finish a part: B takes one, the buffer
    // (1) the other. Their next parts, done at 20, have nowhere to go
    // until B's 1,000 s cycle ends: both are blocked from 20 to 1,000.
    let def = LineDef {
        crews: 1,
        stations: vec![
            station("a", &["a1", "a2"], 10.0, 1),
            station("b", &["b1"], 1000.0, 1),
        ],
    };
    let line = Line::new(&def, &Start::default(), 1);
    line.run_until(1000.0);
    let r = line.report();
    let a = &r.stations[0];
    assert!(
        (a.blocked - 2.0 * 980.0 / 2000.0).abs() < 1e-9,
        "{}",
        a.blocked
    );
    assert!((a.starved).abs() < 1e-9, "{}", a.starved);
    assert!((r.stations[1].starved - 10.0 / 1000.0).abs() < 1e-9);
}

/// Station a (`machines`, 10 s a part, repairs of 600 s) feeding b (5 s),
/// with a1 down for the first 300 s.
fn a1_down_for_300_s(machines: &[&str]) -> (LineDef, Start) {
    let mut a = station("a", machines, 10.0, 5);
    a.repair_s = 600.0;
    let def = LineDef {
        crews: 1,
        stations: vec![a, station("b", &["b1"], 5.0, 1)],
    };
    let start = Start {
        down: vec![("a1".into(), 300.0)],
        ..Start::default()
    };
    (def, start)
}

#[test]
fn a_machine_down_at_the_start_holds_the_line_until_repaired() {
    let (def, start) = a1_down_for_300_s(&["a1"]);
    let line = Line::new(&def, &start, 1);
    line.run_until(299.0);
    assert_eq!(line.state_of("a1"), Some(MachineState::Down));
    assert_eq!(line.shipped(), 0);
    line.run_until(1000.0);
    // Repaired at 300, then a part every 10 s reaching B 10 s later, plus 5 s at B.
    assert_eq!(line.shipped(), 69);
    let r = line.report();
    assert!((r.stations[0].down_min - 5.0).abs() < 1e-9);
    // Down 300 of the 1,000 s.
    assert!((r.stations[0].availability - 0.7).abs() < 1e-9);
    assert_eq!(r.stations[0].failures, 1.0);
}

fn factory() -> LineDef {
    let mut mill = station("milling", &["m1", "m2", "m3"], 60.0, 6);
    let mut press = station("pressing", &["p1", "p2"], 35.0, 4);
    let mut pack = station("packing", &["k1"], 18.0, 1);
    for (s, mtbf) in [
        (&mut mill, 3600.0),
        (&mut press, 2400.0),
        (&mut pack, 5400.0),
    ] {
        s.cycle_sd_s = s.cycle_s * 0.1;
        s.mtbf_s = Some(mtbf);
        s.repair_s = 600.0;
    }
    LineDef {
        crews: 1,
        stations: vec![mill, press, pack],
    }
}

#[test]
fn what_ifs_move_throughput_the_expected_way() {
    let def = factory();
    let start = Start {
        buffer_fill: 0.5,
        ..Start::default()
    };
    let eight_h = 8.0 * 3600.0;
    let run = |s: &str| what_if(&def, &start, &s.parse().unwrap(), eight_h, 20, 7).unwrap();
    let fail = run("fail:p1");
    assert!(
        fail.result.shipped < fail.baseline.shipped,
        "a press down now costs parts: {} vs {}",
        fail.result.shipped,
        fail.baseline.shipped
    );
    assert!(fail.result.stations[1].down_min > fail.baseline.stations[1].down_min);
    let crews = run("crews:2");
    assert!(crews.result.shipped >= crews.baseline.shipped);
    assert!(crews.result.stations[1].down_min <= crews.baseline.stations[1].down_min);
    let slow = run("slower:milling:1.5");
    assert!(slow.result.shipped < slow.baseline.shipped);
    // Same seeds, same baseline.
    assert_eq!(fail.baseline, crews.baseline);
    assert_eq!(run("baseline").result, run("baseline").baseline);
    // Sensible magnitudes: the mills (3 × 60 s, 20 s a part) are the
    // bottleneck, about 1,440 parts in 8 h at best; about 53 breakdowns of
    // 10 min keep the one crew busy most of the shift, so far fewer.
    assert!(
        (500.0..1440.0).contains(&fail.baseline.shipped),
        "{}",
        fail.baseline.shipped
    );
    assert!(
        crews.result.shipped > crews.baseline.shipped * 1.1,
        "a second crew helps a lot here"
    );
}

#[test]
fn scenarios_parse_and_name_what_the_line_lacks() {
    assert_eq!("fail:press-2".parse(), Ok(Scenario::Fail("press-2".into())));
    assert_eq!("crews:2".parse(), Ok(Scenario::Crews(2)));
    assert_eq!(
        "slower:pressing:1.25".parse(),
        Ok(Scenario::Slower("pressing".into(), 1.25))
    );
    for bad in [
        "crews:0",
        "slower:x:-1",
        "slower:x:0",
        "slower::2",
        "explode",
        "fail:",
    ] {
        assert!(
            bad.parse::<Scenario>()
                .unwrap_err()
                .contains("is not a scenario"),
            "{bad}"
        );
    }
    let def = factory();
    let e = what_if(
        &def,
        &Start::default(),
        &Scenario::Fail("zz".into()),
        60.0,
        1,
        1,
    )
    .unwrap_err();
    assert_eq!(e, "the line has no machine \"zz\"");
    let e = Scenario::Slower("welding".into(), 2.0)
        .apply(&def, &Start::default())
        .unwrap_err();
    assert_eq!(e, "the line has no station \"welding\"");
}

#[test]
fn buffers_start_where_their_sensors_say() {
    let def = LineDef {
        crews: 1,
        stations: vec![
            station("a", &["a1"], 10.0, 5),
            station("b", &["b1"], 10.0, 5),
            station("c", &["c1"], 10.0, 1),
        ],
    };
    let start = Start {
        buffer_fill: 0.5,
        buffers: vec![Some(4), None],
        ..Start::default()
    };
    let line = Line::new(&def, &start, 1);
    // 4 as the sensor said; 3 (half of 5, rounded) where nothing was known;
    // none after the last station.
    assert_eq!(
        (
            line.buffer_level(0),
            line.buffer_level(1),
            line.buffer_level(2)
        ),
        (Some(4), Some(3), None)
    );
    // More than fits is cut to the capacity.
    let full = Start {
        buffers: vec![Some(99), Some(0)],
        ..Start::default()
    };
    let line = Line::new(&def, &full, 1);
    assert_eq!(
        (line.buffer_level(0), line.buffer_level(1)),
        (Some(5), Some(0))
    );
    // With parts waiting, the second station starts at once: the first part
    // ships after b's and c's cycles, 20 s, not 30.
    line.run_until(20.0);
    assert_eq!(line.shipped(), 1);
}

#[test]
fn machines_wear_only_while_they_work() {
    // A works 10 s of every 100 (B is the bottleneck; A is blocked the rest
    // of the time). With a mean working time between failures of 1,000 s,
    // 10^6 s of clock time is about 10^5 s of work: about 100 failures,
    // not the 1,000 a clock-time failure process would give.
    let mut a = station("a", &["a1"], 10.0, 1);
    a.mtbf_s = Some(1000.0);
    a.repair_s = 1.0;
    let def = LineDef {
        crews: 1,
        stations: vec![a, station("b", &["b1"], 100.0, 1)],
    };
    let line = Line::new(&def, &Start::default(), 3);
    line.run_until(1e6);
    let r = line.report();
    let failures = r.stations[0].failures;
    // Poisson with mean ≈ 100: sd ≈ 10; allow 4 sd.
    assert!(
        (60.0..=140.0).contains(&failures),
        "{failures} failures in about 1e5 s of work"
    );
    let working =
        1.0 - r.stations[0].starved - r.stations[0].blocked - (1.0 - r.stations[0].availability);
    assert!(
        (working - 0.1).abs() < 0.01,
        "A works {working:.3} of the time"
    );
}

#[test]
fn a_station_s_availability_shares_its_machines_time() {
    // a1 down for the first 300 s, a2 never: 300 machine-seconds down of
    // the station's 2 × 1,000.
    let (def, start) = a1_down_for_300_s(&["a1", "a2"]);
    let line = Line::new(&def, &start, 1);
    line.run_until(1000.0);
    let a = &line.report().stations[0];
    assert!((a.down_min - 5.0).abs() < 1e-9, "{}", a.down_min);
    assert!((a.availability - 0.85).abs() < 1e-9, "{}", a.availability);
}

#[test]
fn the_mean_of_runs_averages_each_figure_of_the_line_and_its_stations() {
    let station_report = |x: f64, queue: Option<f64>| StationReport {
        name: "s".into(),
        parts: x,
        down_min: 2.0 * x,
        availability: x / 8.0,
        starved: x / 16.0,
        blocked: x / 32.0,
        oee: x / 64.0,
        failures: 3.0 * x,
        queue_before: queue,
    };
    let report = |x: f64| LineReport {
        hours: 1.0,
        shipped: x,
        per_hour: x,
        oee: x / 128.0,
        stations: vec![station_report(x, None), station_report(x, Some(x / 2.0))],
    };
    let mean = LineReport::mean(&[report(4.0), report(8.0), report(0.0)]);
    // Each figure is (4 + 8 + 0) / 3 = 4 times its factor (powers of two:
    // exact in binary).
    assert_eq!(
        mean,
        LineReport {
            hours: 1.0,
            shipped: 4.0,
            per_hour: 4.0,
            oee: 4.0 / 128.0,
            stations: vec![station_report(4.0, None), station_report(4.0, Some(2.0))],
        }
    );
}

#[test]
fn scenarios_print_as_they_are_written() {
    for text in ["baseline", "fail:p1", "crews:3", "slower:milling:1.5"] {
        let scenario: Scenario = text.parse().unwrap();
        assert_eq!(scenario.to_string(), text);
    }
}

#[test]
fn a_scenario_changes_only_what_it_names() {
    let def = factory();
    let start = Start {
        down: vec![("p1".into(), 100.0), ("m2".into(), 50.0)],
        ..Start::default()
    };
    // Failing a machine already down starts its repair again, once.
    let (_, failed) = Scenario::Fail("p1".into()).apply(&def, &start).unwrap();
    assert_eq!(
        failed.down,
        [("m2".to_string(), 50.0), ("p1".to_string(), 600.0)]
    );
    // Slower by 1.5: the mills' 60 s cycle (sd 6 s) becomes 90 s (sd 9 s).
    let (slow, _) = Scenario::Slower("milling".into(), 1.5)
        .apply(&def, &start)
        .unwrap();
    assert_eq!(slow.stations[0].cycle_s, 90.0);
    assert!((slow.stations[0].cycle_sd_s - 9.0).abs() < 1e-12);
    let pressing = |d: &LineDef| (d.stations[1].cycle_s, d.stations[1].cycle_sd_s);
    assert_eq!(pressing(&slow), pressing(&def));
}

#[test]
fn a_what_if_reports_its_horizon_and_speed() {
    let w = what_if(
        &factory(),
        &Start::default(),
        &Scenario::Crews(2),
        7200.0,
        3,
        1,
    )
    .unwrap();
    assert_eq!(
        (w.horizon_h, w.runs, w.scenario.as_str()),
        (2.0, 3, "crews:2")
    );
    // Six runs of 7,200 simulated seconds in `elapsed_ms`.
    let simulated = w.times_real_time * w.elapsed_ms / 1000.0;
    assert!(
        (simulated / (6.0 * 7200.0) - 1.0).abs() < 1e-9,
        "{simulated}"
    );
}

#[test]
fn machine_states_have_the_codes_the_docs_publish() {
    // docs/scene-format.md: 0 starved, 1 working, 2 blocked, 3 down.
    let states = [
        MachineState::Starved,
        MachineState::Working,
        MachineState::Blocked,
        MachineState::Down,
    ];
    for (code, state) in states.into_iter().enumerate() {
        assert_eq!(state.code(), code as f64);
        assert_eq!(MachineState::from_code(code as f64), Some(state));
        assert_eq!(MachineState::from_code(code as f64 + 0.4), Some(state));
    }
    for other in [-1.0, 4.0, f64::NAN] {
        assert_eq!(MachineState::from_code(other), None, "{other}");
    }
}

#[test]
fn cycle_times_vary_around_their_mean_and_stay_positive() {
    let mut rng = Rng::new(3);
    let draws: Vec<f64> = (0..20_000).map(|_| cycle(&mut rng, 10.0, 2.0)).collect();
    let n = draws.len() as f64;
    let mean = draws.iter().sum::<f64>() / n;
    let sd = (draws.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    // Standard errors: 2 / √20,000 = 0.014 for the mean, 0.01 for the sd;
    // a cut at 0 is 5 sd away and moves neither.
    assert!((mean - 10.0).abs() < 0.06, "mean {mean}");
    assert!((sd - 2.0).abs() < 0.05, "sd {sd}");
    // Half the normal's mass is below its mean of 0.5: all redrawn.
    assert!((0..1_000).all(|_| cycle(&mut rng, 0.5, 1.0) > 0.0));
    assert_eq!(cycle(&mut rng, 7.0, 0.0), 7.0);
}

#[test]
fn a_line_s_debug_names_its_clock_output_and_states() {
    let line = Line::new(&factory(), &Start::default(), 1);
    line.run_until(30.0);
    let text = format!("{line:?}");
    for part in ["now: 30.0", "shipped: 0", "(\"m1\", Working)"] {
        assert!(text.contains(part), "{part} in {text}");
    }
}

/// One machine making a part every 10 s, repairs of 100 s.
fn one_machine_repaired_in_100_s(start: &Start) -> Line {
    let mut a = station("a", &["a1"], 10.0, 1);
    a.repair_s = 100.0;
    let def = LineDef {
        crews: 1,
        stations: vec![a],
    };
    Line::new(&def, start, 1)
}

#[test]
fn a_part_broken_off_by_a_failure_is_finished_after_the_repair() {
    // Made to fail at 14 s, 4 s into its second part (begun at 10 s): down
    // from 14 to 114 s, then the part's remaining 6 s: shipped at 120 s,
    // not sooner (the part forgotten) or later (begun again).
    let start = Start {
        failing_in: vec![("a1".into(), 14.0)],
        ..Start::default()
    };
    let line = one_machine_repaired_in_100_s(&start);
    line.run_until(13.0);
    assert_eq!(line.shipped(), 1, "the first part, at 10 s");
    line.run_until(113.0);
    assert_eq!(line.state_of("a1"), Some(MachineState::Down));
    assert_eq!(line.shipped(), 1);
    line.run_until(119.0);
    assert_eq!(line.state_of("a1"), Some(MachineState::Working));
    assert_eq!(line.shipped(), 1, "6 s of the part were left at 114 s");
    line.run_until(121.0);
    assert_eq!(line.shipped(), 2);
    line.run_until(1005.0);
    // Then a part every 10 s: 130, 140, …, 1,000.
    assert_eq!(line.shipped(), 2 + 88);
    assert_eq!(line.made_by("a1"), Some(90));
    assert_eq!(line.report().stations[0].failures, 1.0);
}

#[test]
fn failing_a_machine_breaks_it_once_and_names_only_machines_of_the_line() {
    // As above, failed by hand at 14 s; failed again while down at 50 s,
    // which does not cut its repair short or start another.
    let line = one_machine_repaired_in_100_s(&Start::default());
    line.run_until(14.0);
    assert!(line.fail("a1"));
    assert!(!line.fail("zz"), "no such machine");
    line.run_until(15.0);
    assert_eq!(line.state_of("a1"), Some(MachineState::Down));
    line.run_until(50.0);
    assert!(line.fail("a1"));
    line.run_until(113.0);
    assert_eq!(line.state_of("a1"), Some(MachineState::Down));
    assert_eq!((line.made_by("a1"), line.made_by("zz")), (Some(1), None));
    line.run_until(121.0);
    assert_eq!((line.shipped(), line.made_by("a1")), (2, Some(2)));
    assert_eq!(line.report().stations[0].failures, 1.0);
}
