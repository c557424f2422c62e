//! The active queues: one FIFO per priority of the events waiting to run
//! (libevent's `activequeues`), linked through the slots, and how the run
//! of one queue goes (libevent's `event_running_priority`,
//! `event_continue`).

use super::slots::{Dequeued, Slots, NIL};

#[derive(Clone, Copy)]
struct Queue {
    head: u32,
    tail: u32,
}

const EMPTY_QUEUE: Queue = Queue {
    head: NIL,
    tail: NIL,
};

/// The active queues of one base, most urgent (0) first.
pub struct ActiveQueues {
    queues: Vec<Queue>,
    /// The queue being run, 0 when none is: an event activated in a more
    /// urgent queue ends that run early (none is more urgent than 0).
    running: usize,
    /// The run of the current queue ends after the callback that runs.
    continue_requested: bool,
}

/// One priority, as a new base has.
impl Default for ActiveQueues {
    fn default() -> ActiveQueues {
        ActiveQueues {
            queues: vec![EMPTY_QUEUE],
            running: 0,
            continue_requested: false,
        }
    }
}

impl ActiveQueues {
    pub fn npriorities(&self) -> usize {
        self.queues.len()
    }

    /// Replaces the queues, which must be empty, with `n`.
    pub fn set_npriorities(&mut self, n: usize) {
        self.queues = vec![EMPTY_QUEUE; n];
    }

    /// The queue of an event of `priority`: events keep a priority the base
    /// may no longer have (it was given fewer), and run in the last queue.
    pub fn queue_of(&self, priority: u8) -> usize {
        (priority as usize).min(self.queues.len() - 1)
    }

    /// Appends slot `s` to the queue of `priority`, to run with `res` and
    /// `ncalls`.
    pub fn push(&mut self, slots: &mut Slots, s: u32, priority: u8, res: u16, ncalls: u16) {
        let pri = self.queue_of(priority);
        if pri < self.running {
            self.continue_requested = true;
        }
        let q = &mut self.queues[pri];
        let tail = q.tail;
        q.tail = s;
        if tail == NIL {
            q.head = s;
        }
        slots.link_active(s, tail, res, ncalls);
    }

    /// Unlinks slot `s` from the queue of `priority`.
    pub fn remove(&mut self, slots: &mut Slots, s: u32, priority: u8) {
        let pri = self.queue_of(priority);
        let (prev, next) = slots.queue_links(s);
        match prev {
            NIL => self.queues[pri].head = next,
            p => slots.set_queue_next(p, next),
        }
        match next {
            NIL => self.queues[pri].tail = prev,
            n => slots.set_queue_prev(n, prev),
        }
    }

    /// Takes the head of queue `pri`, which must not be empty, off it: the
    /// loop takes the events it runs from the front.
    pub fn pop_head(&mut self, slots: &mut Slots, pri: usize) -> Dequeued {
        let q = &mut self.queues[pri];
        let (next, taken) = slots.unlink_head(q.head);
        q.head = next;
        if next == NIL {
            q.tail = NIL;
        }
        taken
    }

    pub fn head(&self, pri: usize) -> Option<u32> {
        match self.queues[pri].head {
            NIL => None,
            s => Some(s),
        }
    }

    /// Queue `pri` starts to run.
    pub fn begin_run(&mut self, pri: usize) {
        self.running = pri;
    }

    /// No queue runs.
    pub fn end_run(&mut self) {
        self.running = 0;
    }

    /// Ends the current queue's run after the callback that runs
    /// (`event_base_loopcontinue`).
    pub fn request_continue(&mut self) {
        self.continue_requested = true;
    }

    pub fn continue_requested(&self) -> bool {
        self.continue_requested
    }

    /// A new pass of the loop starts: nothing asked to end its run early.
    pub fn clear_continue(&mut self) {
        self.continue_requested = false;
    }
}
