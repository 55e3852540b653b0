use std::cell::RefCell;
use std::rc::Rc;

use super::*;

mod order;

/// A shared log of (time, what) lines.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<(f64, String)>>>);

impl Log {
    fn say(&self, sim: &Sim, what: impl Into<String>) {
        self.0.borrow_mut().push((sim.now(), what.into()));
    }
    fn lines(&self) -> Vec<(f64, String)> {
        self.0.borrow().clone()
    }
}

fn l(t: f64, s: &str) -> (f64, String) {
    (t, s.to_string())
}

#[test]
fn simultaneous_events_run_in_the_order_they_were_scheduled() {
    let sim = Sim::new();
    let log = Log::default();
    for name in ["a", "b", "c"] {
        let (s, log) = (sim.clone(), log.clone());
        sim.spawn(async move {
            log.say(&s, format!("{name} starts"));
            s.timeout(5.0).await.unwrap();
            log.say(&s, format!("{name} at 5"));
            s.timeout(0.0).await.unwrap();
            log.say(&s, format!("{name} after a zero wait"));
        });
    }
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(0.0, "a starts"),
            l(0.0, "b starts"),
            l(0.0, "c starts"),
            l(5.0, "a at 5"),
            l(5.0, "b at 5"),
            l(5.0, "c at 5"),
            l(5.0, "a after a zero wait"),
            l(5.0, "b after a zero wait"),
            l(5.0, "c after a zero wait"),
        ]
    );
    // 3 starts + 3 timeouts of 5 + 3 of 0.
    assert_eq!(sim.events(), 9);
}

#[test]
fn an_interrupt_ends_a_timeout_early_and_goes_before_other_events_then() {
    let sim = Sim::new();
    let log = Log::default();
    let (s, lg) = (sim.clone(), log.clone());
    let worker = sim.spawn(async move {
        let start = s.now();
        match s.timeout(10.0).await {
            Ok(()) => lg.say(&s, "done"),
            Err(i) => {
                lg.say(
                    &s,
                    format!(
                        "interrupted by {:?}, {} left",
                        i.cause,
                        10.0 - (s.now() - start)
                    ),
                );
                s.timeout(1.0).await.unwrap();
                lg.say(&s, "back to work");
            }
        }
    });
    // A process that also wakes at 3, scheduled before the interrupt: the
    // interrupt is urgent, so the worker hears of it first.
    let (s, lg) = (sim.clone(), log.clone());
    sim.spawn(async move {
        s.timeout(3.0).await.unwrap();
        lg.say(&s, "bystander at 3");
    });
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(3.0).await.unwrap();
        s.interrupt(worker, Cause::Signal(7));
    });
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(3.0, "bystander at 3"),
            l(3.0, "interrupted by Signal(7), 7 left"),
            l(4.0, "back to work"),
        ]
    );
    // The cancelled timeout at 10 still comes off the queue, as in SimPy,
    // but wakes no one.
    assert_eq!(sim.now(), 10.0);
    assert!(sim.is_done(worker));
}

#[test]
fn a_resource_serves_by_priority_then_arrival() {
    let sim = Sim::new();
    let res = Resource::new(&sim, 1);
    let log = Log::default();
    // (name, arrives at, priority)
    for (name, at, prio) in [
        ("first", 0.0, 5),
        ("low", 1.0, 9),
        ("high", 2.0, 1),
        ("high2", 2.5, 1),
    ] {
        let (s, r, log) = (sim.clone(), res.clone(), log.clone());
        sim.spawn(async move {
            s.timeout(at).await.unwrap();
            let _g = r.request(prio, false).await.unwrap();
            log.say(&s, name);
            s.timeout(10.0).await.unwrap();
        });
    }
    sim.run_until(2.9);
    assert_eq!((res.count(), res.queued()), (1, 3));
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(0.0, "first"),
            l(10.0, "high"),
            l(20.0, "high2"),
            l(30.0, "low")
        ]
    );
    assert_eq!((res.count(), res.queued()), (0, 0));
}

#[test]
fn a_preempting_request_displaces_a_lower_priority_user_only() {
    let sim = Sim::new();
    let crew = Resource::new(&sim, 1);
    let log = Log::default();
    let (s, r, lg) = (sim.clone(), crew.clone(), log.clone());
    let odd_job = sim.spawn(async move {
        let _g = r.request(2, true).await.unwrap();
        if let Err(i) = s.timeout(30.0).await {
            lg.say(&s, format!("odd job stopped: {:?}", i.cause));
        }
    });
    // Same priority as the user: waits, no pre-emption.
    let (s, r, lg) = (sim.clone(), crew.clone(), log.clone());
    sim.spawn(async move {
        s.timeout(1.0).await.unwrap();
        let _g = r.request(2, true).await.unwrap();
        lg.say(&s, "second odd job");
        s.timeout(30.0).await.ok();
    });
    let (s, r, lg) = (sim.clone(), crew.clone(), log.clone());
    let repair = sim.spawn(async move {
        s.timeout(4.0).await.unwrap();
        let _g = r.request(1, true).await.unwrap();
        lg.say(&s, "repair starts");
        s.timeout(10.0).await.unwrap();
        lg.say(&s, "repair done");
    });
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(
                4.0,
                &format!(
                    "odd job stopped: {:?}",
                    Cause::Preempted {
                        by: repair,
                        usage_since: 0.0
                    }
                )
            ),
            l(4.0, "repair starts"),
            l(14.0, "repair done"),
            l(14.0, "second odd job"),
        ]
    );
    assert!(sim.is_done(odd_job));
}

#[test]
fn an_interrupted_request_leaves_the_queue_and_a_granted_one_is_released() {
    let sim = Sim::new();
    let res = Resource::new(&sim, 1);
    let log = Log::default();
    let (s, r) = (sim.clone(), res.clone());
    sim.spawn(async move {
        let _g = r.request(0, false).await.unwrap();
        s.timeout(10.0).await.unwrap();
    });
    let (s, r, lg) = (sim.clone(), res.clone(), log.clone());
    let waiter = sim.spawn(async move {
        match r.request(0, false).await {
            Ok(_) => lg.say(&s, "got it"),
            Err(_) => lg.say(&s, "gave up waiting"),
        }
    });
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(2.0).await.unwrap();
        s.interrupt(waiter, Cause::Signal(1));
    });
    sim.run_until(3.0);
    assert_eq!(res.queued(), 0, "the interrupted request left the queue");
    // Released at 10 exactly as an interrupt arrives for the process it was
    // granted to: the grant is handed back, not lost.
    let (s, r, lg) = (sim.clone(), res.clone(), log.clone());
    let late = sim.spawn(async move {
        s.timeout(7.0).await.unwrap();
        match r.request(0, false).await {
            Ok(_) => lg.say(&s, "late got it"),
            Err(_) => lg.say(&s, "late interrupted"),
        }
    });
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(7.0).await.unwrap();
        s.interrupt(late, Cause::Signal(2));
    });
    sim.run();
    assert_eq!(
        log.lines(),
        vec![l(2.0, "gave up waiting"), l(10.0, "late interrupted")]
    );
    assert_eq!(
        (res.count(), res.queued()),
        (0, 0),
        "nothing holds the resource"
    );
}

#[test]
fn a_store_buffers_between_a_fast_producer_and_a_slow_consumer() {
    let sim = Sim::new();
    let buffer: Store<u32> = Store::new(&sim, 2);
    let log = Log::default();
    let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
    sim.spawn(async move {
        for part in 1..=4 {
            b.put(part).await.unwrap();
            lg.say(&s, format!("put {part}"));
            s.timeout(1.0).await.unwrap();
        }
    });
    let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
    sim.spawn(async move {
        s.timeout(5.0).await.unwrap();
        for _ in 0..4 {
            let part = b.get().await.unwrap();
            lg.say(&s, format!("got {part}"));
            s.timeout(3.0).await.unwrap();
        }
    });
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(0.0, "put 1"),
            l(1.0, "put 2"),
            // Full at 2: part 3 waits until the consumer takes part 1 at 5,
            // and part 4 (ready at 6) until it takes part 2 at 8.
            l(5.0, "got 1"),
            l(5.0, "put 3"),
            l(8.0, "got 2"),
            l(8.0, "put 4"),
            l(11.0, "got 3"),
            l(14.0, "got 4"),
        ]
    );
    assert_eq!(buffer.taken(), 4);
    assert!(buffer.is_empty());
    // The time-weighted level, from the log: 1 part over [0, 1), 2 over
    // [1, 11), 1 over [11, 14), none until the consumer's last wait ends at
    // 17: (1 + 20 + 3) / 17.
    assert_eq!(sim.now(), 17.0);
    assert!(
        (buffer.mean_level() - 24.0 / 17.0).abs() < 1e-12,
        "{}",
        buffer.mean_level()
    );
}

/// A small random model, run twice per seed.
fn random_run(seed: u64) -> Vec<(f64, String)> {
    let sim = Sim::new();
    let res = Resource::new(&sim, 2);
    let log = Log::default();
    for k in 0..5u64 {
        let (s, r, lg) = (sim.clone(), res.clone(), log.clone());
        let mut rng = Rng::stream(seed, k);
        sim.spawn(async move {
            for _ in 0..20 {
                s.timeout(rng.exponential(3.0)).await.unwrap();
                let _g = r.request(0, false).await.unwrap();
                s.timeout(rng.gauss(2.0, 0.5).max(0.0)).await.unwrap();
                lg.say(&s, format!("job of {k}"));
            }
        });
    }
    sim.run();
    log.lines()
}

#[test]
fn a_seed_names_a_run() {
    assert_eq!(random_run(42), random_run(42));
    assert_ne!(random_run(42), random_run(43));
    assert_eq!(random_run(42).len(), 100);
}

#[test]
fn random_streams_have_the_right_moments() {
    let mut rng = Rng::stream(1, 0);
    let n = 200_000;
    let (mut s1, mut s2, mut e) = (0.0, 0.0, 0.0);
    for _ in 0..n {
        let x = rng.gauss(10.0, 2.0);
        s1 += x;
        s2 += x * x;
        e += rng.exponential(300.0);
    }
    let mean = s1 / n as f64;
    let std = (s2 / n as f64 - mean * mean).sqrt();
    // Standard errors: 2/sqrt(n) ≈ 0.0045 for the mean, 300/sqrt(n) ≈ 0.67.
    assert!((mean - 10.0).abs() < 0.02, "{mean}");
    assert!((std - 2.0).abs() < 0.02, "{std}");
    assert!((e / n as f64 - 300.0).abs() < 3.0, "{}", e / n as f64);
}

#[test]
fn an_interrupted_put_takes_its_item_back_out() {
    let sim = Sim::new();
    let buffer: Store<&str> = Store::new(&sim, 1);
    assert_eq!(buffer.try_put("a"), Ok(()));
    assert_eq!(
        buffer.try_put("full"),
        Err("full"),
        "a full store gives it back"
    );
    let log = Log::default();
    let mut putters = Vec::new();
    for item in ["b", "c"] {
        let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
        putters.push(sim.spawn(async move {
            match b.put(item).await {
                Ok(()) => lg.say(&s, format!("put {item}")),
                Err(_) => lg.say(&s, format!("gave up putting {item}")),
            }
        }));
    }
    let putter = putters[0];
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(2.0).await.unwrap();
        s.interrupt(putter, Cause::Signal(1));
    });
    let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
    sim.spawn(async move {
        s.timeout(5.0).await.unwrap();
        let first = b.get().await.unwrap();
        lg.say(&s, format!("got {first}"));
    });
    sim.run();
    // "c", still waiting, goes in when "a" is taken; "b" never does.
    assert_eq!(
        log.lines(),
        vec![
            l(2.0, "gave up putting b"),
            l(5.0, "got a"),
            l(5.0, "put c")
        ]
    );
    assert_eq!(buffer.len(), 1);
    let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
    sim.spawn(async move {
        let item = b.get().await.unwrap();
        lg.say(&s, format!("then got {item}"));
    });
    sim.run();
    assert_eq!(log.lines().last(), Some(&l(5.0, "then got c")));
}

#[test]
fn an_item_handed_to_an_interrupted_get_goes_back_to_the_front() {
    let sim = Sim::new();
    let buffer: Store<&str> = Store::new(&sim, 4);
    let log = Log::default();
    let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
    let getter = sim.spawn(async move {
        match b.get().await {
            Ok(item) => lg.say(&s, format!("got {item}")),
            Err(_) => lg.say(&s, "interrupted"),
        }
    });
    // At 7 "x" is handed to the waiting getter, "y" goes into the store,
    // and the getter is interrupted before it runs: "x" must go back in
    // front of "y", and count as not taken.
    let (s, b) = (sim.clone(), buffer.clone());
    sim.spawn(async move {
        s.timeout(7.0).await.unwrap();
        b.put("x").await.unwrap();
        b.put("y").await.unwrap();
    });
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(7.0).await.unwrap();
        s.interrupt(getter, Cause::Signal(1));
    });
    sim.run_until(8.0);
    assert_eq!(log.lines(), vec![l(7.0, "interrupted")]);
    assert_eq!((buffer.len(), buffer.taken()), (2, 0));
    assert!(!buffer.is_empty());
    let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
    sim.spawn(async move {
        for _ in 0..2 {
            let item = b.get().await.unwrap();
            lg.say(&s, format!("then got {item}"));
        }
    });
    sim.run();
    assert_eq!(
        log.lines()[1..],
        [l(8.0, "then got x"), l(8.0, "then got y")]
    );
    assert_eq!(buffer.taken(), 2);
}

#[test]
fn a_store_holds_at_least_one_and_its_mean_level_starts_at_its_level() {
    let sim = Sim::new();
    let buffer: Store<u8> = Store::new(&sim, 0);
    assert_eq!(buffer.try_put(1), Ok(()), "capacity 0 holds one");
    assert_eq!(buffer.try_put(2), Err(2));
    // No time has passed: the mean level is the level.
    assert_eq!(buffer.mean_level(), 1.0);
    let s = sim.clone();
    sim.spawn(async move { s.timeout(4.0).await.unwrap() });
    sim.run();
    assert_eq!(buffer.mean_level(), 1.0);
    // Empty from 4 to 6, one again from 6, read at 10: (4 + 0 + 4) / 10.
    let (s, b) = (sim.clone(), buffer.clone());
    sim.spawn(async move {
        b.get().await.unwrap();
        s.timeout(2.0).await.unwrap();
        b.put(3).await.unwrap();
        s.timeout(4.0).await.unwrap();
    });
    sim.run();
    assert_eq!((sim.now(), buffer.len()), (10.0, 1));
    assert!(
        (buffer.mean_level() - 0.8).abs() < 1e-12,
        "{}",
        buffer.mean_level()
    );
    // A store made at 10 counts from 10: two items from 10 to 14.
    let later: Store<u8> = Store::new(&sim, 3);
    assert_eq!((later.try_put(1), later.try_put(2)), (Ok(()), Ok(())));
    let s = sim.clone();
    sim.spawn(async move { s.timeout(4.0).await.unwrap() });
    sim.run();
    assert_eq!((sim.now(), later.mean_level()), (14.0, 2.0));
}

#[test]
fn pre_emption_displaces_the_latest_of_equal_priority_users() {
    let sim = Sim::new();
    let res = Resource::new(&sim, 2);
    let log = Log::default();
    for (name, start) in [("early", 0.0), ("late", 1.0)] {
        let (s, r, lg) = (sim.clone(), res.clone(), log.clone());
        sim.spawn(async move {
            s.timeout(start).await.unwrap();
            let _g = r.request(5, false).await.unwrap();
            match s.timeout(10.0).await {
                Ok(()) => lg.say(&s, format!("{name} done")),
                Err(_) => lg.say(&s, format!("{name} pre-empted")),
            }
        });
    }
    let (s, r, lg) = (sim.clone(), res.clone(), log.clone());
    sim.spawn(async move {
        s.timeout(3.0).await.unwrap();
        let _g = r.request(0, true).await.unwrap();
        lg.say(&s, "urgent starts");
        s.timeout(1.0).await.unwrap();
    });
    // Same priority as the users: it may not pre-empt, so it waits.
    let (s, r, lg) = (sim.clone(), res.clone(), log.clone());
    sim.spawn(async move {
        s.timeout(3.5).await.unwrap();
        let _g = r.request(5, true).await.unwrap();
        lg.say(&s, "peer starts");
    });
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(3.0, "late pre-empted"),
            l(3.0, "urgent starts"),
            l(4.0, "peer starts"),
            l(10.0, "early done"),
        ]
    );
}

#[test]
fn an_interrupted_get_leaves_the_queue_to_the_getters_behind_it() {
    let sim = Sim::new();
    let buffer: Store<&str> = Store::new(&sim, 2);
    let log = Log::default();
    let mut getters = Vec::new();
    for name in ["first", "second"] {
        let (s, b, lg) = (sim.clone(), buffer.clone(), log.clone());
        getters.push(sim.spawn(async move {
            match b.get().await {
                Ok(item) => lg.say(&s, format!("{name} got {item}")),
                Err(_) => lg.say(&s, format!("{name} gave up")),
            }
        }));
    }
    let (s, first) = (sim.clone(), getters[0]);
    sim.spawn(async move {
        s.timeout(1.0).await.unwrap();
        s.interrupt(first, Cause::Signal(1));
    });
    let (s, b) = (sim.clone(), buffer.clone());
    sim.spawn(async move {
        s.timeout(3.0).await.unwrap();
        b.put("x").await.unwrap();
    });
    sim.run();
    assert_eq!(
        log.lines(),
        vec![l(1.0, "first gave up"), l(3.0, "second got x")]
    );
    assert_eq!((buffer.len(), buffer.taken()), (0, 1));
}

/// Expected values from a Python transcription of Vigna's `splitmix64.c`
/// (which gives his published first outputs for state 0), and Python's
/// `math` for the transforms.
#[test]
fn the_streams_are_splitmix64_and_their_transforms_are_exact() {
    // Rng::new xors the seed with the increment: this is state 0.
    let mut zero = Rng::new(0x9E37_79B9_7F4A_7C15);
    let firsts = [
        0xE220_A839_7B1D_CDAF,
        0x6E78_9E6A_A1B9_65F4,
        0x06C4_5D18_8009_454F,
    ];
    assert_eq!(firsts.map(|_| zero.next_u64()), firsts);
    assert_eq!(Rng::stream(7, 3).next_u64(), 18_004_532_211_606_708_321);

    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
    let mut rng = Rng::new(42);
    assert_eq!(rng.uniform(), 0.1599103928769201);
    assert!(close(Rng::new(42).between(10.0, 20.0), 11.599103928769201));
    // Box–Muller on the first two uniforms: r·cos, then the spare r·sin;
    // then the third uniform as an exponential of mean 300.
    let mut rng = Rng::new(42);
    let (z1, z2) = (rng.normal(), rng.normal());
    assert!(close(z1, -0.34224413473833404), "{z1}");
    assert!(close(z2, 1.8839193938540328), "{z2}");
    let e = rng.exponential(300.0);
    assert!(close(e, 126.56557761454407), "{e}");
    assert!(close(
        Rng::new(42).gauss(10.0, 2.0),
        10.0 - 2.0 * 0.34224413473833404
    ));
}
