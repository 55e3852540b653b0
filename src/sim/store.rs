//! `Store`: a FIFO buffer between processes.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::{Interrupt, Pid, Sim};

/// Where a waiting `get` receives its item.
type Slot<T> = Rc<Cell<Option<T>>>;

struct StoreState<T> {
    capacity: usize,
    items: VecDeque<T>,
    /// Processes waiting to put, with their item.
    putters: VecDeque<(Pid, u64, T)>,
    /// Processes waiting to get, with where their item goes.
    getters: VecDeque<(Pid, u64, Slot<T>)>,
    next_op: u64,
    /// Items ever taken.
    get_count: u64,
    /// The integral of the level over time, up to `since`.
    area: f64,
    since: f64,
    created: f64,
}

impl<T> StoreState<T> {
    /// Adds the level so far to the integral; call before the level changes.
    fn touch(&mut self, now: f64) {
        self.area += self.items.len() as f64 * (now - self.since);
        self.since = now;
    }
}

/// A FIFO buffer between processes (SimPy's `Store`).
pub struct Store<T> {
    sim: Sim,
    state: Rc<RefCell<StoreState<T>>>,
}

impl<T> Clone for Store<T> {
    fn clone(&self) -> Self {
        Store {
            sim: self.sim.clone(),
            state: self.state.clone(),
        }
    }
}

impl<T: 'static> Store<T> {
    pub fn new(sim: &Sim, capacity: usize) -> Store<T> {
        Store {
            sim: sim.clone(),
            state: Rc::new(RefCell::new(StoreState {
                capacity: capacity.max(1),
                items: VecDeque::new(),
                putters: VecDeque::new(),
                getters: VecDeque::new(),
                next_op: 0,
                get_count: 0,
                area: 0.0,
                since: sim.now(),
                created: sim.now(),
            })),
        }
    }

    pub fn len(&self) -> usize {
        self.state.borrow().items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[cfg(test)]
    /// Items taken out so far.
    pub fn taken(&self) -> u64 {
        self.state.borrow().get_count
    }

    /// The time-weighted mean level since the store was made.
    pub fn mean_level(&self) -> f64 {
        let now = self.sim.now();
        let st = self.state.borrow();
        let area = st.area + st.items.len() as f64 * (now - st.since);
        if now > st.created {
            area / (now - st.created)
        } else {
            st.items.len() as f64
        }
    }

    /// Puts an item in without waiting when there is room (setting up a
    /// run's initial state); gives it back when the store is full.
    pub fn try_put(&self, item: T) -> Result<(), T> {
        let mut st = self.state.borrow_mut();
        if st.items.len() >= st.capacity {
            return Err(item);
        }
        st.touch(self.sim.now());
        st.items.push_back(item);
        drop(st);
        self.settle();
        Ok(())
    }

    /// Waits for room, then adds the item at the back.
    pub fn put(&self, item: T) -> Put<T> {
        Put {
            store: self.clone(),
            item: Some(item),
            op: None,
        }
    }

    /// Waits for an item, then takes it from the front.
    pub fn get(&self) -> Get<T> {
        Get {
            store: self.clone(),
            slot: Rc::new(Cell::new(None)),
            op: None,
        }
    }

    /// Moves items from waiting putters in, and out to waiting getters.
    fn settle(&self) {
        let mut st = self.state.borrow_mut();
        st.touch(self.sim.now());
        loop {
            let mut moved = false;
            while st.items.len() < st.capacity {
                let Some((pid, _, item)) = st.putters.pop_front() else {
                    break;
                };
                st.items.push_back(item);
                self.sim.state().wake(pid);
                moved = true;
            }
            while !st.items.is_empty() {
                let Some((pid, _, slot)) = st.getters.pop_front() else {
                    break;
                };
                slot.set(st.items.pop_front());
                st.get_count += 1;
                self.sim.state().wake(pid);
                moved = true;
            }
            if !moved {
                break;
            }
        }
    }
}

/// `store.put(item).await`
pub struct Put<T> {
    store: Store<T>,
    item: Option<T>,
    op: Option<u64>,
}

// The item is moved in and out, never pinned.
impl<T> Unpin for Put<T> {}

impl<T: 'static> Future for Put<T> {
    type Output = Result<(), Interrupt>;
    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Some(op) = this.op else {
            let (pid, _) = this.store.sim.state().begin_wait();
            let mut st = this.store.state.borrow_mut();
            st.next_op += 1;
            let op = st.next_op;
            this.op = Some(op);
            let item = this.item.take().expect("put once");
            st.putters.push_back((pid, op, item));
            drop(st);
            this.store.settle();
            return Poll::Pending;
        };
        match this.store.sim.resumed() {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(i)) => {
                // Interrupted: if the item is still waiting, take it back out.
                let mut st = this.store.state.borrow_mut();
                st.putters.retain(|(_, o, _)| *o != op);
                Poll::Ready(Err(i))
            }
            None => Poll::Pending,
        }
    }
}

/// `store.get().await`
pub struct Get<T> {
    store: Store<T>,
    slot: Slot<T>,
    op: Option<u64>,
}

impl<T> Unpin for Get<T> {}

impl<T: 'static> Future for Get<T> {
    type Output = Result<T, Interrupt>;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(op) = self.op else {
            let (pid, _) = self.store.sim.state().begin_wait();
            let store = self.store.clone();
            let mut st = store.state.borrow_mut();
            st.next_op += 1;
            let op = st.next_op;
            self.op = Some(op);
            st.getters.push_back((pid, op, self.slot.clone()));
            drop(st);
            store.settle();
            return Poll::Pending;
        };
        match self.store.sim.resumed() {
            Some(Ok(())) => match self.slot.take() {
                Some(item) => Poll::Ready(Ok(item)),
                None => Poll::Pending,
            },
            Some(Err(i)) => {
                let mut st = self.store.state.borrow_mut();
                st.getters.retain(|(_, o, _)| *o != op);
                // An item already handed over goes back to the front.
                if let Some(item) = self.slot.take() {
                    st.touch(self.store.sim.now());
                    st.items.push_front(item);
                    st.get_count -= 1;
                }
                drop(st);
                self.store.settle();
                Poll::Ready(Err(i))
            }
            None => Poll::Pending,
        }
    }
}
