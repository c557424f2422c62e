//! Where the core's diagnostics go. The C layer installs a sink that routes
//! them to `event_set_log_callback`'s callback (default: stderr).

use std::sync::RwLock;

/// libevent's `EVENT_LOG_*` severities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Debug = 0,
    Msg = 1,
    Warn = 2,
    Err = 3,
}

pub type Sink = fn(Severity, &str);

fn to_stderr(severity: Severity, msg: &str) {
    let tag = ["debug", "msg", "warn", "err"][severity as usize];
    eprintln!("[{tag}] {msg}");
}

static SINK: RwLock<Sink> = RwLock::new(to_stderr);

pub fn set_sink(sink: Sink) {
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = sink;
}

pub fn emit(severity: Severity, msg: &str) {
    let sink = *SINK.read().unwrap_or_else(|e| e.into_inner());
    sink(severity, msg);
}

pub fn warn(msg: &str) {
    emit(Severity::Warn, msg);
}
