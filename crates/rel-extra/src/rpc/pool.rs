//! The client side's pool (`struct evrpc_pool`): connections in the order
//! they were added, and requests waiting in the order they were made. A
//! request goes out on the first connection with nothing in flight; the
//! rest wait until a reply frees one or a connection is added.

use std::collections::VecDeque;

pub struct Pool<C, R> {
    connections: Vec<C>,
    waiting: VecDeque<R>,
    /// Seconds after which a request is abandoned; -1: never.
    timeout: i32,
}

impl<C: Copy + PartialEq, R> Pool<C, R> {
    pub fn new() -> Self {
        Pool {
            connections: Vec::new(),
            waiting: VecDeque::new(),
            timeout: -1,
        }
    }

    pub fn timeout(&self) -> i32 {
        self.timeout
    }

    /// Sets the timeout; returns the connections to apply it to.
    pub fn set_timeout(&mut self, secs: i32) -> &[C] {
        self.timeout = secs;
        &self.connections
    }

    pub fn connections(&self) -> &[C] {
        &self.connections
    }

    /// Adds a connection; a waiting request, if any, goes out on it.
    pub fn add_connection(&mut self, c: C) -> Option<R> {
        self.connections.push(c);
        self.waiting.pop_front()
    }

    /// Forgets a connection (its requests in flight are not touched).
    pub fn remove_connection(&mut self, c: C) -> bool {
        let before = self.connections.len();
        self.connections.retain(|x| *x != c);
        self.connections.len() != before
    }

    pub fn push(&mut self, r: R) {
        self.waiting.push_back(r);
    }

    /// The oldest waiting request and the first idle connection, when
    /// there are both.
    pub fn next(&mut self, idle: impl Fn(C) -> bool) -> Option<(C, R)> {
        if self.waiting.is_empty() {
            return None;
        }
        let c = *self.connections.iter().find(|c| idle(**c))?;
        self.waiting.pop_front().map(|r| (c, r))
    }

    /// Empties the pool: the waiting requests, then the connections.
    pub fn drain(&mut self) -> (Vec<R>, Vec<C>) {
        (
            self.waiting.drain(..).collect(),
            std::mem::take(&mut self.connections),
        )
    }
}

impl<C: Copy + PartialEq, R> Default for Pool<C, R> {
    fn default() -> Self {
        Self::new()
    }
}
