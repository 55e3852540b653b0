//! `Resource`: a capacity shared by processes, with priorities and
//! pre-emption.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{Cause, Interrupt, Pid, Sim};

struct User {
    req: u64,
    pid: Pid,
    priority: i32,
    since: f64,
}

struct Waiting {
    req: u64,
    pid: Pid,
    priority: i32,
    time: f64,
}

struct ResState {
    capacity: usize,
    users: Vec<User>,
    /// Kept in request order; the next to be served is the smallest
    /// (priority, time), ties by order.
    queue: Vec<Waiting>,
    next_req: u64,
}

/// A resource with a capacity, priorities and optional pre-emption
/// (SimPy's `Resource`, `PriorityResource` and `PreemptiveResource` in one).
#[derive(Clone)]
pub struct Resource {
    sim: Sim,
    state: Rc<RefCell<ResState>>,
}

impl Resource {
    pub fn new(sim: &Sim, capacity: usize) -> Resource {
        Resource {
            sim: sim.clone(),
            state: Rc::new(RefCell::new(ResState {
                capacity,
                users: Vec::new(),
                queue: Vec::new(),
                next_req: 0,
            })),
        }
    }

    #[cfg(test)]
    /// Requests in use.
    pub fn count(&self) -> usize {
        self.state.borrow().users.len()
    }

    #[cfg(test)]
    /// Requests waiting.
    pub fn queued(&self) -> usize {
        self.state.borrow().queue.len()
    }

    /// Waits for a unit of the resource; lower `priority` numbers are served
    /// first, and with `preempt` the request may displace a user with a
    /// larger (priority, time) key. Dropping the `Grant` releases it.
    pub fn request(&self, priority: i32, preempt: bool) -> Request {
        Request {
            res: self.clone(),
            priority,
            preempt,
            req: None,
        }
    }

    /// Gives free units to the best waiting requests.
    fn serve(&self) {
        let mut st = self.state.borrow_mut();
        while st.users.len() < st.capacity && !st.queue.is_empty() {
            let best = (0..st.queue.len())
                .min_by(|&a, &b| {
                    let (a, b) = (&st.queue[a], &st.queue[b]);
                    a.priority.cmp(&b.priority).then(a.time.total_cmp(&b.time))
                })
                .expect("not empty");
            let w = st.queue.remove(best);
            let now = self.sim.now();
            st.users.push(User {
                req: w.req,
                pid: w.pid,
                priority: w.priority,
                since: now,
            });
            self.sim.state().wake(w.pid);
        }
    }

    /// Ends a request: leaves the queue, or releases the unit it holds.
    fn cancel(&self, req: u64) {
        let mut st = self.state.borrow_mut();
        if let Some(i) = st.queue.iter().position(|w| w.req == req) {
            st.queue.remove(i);
            return;
        }
        if let Some(i) = st.users.iter().position(|u| u.req == req) {
            st.users.remove(i);
            drop(st);
            self.serve();
        }
    }
}

/// `resource.request(priority, preempt).await`
pub struct Request {
    res: Resource,
    priority: i32,
    preempt: bool,
    req: Option<u64>,
}

/// A unit of a resource, held until dropped.
pub struct Grant {
    res: Resource,
    req: u64,
}

impl Drop for Grant {
    fn drop(&mut self) {
        self.res.cancel(self.req);
    }
}

impl Future for Request {
    type Output = Result<Grant, Interrupt>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(req) = self.req else {
            let sim = self.res.sim.clone();
            let (pid, _) = sim.state().begin_wait();
            let now = sim.now();
            let res = self.res.clone();
            let mut st = res.state.borrow_mut();
            st.next_req += 1;
            let req = st.next_req;
            self.req = Some(req);
            if st.users.len() >= st.capacity && self.preempt {
                // SimPy's key: (priority, time); the largest user key goes.
                let victim = (0..st.users.len()).max_by(|&a, &b| {
                    let (a, b) = (&st.users[a], &st.users[b]);
                    a.priority
                        .cmp(&b.priority)
                        .then(a.since.total_cmp(&b.since))
                });
                if let Some(v) = victim
                    && st.users[v].priority > self.priority
                {
                    let gone = st.users.remove(v);
                    sim.interrupt(
                        gone.pid,
                        Cause::Preempted {
                            by: pid,
                            usage_since: gone.since,
                        },
                    );
                }
            }
            st.queue.push(Waiting {
                req,
                pid,
                priority: self.priority,
                time: now,
            });
            drop(st);
            res.serve();
            return Poll::Pending;
        };
        match self.res.sim.resumed() {
            Some(Ok(())) => Poll::Ready(Ok(Grant {
                res: self.res.clone(),
                req,
            })),
            Some(Err(i)) => {
                self.res.cancel(req);
                Poll::Ready(Err(i))
            }
            None => Poll::Pending,
        }
    }
}
