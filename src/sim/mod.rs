//! A discrete-event simulation engine, in the manner of SimPy: a pure core
//! with no Bevy types.
//!
//! Processes are `async` blocks run by the engine's own executor; they read
//! like SimPy's generator functions:
//!
//! ```
//! use twinscape::sim::{Sim, Resource};
//! let sim = Sim::new();
//! let crew = Resource::new(&sim, 1);
//! let s = sim.clone();
//! sim.spawn(async move {
//!     s.timeout(5.0).await.ok();              // yield env.timeout(5)
//!     let repair = crew.request(1, true).await; // with crew.request(...) as req: yield req
//!     s.timeout(30.0).await.ok();
//!     drop(repair);                            // released, like leaving `with`
//! });
//! sim.run_until(100.0);
//! assert_eq!(sim.now(), 100.0);
//! ```
//!
//! Semantics follow SimPy's where it has them:
//! - events at the same time run in the order they were scheduled, except
//!   that interrupts and process starts are urgent and go first;
//! - a wait returns `Err(Interrupt)` when another process interrupts the
//!   waiter; the wait it was in is cancelled (a queued request leaves the
//!   queue, a granted one is released);
//! - a `Resource` has a capacity; requests queue by (priority, time, order),
//!   lower priority numbers first; a pre-empting request displaces the user
//!   with the largest (priority, time) key if its own key is smaller, and that
//!   user's process is interrupted with `Cause::Preempted`;
//! - a `Store` is a FIFO buffer with a capacity; `put` waits while it is full,
//!   `get` while it is empty.
//!
//! Randomness comes from `Rng` streams, each seeded from the run's seed and a
//! stream number, so a run is the same for the same seed whatever else
//! changes in the model.

pub mod line;
pub mod machine_shop;
mod resource;
mod rng;
mod store;
#[cfg(test)]
mod tests;

pub use resource::{Grant, Request, Resource};
pub use rng::Rng;
pub use store::{Get, Put, Store};

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

/// A process's number, in the order processes were spawned.
pub type Pid = usize;

/// Why a wait ended early.
#[derive(Debug, Clone, PartialEq)]
pub struct Interrupt {
    pub cause: Cause,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// A higher-priority request took the resource this process was using.
    Preempted { by: Pid, usage_since: f64 },
    /// `Sim::interrupt` with a model-defined code.
    Signal(u32),
}

const URGENT: u8 = 0;
const NORMAL: u8 = 1;
/// A token that matches whatever the process is waiting on (interrupts).
const ANY: u64 = u64::MAX;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Wake {
    Event,
    Interrupt,
}

struct Entry {
    /// (time, priority, sequence) in one number, so the queue compares once:
    /// a non-negative f64's bits order like its value.
    key: u128,
    token: u64,
    pid: u32,
    wake: Wake,
}

impl Entry {
    fn key(time: f64, priority: u8, seq: u64) -> u128 {
        debug_assert!(time >= 0.0);
        (u128::from(time.to_bits()) << 64) | (u128::from(priority) << 63) | u128::from(seq)
    }

    fn time(&self) -> f64 {
        f64::from_bits((self.key >> 64) as u64)
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so that `BinaryHeap` pops the earliest (time, priority, seq).
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

#[derive(Default)]
struct Proc {
    /// Bumped every time the process waits: an entry for an older wait is stale.
    token: u64,
    /// Why it was last resumed, read by the future it was waiting in.
    woke: Option<Wake>,
    interrupts: VecDeque<Interrupt>,
    done: bool,
}

#[derive(Default)]
struct State {
    now: f64,
    seq: u64,
    queue: BinaryHeap<Entry>,
    procs: Vec<Proc>,
    current: Option<Pid>,
    events: u64,
    /// The queue's top is the event being processed: the next entry scheduled
    /// replaces it (one sift instead of a pop and a push: most events are a
    /// process waking and scheduling its next wait).
    top_is_current: bool,
}

impl State {
    fn schedule(&mut self, delay: f64, priority: u8, pid: Pid, token: u64, wake: Wake) {
        self.seq += 1;
        let entry = Entry {
            key: Entry::key(self.now + delay, priority, self.seq),
            token,
            pid: pid as u32,
            wake,
        };
        if std::mem::take(&mut self.top_is_current) {
            *self.queue.peek_mut().expect("the current event is on top") = entry;
        } else {
            self.queue.push(entry);
        }
    }

    /// Wakes a waiting process now (its wait is over).
    fn wake(&mut self, pid: Pid) {
        let token = self.procs[pid].token;
        self.schedule(0.0, NORMAL, pid, token, Wake::Event);
    }

    fn current(&self) -> Pid {
        self.current
            .expect("a simulation wait was awaited outside a simulation process")
    }

    /// The running process starts a new wait; returns its token.
    fn begin_wait(&mut self) -> (Pid, u64) {
        let pid = self.current();
        let p = &mut self.procs[pid];
        p.token += 1;
        p.woke = None;
        (pid, p.token)
    }
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

struct Inner {
    state: RefCell<State>,
    tasks: RefCell<Vec<Option<Task>>>,
}

/// A simulation: its clock, its event queue and its processes. Cloning gives
/// another handle to the same simulation.
#[derive(Clone)]
pub struct Sim {
    inner: Rc<Inner>,
}

impl Default for Sim {
    fn default() -> Self {
        Sim::new()
    }
}

impl Sim {
    pub fn new() -> Sim {
        Sim {
            inner: Rc::new(Inner {
                state: RefCell::new(State::default()),
                tasks: RefCell::new(Vec::new()),
            }),
        }
    }

    fn state(&self) -> std::cell::RefMut<'_, State> {
        self.inner.state.borrow_mut()
    }

    /// The simulation clock.
    pub fn now(&self) -> f64 {
        self.inner.state.borrow().now
    }

    /// Events processed so far (process starts, timeouts, grants, interrupts).
    pub fn events(&self) -> u64 {
        self.inner.state.borrow().events
    }

    /// Starts a process now (it runs once the running one waits).
    pub fn spawn(&self, process: impl Future<Output = ()> + 'static) -> Pid {
        let mut tasks = self.inner.tasks.borrow_mut();
        let pid = tasks.len();
        tasks.push(Some(Box::pin(process)));
        let mut st = self.state();
        st.procs.push(Proc::default());
        st.schedule(0.0, URGENT, pid, ANY, Wake::Event);
        pid
    }

    #[cfg(test)]
    pub fn is_done(&self, pid: Pid) -> bool {
        self.inner
            .state
            .borrow()
            .procs
            .get(pid)
            .is_none_or(|p| p.done)
    }

    /// Interrupts `pid`'s current wait, now, before other events at this
    /// time. A finished process ignores it.
    pub fn interrupt(&self, pid: Pid, cause: Cause) {
        let mut st = self.state();
        if st.procs.get(pid).is_none_or(|p| p.done) {
            return;
        }
        st.procs[pid].interrupts.push_back(Interrupt { cause });
        st.schedule(0.0, URGENT, pid, ANY, Wake::Interrupt);
    }

    /// Waits `delay` time units. `Err` if interrupted first.
    pub fn timeout(&self, delay: f64) -> Timeout<'_> {
        debug_assert!(delay >= 0.0, "a negative delay: {delay}");
        Timeout {
            sim: self,
            delay: delay.max(0.0),
            waiting: false,
        }
    }

    /// Runs events until the next one would be after `until`; the clock then
    /// reads `until`.
    pub fn run_until(&self, until: f64) {
        while self.step_before(until) {}
        let mut st = self.state();
        if st.now < until {
            st.now = until;
        }
    }

    #[cfg(test)]
    /// Runs until no events are left.
    pub fn run(&self) {
        while self.step_before(f64::INFINITY) {}
    }

    /// Processes the next event if it is due at or before `until`.
    fn step_before(&self, until: f64) -> bool {
        let pid = {
            let mut st = self.state();
            let Some(top) = st.queue.peek() else {
                return false;
            };
            if top.time() > until {
                return false;
            }
            let (time, pid, token, wake) = (top.time(), top.pid as usize, top.token, top.wake);
            st.now = time;
            st.events += 1;
            let p = &mut st.procs[pid];
            if p.done || (token != ANY && token != p.token) {
                // A wait that was interrupted, or a process that has ended.
                st.queue.pop();
                return true;
            }
            // An interrupted wait's own entries go stale when the process
            // begins its next wait (`begin_wait` moves its token on).
            p.woke = Some(wake);
            st.top_is_current = true;
            st.current = Some(pid);
            pid
        };
        let task = self.inner.tasks.borrow_mut()[pid].take();
        let Some(mut task) = task else {
            return true;
        };
        let mut cx = Context::from_waker(Waker::noop());
        let done = task.as_mut().poll(&mut cx).is_ready();
        let mut st = self.state();
        st.current = None;
        if std::mem::take(&mut st.top_is_current) {
            // The process scheduled nothing (it waits in a queue, or ended).
            st.queue.pop();
        }
        if done {
            st.procs[pid].done = true;
        } else {
            self.inner.tasks.borrow_mut()[pid] = Some(task);
        }
        true
    }

    /// After a wait's future is polled again: `Some(Ok)` when its event came,
    /// `Some(Err)` when interrupted, `None` when it is still waiting.
    fn resumed(&self) -> Option<Result<(), Interrupt>> {
        let mut st = self.state();
        let pid = st.current();
        let p = &mut st.procs[pid];
        match p.woke.take() {
            Some(Wake::Event) => Some(Ok(())),
            Some(Wake::Interrupt) => Some(Err(p.interrupts.pop_front().unwrap_or(Interrupt {
                cause: Cause::Signal(0),
            }))),
            None => None,
        }
    }
}

/// `sim.timeout(d).await`
pub struct Timeout<'a> {
    sim: &'a Sim,
    delay: f64,
    waiting: bool,
}

impl Future for Timeout<'_> {
    type Output = Result<(), Interrupt>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        if !self.waiting {
            self.waiting = true;
            let mut st = self.sim.state();
            let (pid, token) = st.begin_wait();
            let delay = self.delay;
            st.schedule(delay, NORMAL, pid, token, Wake::Event);
            return Poll::Pending;
        }
        match self.sim.resumed() {
            Some(r) => Poll::Ready(r),
            None => Poll::Pending,
        }
    }
}
