//! The order of simultaneous events, as SimPy defines it: by time, then
//! urgent (interrupts, process starts) before normal, then in the order
//! they were scheduled.

use super::*;

#[test]
fn many_simultaneous_events_keep_the_order_they_were_scheduled_in() {
    // With the schedule order lost, a few processes could still come out
    // in order by the shape of the queue's heap; 64 leave no such chance.
    let sim = Sim::new();
    let log = Log::default();
    for n in 0..64 {
        let (s, lg) = (sim.clone(), log.clone());
        sim.spawn(async move {
            lg.say(&s, format!("{n} starts"));
            s.timeout(5.0).await.unwrap();
            lg.say(&s, format!("{n} at 5"));
        });
    }
    sim.run();
    let starts = (0..64).map(|n| l(0.0, &format!("{n} starts")));
    let wakes = (0..64).map(|n| l(5.0, &format!("{n} at 5")));
    assert_eq!(log.lines(), starts.chain(wakes).collect::<Vec<_>>());
}

#[test]
fn an_interrupt_goes_before_normal_events_already_queued_for_its_time() {
    let sim = Sim::new();
    let log = Log::default();
    let (s, lg) = (sim.clone(), log.clone());
    let worker = sim.spawn(async move {
        if let Err(i) = s.timeout(10.0).await {
            lg.say(&s, format!("worker hears {:?}", i.cause));
        }
    });
    // Wakes at 3 before the bystanders (scheduled first) and interrupts
    // the worker: the interrupt, urgent, is delivered before the
    // bystanders' timeouts, which were queued for 3 long before it.
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(3.0).await.unwrap();
        s.interrupt(worker, Cause::Signal(1));
    });
    for name in ["bystander 1", "bystander 2"] {
        let (s, lg) = (sim.clone(), log.clone());
        sim.spawn(async move {
            s.timeout(3.0).await.unwrap();
            lg.say(&s, name);
        });
    }
    sim.run();
    assert_eq!(
        log.lines(),
        vec![
            l(3.0, "worker hears Signal(1)"),
            l(3.0, "bystander 1"),
            l(3.0, "bystander 2"),
        ]
    );
}

/// An interrupted wait is over: its own event, still queued, must not
/// wake the process in the wait it starts next (SimPy removes the
/// interrupted process from the event's callbacks).
#[test]
fn an_interrupted_wait_s_event_does_not_end_the_next_wait() {
    let sim = Sim::new();
    let log = Log::default();
    let (s, lg) = (sim.clone(), log.clone());
    let worker = sim.spawn(async move {
        // Interrupted at 2; the timeout of 10 stays in the queue.
        assert!(s.timeout(10.0).await.is_err());
        lg.say(&s, "interrupted");
        s.timeout(20.0).await.unwrap();
        lg.say(&s, "rested");
    });
    let s = sim.clone();
    sim.spawn(async move {
        s.timeout(2.0).await.unwrap();
        s.interrupt(worker, Cause::Signal(1));
    });
    sim.run();
    assert_eq!(log.lines(), vec![l(2.0, "interrupted"), l(22.0, "rested")]);
}

/// The queue pops the earliest (time, urgent before normal, schedule
/// order) first, and two entries are equal only when their keys are (the
/// contract `Ord` asks of `Eq`).
#[test]
fn queue_entries_order_by_time_then_urgency_then_schedule() {
    let entry = |time: f64, priority: u8, seq: u64| Entry {
        key: Entry::key(time, priority, seq),
        token: 0,
        pid: 0,
        wake: Wake::Event,
    };
    let mut heap = std::collections::BinaryHeap::new();
    for (time, priority, seq) in [
        (2.5, NORMAL, 0),
        (1.0, NORMAL, 1),
        (1.0, URGENT, 2),
        (1.0, NORMAL, 3),
        (0.0, NORMAL, 4),
    ] {
        heap.push(entry(time, priority, seq));
    }
    let popped: Vec<(f64, u64)> = std::iter::from_fn(|| heap.pop())
        .map(|e| (e.time(), (e.key & u128::from(u64::MAX >> 1)) as u64))
        .collect();
    assert_eq!(popped, [(0.0, 4), (1.0, 2), (1.0, 1), (1.0, 3), (2.5, 0)]);
    let a = entry(1.0, NORMAL, 7);
    assert!(a == entry(1.0, NORMAL, 7));
    assert!(a != entry(1.0, NORMAL, 8) && a != entry(1.0, URGENT, 7) && a != entry(2.0, NORMAL, 7));
}
