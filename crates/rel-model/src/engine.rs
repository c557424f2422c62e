//! The reference model, the engine that drives librel alongside it, and
//! the prediction of each loop call.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::os::raw::{c_char, c_int, c_short, c_void};
use std::ptr::null_mut;
use std::sync::{Mutex, Once};

use rel::base_api::*;
use rel::event_api::*;
use rel::layout::event;
use rel::log_api::event_set_log_callback;
use rel::{event_base, event_config};

use crate::{avoid, Source};

// ---------------------------------------------------------------- model

const NEV: usize = 8;
const NPAIR: usize = 3;
const SIGS: [c_int; 2] = [libc::SIGUSR1, libc::SIGUSR2];
const LONG_SECS: i64 = 3600;
const TV_ALL: c_short = EV_TIMEOUT | EV_READ | EV_WRITE | EV_SIGNAL | EV_CLOSED;

/// What an event watches.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Timer,
    Io { pair: usize, bits: c_short },
    Signal { sig: usize },
}

/// The two timeouts whose expiry needs no clock: see the crate docs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tmo {
    Zero,
    Long,
}

/// What an event's callback does at its first call of a loop call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    None,
    DelSelf,
    FreeSelf,
    AddSelf(Option<Tmo>),
    ActiveSelf(c_short),
    Break,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Timeout {
    /// Expires in any pass numbered above this one.
    Zero(u64),
    /// This many hours from the add (a persistent event re-armed by an
    /// `event_active(.., EV_TIMEOUT, ..)` counts from its old deadline, as
    /// in libevent).
    Long(i64),
}

/// One pool entry: caller memory and what the model says about it.
#[derive(Clone, Copy, Debug)]
struct Ev {
    mem: *mut event,
    /// Assigned by librel (false: never, or overwritten with garbage).
    assigned: bool,
    gen: usize,
    kind: Kind,
    persist: bool,
    pri: u8,
    inserted: bool,
    timeout: Option<Timeout>,
    /// (res, ncalls) while active.
    active: Option<(c_short, u32)>,
    /// EV_PERSIST with a (non-zero) timeout: re-armed on every call. As in
    /// libevent (the interval lives in the struct event), event_del keeps
    /// it; event_remove_timer, a zero timeout and event_assign drop it.
    persist_long: bool,
    /// The last deadline set, even if no longer pending (libevent keeps it
    /// in the struct: a re-arm after an EV_TIMEOUT activation counts from it).
    last: Option<Timeout>,
    action: Action,
}

impl Ev {
    fn empty() -> Ev {
        Ev {
            mem: null_mut(),
            assigned: false,
            gen: 0,
            kind: Kind::Timer,
            persist: false,
            pri: 0,
            inserted: false,
            timeout: None,
            active: None,
            persist_long: false,
            last: None,
            action: Action::None,
        }
    }
    fn live(&self) -> bool {
        !self.mem.is_null()
    }
    fn pending(&self) -> bool {
        self.inserted || self.timeout.is_some() || self.active.is_some()
    }
    fn flags(&self) -> c_short {
        let mut what = 0;
        if self.inserted {
            what |= self.interest();
        }
        if let Some((res, _)) = self.active {
            what |= res;
        }
        if self.timeout.is_some() {
            what |= EV_TIMEOUT;
        }
        what & TV_ALL
    }
    fn interest(&self) -> c_short {
        match self.kind {
            Kind::Timer => 0,
            Kind::Io { bits, .. } => bits,
            Kind::Signal { .. } => EV_SIGNAL,
        }
    }
    fn events(&self) -> c_short {
        self.interest() | if self.persist { EV_PERSIST } else { 0 }
    }
}

/// What the engine needs to know about the world outside the base.
#[derive(Clone)]
struct Model {
    evs: [Ev; NEV],
    npri: usize,
    readable: [bool; NPAIR],
    /// Deliveries of each signal librel has counted and not yet handed out.
    sig_count: [u32; 2],
    pass: u64,
}

impl Model {
    fn queue(&self, i: usize) -> usize {
        (self.evs[i].pri as usize).min(self.npri - 1)
    }
    fn any_active(&self) -> bool {
        self.evs.iter().any(|e| e.live() && e.active.is_some())
    }
    fn any_pending(&self) -> bool {
        self.evs.iter().any(|e| e.live() && e.pending())
    }
    fn watchers(&self, sig: usize) -> usize {
        self.evs
            .iter()
            .filter(|e| e.live() && e.inserted && e.kind == Kind::Signal { sig })
            .count()
    }
    fn counts(&self) -> (usize, usize) {
        let (mut added, mut active) = (0, 0);
        for e in self.evs.iter().filter(|e| e.live()) {
            added += usize::from(e.inserted) + usize::from(e.timeout.is_some());
            if e.active.is_some() {
                added += 1;
                active += 1;
            }
        }
        (added, active)
    }

    fn remove_io(&mut self, i: usize) {
        let e = &mut self.evs[i];
        if !e.inserted {
            return;
        }
        e.inserted = false;
        if let Kind::Signal { sig } = e.kind {
            if self.watchers(sig) == 0 {
                self.sig_count[sig] = 0;
            }
        }
    }

    /// `event_del`, and what a non-persistent event goes through before
    /// its callback.
    fn delete(&mut self, i: usize) {
        self.remove_io(i);
        let e = &mut self.evs[i];
        e.timeout = None;
        e.active = None;
        if avoid("persistdel") {
            e.persist_long = false; // librel's current behaviour
        }
    }

    fn activate(&mut self, i: usize, res: c_short, ncalls: u32) {
        let e = &mut self.evs[i];
        match &mut e.active {
            Some((r, n)) => {
                *r |= res;
                *n = n.saturating_add(ncalls);
            }
            None => e.active = Some((res, ncalls)),
        }
    }

    /// `event_add(ev, tmo)` on an assigned event.
    fn add(&mut self, i: usize, tmo: Option<Tmo>) {
        let e = &mut self.evs[i];
        if e.interest() != 0 && !e.inserted && e.active.is_none() {
            e.inserted = true;
        }
        if let Some(t) = tmo {
            // libevent keeps no interval for signal events (their closure
            // never re-arms): only persistent I/O events and timers.
            if e.persist && !matches!(e.kind, Kind::Signal { .. }) {
                e.persist_long = t == Tmo::Long;
            }
            if matches!(e.active, Some((res, _)) if res & EV_TIMEOUT != 0) {
                e.active = None;
            }
            e.timeout = Some(match t {
                Tmo::Zero => Timeout::Zero(self.pass),
                Tmo::Long => Timeout::Long(1),
            });
            e.last = e.timeout;
        }
    }

    /// What librel does today (REL_MODEL_AVOID=persistdel): it drops the
    /// interval with its internal slot when the event leaves every list.
    fn settle(&mut self, i: usize) {
        if !self.evs[i].pending() && avoid("persistdel") {
            self.evs[i].persist_long = false;
        }
    }
}

// ---------------------------------------------------------------- callbacks

/// A callback as seen (or predicted): pool index, generation, fd, what.
type Call = (usize, usize, c_int, c_short);

/// A loop call as the model predicts it: return value, calls (sorted), the
/// action of each event's first call, and the model afterwards.
type Prediction = (c_int, Vec<Call>, HashMap<usize, Action>, Model);

/// What the trampoline needs during a loop call.
struct LoopCtx {
    base: *mut event_base,
    mem: [*mut event; NEV],
    /// Action of each event's first call in this loop call.
    actions: HashMap<usize, Action>,
    seen: Vec<Call>,
    errors: Vec<String>,
}

thread_local! {
    static CTX: RefCell<Option<LoopCtx>> = const { RefCell::new(None) };
}

fn arg_of(i: usize, gen: usize) -> *mut c_void {
    ((gen << 4) | i) as *mut c_void
}

fn tv_of(t: Option<Tmo>) -> Option<libc::timeval> {
    t.map(|t| libc::timeval {
        tv_sec: if t == Tmo::Long { LONG_SECS } else { 0 },
        tv_usec: 0,
    })
}

/// `event_add` with a model timeout.
///
/// # Safety
/// `mem` is pool memory (see [`Engine`]).
unsafe fn add_raw(mem: *mut event, t: Option<Tmo>) -> c_int {
    let tv = tv_of(t);
    // SAFETY: `mem` as the caller promises; `tv` outlives the call.
    unsafe { event_add(mem, tv.as_ref().map_or(std::ptr::null(), |t| t as *const _)) }
}

/// Every event's callback: records the call and carries out the action the
/// model chose for the event's first call in this loop call.
extern "C" fn trampoline(fd: c_int, what: c_short, arg: *mut c_void) {
    let (i, gen) = (arg as usize & 15, arg as usize >> 4);
    let todo = CTX.with(|c| {
        let mut c = c.borrow_mut();
        let c = c.as_mut().expect("callback outside a loop call");
        c.seen.push((i, gen, fd, what));
        let act = c.actions.remove(&i).unwrap_or(Action::None);
        (act, c.mem[i], c.base)
    });
    let (act, mem, base) = todo;
    // SAFETY: `base` is the engine's, inside its own loop call. `mem` is
    // used only for an action, which the model gives only to events live
    // when the loop call began, and which runs once (it was removed from
    // `actions` above): only that action frees `mem`.
    let err = unsafe {
        match act {
            Action::None => None,
            Action::DelSelf => (event_del(mem) != 0).then(|| "event_del(self) != 0".to_string()),
            Action::FreeSelf => {
                event_free(mem);
                None
            }
            Action::AddSelf(t) => {
                (add_raw(mem, t) != 0).then(|| "event_add(self) != 0".to_string())
            }
            Action::ActiveSelf(res) => {
                event_active(mem, res as c_int, 1);
                None
            }
            Action::Break => {
                (event_base_loopbreak(base) != 0).then(|| "loopbreak != 0".to_string())
            }
        }
    };
    if let Some(e) = err {
        CTX.with(|c| c.borrow_mut().as_mut().unwrap().errors.push(e));
    }
}

// ---------------------------------------------------------------- logs

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());
static SETUP: Once = Once::new();
/// One engine at a time per process: logs and signals are process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

/// Collects librel's log lines for [`Engine::expect_logs`].
///
/// # Safety
/// `msg` is a NUL-terminated string, as librel passes.
unsafe extern "C" fn log_cb(_severity: c_int, msg: *const c_char) {
    // SAFETY: as the caller promises; copied before returning.
    let s = unsafe { std::ffi::CStr::from_ptr(msg) }
        .to_string_lossy()
        .into_owned();
    LOG.lock().unwrap_or_else(|e| e.into_inner()).push(s);
}

extern "C" fn ignore_signal(_: c_int) {}

fn setup_process() {
    SETUP.call_once(|| {
        event_set_log_callback(Some(log_cb));
        // Our own handlers: a signal raised while librel does not watch it
        // is simply lost, as the model says, instead of killing the process.
        for sig in SIGS {
            // SAFETY: an all-zero sigaction is a valid one (empty mask, no
            // flags); the handler it installs does nothing, so it is
            // async-signal-safe.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = ignore_signal as extern "C" fn(c_int) as usize;
                libc::sigaction(sig, &sa, null_mut());
            }
        }
    });
}

fn take_logs() -> Vec<String> {
    std::mem::take(&mut *LOG.lock().unwrap_or_else(|e| e.into_inner()))
}

// ---------------------------------------------------------------- engine

const METHODS: [&str; 3] = ["epoll", "poll", "select"];

/// One sequence: librel's base and the world around it, and the model.
///
/// What the `unsafe` blocks rely on: `base` is live until `teardown` frees
/// it, and every `m.evs[i].mem` is null or pool memory: a live allocation
/// of `size_of::<event>()` bytes from libc's malloc (event_new's allocator
/// too, as nothing calls event_set_mem_functions) that only the engine
/// frees. librel takes pool memory whether or not it holds an assigned
/// event: it refuses garbage with -1 and a log line, as the engine checks.
struct Engine {
    base: *mut event_base,
    pairs: [[c_int; 2]; NPAIR],
    m: Model,
    trace: Vec<String>,
}

/// Runs one sequence from `src`: a backend (epoll, poll or select), then
/// operations until `src` is done, each followed by a check of every event
/// against the model, then a teardown. Err carries the first discrepancy
/// and the trace of operations that led to it.
///
/// Sequences from several threads run one at a time: the log callback and
/// the signals they use are process-wide.
pub fn run_sequence(src: &mut dyn Source) -> Result<(), String> {
    setup_process();
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    take_logs();
    let method = METHODS[src.below(METHODS.len())];
    let mut eng = Engine::new(method)?;
    let result = eng.run(src);
    let teardown_mode = src.byte();
    let result = result.and_then(|()| eng.teardown(teardown_mode));
    eng.close();
    if std::env::var_os("REL_MODEL_STATS").is_some() {
        let loops = eng
            .trace
            .iter()
            .filter(|t| t.starts_with("loop ONCE"))
            .count();
        let calls: usize = eng
            .trace
            .iter()
            .filter_map(|t| {
                t.strip_prefix("loop ONCE|NONBLOCK: expect ")?
                    .split(", ")
                    .nth(1)?
                    .split(' ')
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .sum();
        eprintln!(
            "stats: {} operations, {loops} loop calls, {calls} callbacks",
            eng.trace.len()
        );
    }
    result.map_err(|e| {
        format!(
            "{e}\nbackend {method}; trace:\n  {}",
            eng.trace.join("\n  ")
        )
    })
}

fn fail<T>(msg: String) -> Result<T, String> {
    Err(msg)
}

impl Engine {
    fn new(method: &'static str) -> Result<Engine, String> {
        // SAFETY: `cfg` is used between its new and its free only; each
        // `name` outlives the call that reads it.
        let base = unsafe {
            let cfg: *mut event_config = event_config_new();
            for other in METHODS.iter().filter(|&&m| m != method) {
                let name = std::ffi::CString::new(*other).unwrap();
                event_config_avoid_method(cfg, name.as_ptr());
            }
            event_config_set_flag(cfg, 2 /* EVENT_BASE_FLAG_IGNORE_ENV */);
            let b = event_base_new_with_config(cfg);
            event_config_free(cfg);
            b
        };
        if base.is_null() {
            return fail(format!("no base for {method}"));
        }
        let mut pairs = [[0; 2]; NPAIR];
        for p in &mut pairs {
            // SAFETY: `p` is the two ints socketpair writes.
            if unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0, p.as_mut_ptr()) } != 0
            {
                return fail("socketpair failed".into());
            }
            for fd in *p {
                // SAFETY: F_SETFL takes an int and touches no memory of ours.
                unsafe { libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK) };
            }
        }
        Ok(Engine {
            base,
            pairs,
            m: Model {
                evs: [Ev::empty(); NEV],
                npri: 1,
                readable: [false; NPAIR],
                sig_count: [0; 2],
                pass: 0,
            },
            trace: Vec::new(),
        })
    }

    fn close(&mut self) {
        for p in self.pairs {
            // SAFETY: the engine's own fds, closed once; the base that
            // watched them is freed (or leaked after a mismatch) by now.
            unsafe {
                libc::close(p[0]);
                libc::close(p[1]);
            }
        }
    }

    fn fd_of(&self, kind: Kind) -> c_int {
        match kind {
            Kind::Timer => -1,
            Kind::Io { pair, .. } => self.pairs[pair][0],
            Kind::Signal { sig } => SIGS[sig],
        }
    }

    fn run(&mut self, src: &mut dyn Source) -> Result<(), String> {
        while !src.done() && self.trace.len() < 100_000 {
            src.tick();
            self.step(src)?;
            self.check_all()?;
        }
        Ok(())
    }

    fn pick_kind(src: &mut dyn Source) -> (Kind, bool) {
        let persist = src.byte() & 1 == 1;
        let kind = match src.below(4) {
            0 => Kind::Timer,
            1 => Kind::Signal { sig: src.below(2) },
            _ => Kind::Io {
                pair: src.below(NPAIR),
                bits: [EV_READ, EV_WRITE, EV_READ | EV_WRITE][src.below(3)],
            },
        };
        (kind, persist)
    }

    fn pick_tmo(src: &mut dyn Source) -> Option<Tmo> {
        [None, Some(Tmo::Zero), Some(Tmo::Long)][src.below(3)]
    }

    fn expect_logs(&self, op: &str, want: Option<&str>) -> Result<(), String> {
        let logs = take_logs();
        match want {
            None if !logs.is_empty() => fail(format!("{op}: unexpected log {logs:?}")),
            Some(w) if !logs.iter().any(|l| l.contains(w)) => {
                fail(format!("{op}: no log line containing {w:?} (got {logs:?})"))
            }
            _ => Ok(()),
        }
    }

    fn step(&mut self, src: &mut dyn Source) -> Result<(), String> {
        let i = src.below(NEV);
        let mut op = src.below(24);
        let e = self.m.evs[i];
        // An empty pool entry gets an event first (keeps the pool busy).
        if !e.live() && !matches!(op, 14..=17 | 20..) {
            op = 0;
        }
        // Where an arm hands `e.mem` to librel, the entry is live (op 0
        // replaced the op otherwise, and the arm checks again): pool memory.
        match op {
            0 | 1 => {
                let (kind, persist) = Self::pick_kind(src);
                let via_new = src.byte() & 1 == 1;
                self.assign(i, kind, persist, via_new)?;
            }
            2 => {
                let direct = src.byte() & 1 == 1;
                if direct && !avoid("idleslot") && e.live() && !(e.assigned && e.pending()) {
                    // Legal for memory that is in no list: the program
                    // owns it (libevent lets it be reused or freed).
                    self.trace.push(format!("libc::free ev{i} (not pending)"));
                    // SAFETY: pool memory (malloc'd) that librel keeps no
                    // pointer to, as the event is in no list; the entry is
                    // emptied below.
                    unsafe { libc::free(e.mem.cast()) };
                    self.m.evs[i] = Ev {
                        gen: e.gen,
                        ..Ev::empty()
                    };
                } else {
                    self.free(i)?;
                }
            }
            3 => {
                if !e.live() {
                    return Ok(());
                }
                self.trace.push(format!("clobber ev{i}"));
                if e.assigned {
                    // SAFETY: pool memory.
                    unsafe { event_del(e.mem) };
                    self.m.delete(i);
                }
                // SAFETY: pool memory is `size_of::<event>()` bytes, and in
                // none of librel's lists (deleted above if assigned).
                unsafe {
                    std::ptr::write_bytes(e.mem.cast::<u8>(), 0xA5, std::mem::size_of::<event>())
                };
                self.m.evs[i].assigned = false;
                take_logs();
            }
            4..=7 => {
                let mut t = Self::pick_tmo(src);
                if matches!(e.kind, Kind::Signal { .. }) && avoid("sigpersist") {
                    t = None;
                }
                if !e.live() {
                    return Ok(());
                }
                self.trace.push(format!("add ev{i} {t:?}"));
                // SAFETY: pool memory.
                let r = unsafe { add_raw(e.mem, t) };
                if e.assigned {
                    self.m.add(i, t);
                    self.check_ret("event_add", r, 0)?;
                    self.expect_logs("event_add", None)?;
                } else {
                    self.check_ret("event_add(unassigned)", r, -1)?;
                    self.expect_logs("event_add", Some("not been assigned"))?;
                }
            }
            8 => {
                if !e.live() {
                    return Ok(());
                }
                self.trace.push(format!("del ev{i}"));
                // SAFETY: pool memory.
                let r = unsafe { event_del(e.mem) };
                if e.assigned {
                    self.m.delete(i);
                    self.check_ret("event_del", r, 0)?;
                    self.expect_logs("event_del", None)?;
                } else {
                    self.check_ret("event_del(unassigned)", r, -1)?;
                    self.expect_logs("event_del", Some("not been assigned"))?;
                }
            }
            9 | 10 => {
                let mut res = [
                    EV_TIMEOUT,
                    EV_READ,
                    EV_WRITE,
                    EV_READ | EV_WRITE,
                    EV_SIGNAL,
                    0,
                ][src.below(6)];
                if res == 0 && avoid("res0") {
                    res = EV_TIMEOUT;
                }
                let ncalls = 1 + src.below(3) as c_short;
                if !e.live() {
                    return Ok(());
                }
                self.trace
                    .push(format!("active ev{i} res {res:#x} ncalls {ncalls}"));
                // SAFETY: pool memory.
                unsafe { event_active(e.mem, res as c_int, ncalls) };
                if e.assigned {
                    self.m.activate(i, res, ncalls as u32);
                    self.expect_logs("event_active", None)?;
                } else {
                    self.expect_logs("event_active", Some("not been assigned"))?;
                }
            }
            11 => {
                let p = src.below(5) as c_int - 1;
                if !e.live() {
                    return Ok(());
                }
                self.trace.push(format!("priority_set ev{i} {p}"));
                // SAFETY: pool memory.
                let r = unsafe { event_priority_set(e.mem, p) };
                let ok = e.assigned && p >= 0 && (p as usize) < self.m.npri && e.active.is_none();
                self.check_ret("event_priority_set", r, if ok { 0 } else { -1 })?;
                if ok {
                    self.m.evs[i].pri = p as u8;
                }
                take_logs();
            }
            12 => {
                let n = [1, 2, 3, 4, 0, 256][src.below(6)];
                self.trace.push(format!("priority_init {n}"));
                // SAFETY: the live base.
                let r = unsafe { event_base_priority_init(self.base, n) };
                let ok = (1..256).contains(&n) && !self.m.any_active();
                self.check_ret("event_base_priority_init", r, if ok { 0 } else { -1 })?;
                if ok {
                    self.m.npri = n as usize;
                }
                take_logs();
            }
            13 => {
                if !e.live() {
                    return Ok(());
                }
                self.trace.push(format!("remove_timer ev{i}"));
                // SAFETY: pool memory.
                let r = unsafe { event_remove_timer(e.mem) };
                if e.assigned {
                    self.check_ret("event_remove_timer", r, 0)?;
                    let ev = &mut self.m.evs[i];
                    ev.timeout = None;
                    ev.persist_long = false;
                } else {
                    self.check_ret("event_remove_timer(unassigned)", r, -1)?;
                }
                take_logs();
            }
            14 | 15 => {
                let p = src.below(NPAIR);
                self.trace.push(format!("write pair{p}"));
                let c = 1u8;
                // SAFETY: writes one byte from `c`.
                unsafe { libc::write(self.pairs[p][1], (&c as *const u8).cast(), 1) };
                self.m.readable[p] = true;
            }
            16 => {
                let p = src.below(NPAIR);
                self.trace.push(format!("drain pair{p}"));
                let mut buf = [0u8; 256];
                // SAFETY: reads at most `buf.len()` bytes into `buf`.
                while unsafe { libc::read(self.pairs[p][0], buf.as_mut_ptr().cast(), buf.len()) }
                    > 0
                {}
                self.m.readable[p] = false;
            }
            17 => {
                let s = src.below(2);
                self.trace.push(format!("raise sig{s}"));
                // SAFETY: SIGS have a handler (ours from setup_process, or
                // librel's while it watches them): raising one runs it.
                unsafe { libc::raise(SIGS[s]) };
                if self.m.watchers(s) > 0 {
                    self.m.sig_count[s] += 1;
                }
            }
            18 | 19 => {
                let a = match src.below(7) {
                    0 => Action::DelSelf,
                    1 => Action::FreeSelf,
                    2 => Action::AddSelf(Self::pick_tmo(src)),
                    3 => Action::ActiveSelf([EV_TIMEOUT, EV_READ, 0][src.below(3)]),
                    4 => Action::Break,
                    _ => Action::None,
                };
                let a = match a {
                    Action::AddSelf(Some(_))
                        if matches!(e.kind, Kind::Signal { .. }) && avoid("sigpersist") =>
                    {
                        Action::AddSelf(None)
                    }
                    a => a,
                };
                let sig_del = matches!(e.kind, Kind::Signal { .. })
                    && !e.persist
                    && matches!(a, Action::DelSelf | Action::FreeSelf);
                if e.live() && !(sig_del && avoid("sigdel")) {
                    self.trace.push(format!("on ev{i} callback: {a:?}"));
                    self.m.evs[i].action = a;
                }
            }
            20 => {
                self.trace.push("loopbreak (outside the loop)".into());
                // SAFETY: the live base.
                let (r, got) = unsafe {
                    (
                        event_base_loopbreak(self.base),
                        event_base_got_break(self.base),
                    )
                };
                self.check_ret("event_base_loopbreak", r, 0)?;
                self.check_ret("event_base_got_break", got, 1)?;
            }
            _ => self.run_loop()?,
        }
        Ok(())
    }

    /// Gives entry `i` a fresh event, with event_new or event_assign.
    fn assign(&mut self, i: usize, kind: Kind, persist: bool, via_new: bool) -> Result<(), String> {
        let old = self.m.evs[i];
        let events = Ev {
            kind,
            persist,
            ..Ev::empty()
        }
        .events();
        let fd = self.fd_of(kind);
        let gen = old.gen + 1;
        let arg = arg_of(i, gen);
        let mem;
        if via_new && !old.live() {
            self.trace
                .push(format!("ev{i} = event_new {kind:?} persist {persist}"));
            // SAFETY: the live base.
            mem = unsafe { event_new(self.base, fd, events, Some(trampoline), arg) };
            if mem.is_null() {
                return fail("event_new returned NULL".into());
            }
            self.expect_logs("event_new", None)?;
        } else {
            if old.live() && old.assigned && (old.pending() || avoid("idleslot")) {
                // event_assign on a pending event is undefined (README):
                // delete it first, as a correct program does. (With
                // REL_MODEL_AVOID=idleslot, also release the slot librel
                // may keep for an idle event.)
                self.trace.push(format!("del ev{i} (before event_assign)"));
                // SAFETY: pool memory (the entry is live).
                self.check_ret("event_del", unsafe { event_del(old.mem) }, 0)?;
                self.m.delete(i);
                take_logs();
            }
            mem = if old.live() {
                old.mem
            } else {
                // SAFETY: a plain allocation, which becomes pool memory.
                unsafe { libc::malloc(std::mem::size_of::<event>()) }.cast()
            };
            self.trace
                .push(format!("event_assign ev{i} {kind:?} persist {persist}"));
            // SAFETY: `mem` is pool memory in none of librel's lists (a
            // pending event was deleted above); the base is live.
            let r = unsafe { event_assign(mem, self.base, fd, events, Some(trampoline), arg) };
            self.check_ret("event_assign", r, 0)?;
            self.expect_logs("event_assign", None)?;
        }
        self.m.evs[i] = Ev {
            mem,
            assigned: true,
            gen,
            kind,
            persist,
            pri: (self.m.npri / 2) as u8,
            ..Ev::empty()
        };
        Ok(())
    }

    /// Frees entry `i` with event_free (and libc's free if librel refuses
    /// it, as it must for unassigned memory), leaving the entry empty.
    fn free(&mut self, i: usize) -> Result<(), String> {
        let e = self.m.evs[i];
        if !e.live() {
            return Ok(());
        }
        self.trace.push(format!("free ev{i}"));
        // SAFETY: pool memory; the entry is emptied below.
        unsafe { event_free(e.mem) };
        if e.assigned {
            self.m.delete(i);
            self.expect_logs("event_free", None)?;
        } else {
            // Refused: the memory is still ours.
            self.expect_logs("event_free", Some("not been assigned"))?;
            // SAFETY: malloc'd pool memory that librel refused, so holds no
            // pointer to.
            unsafe { libc::free(e.mem.cast()) };
        }
        self.m.evs[i] = Ev {
            gen: e.gen,
            ..Ev::empty()
        };
        Ok(())
    }

    fn check_ret(&self, what: &str, got: c_int, want: c_int) -> Result<(), String> {
        if got == want {
            Ok(())
        } else {
            fail(format!("{what} returned {got}, model says {want}"))
        }
    }

    /// Predicts one `event_base_loop(ONCE|NONBLOCK)`: its return value, the
    /// calls (sorted), the first-call action of each event, and the model
    /// afterwards. None when the loop would not end (a persistent event
    /// that stays ready starves a less urgent queue, as in libevent).
    fn simulate(&self) -> Option<Prediction> {
        let mut m = self.m.clone();
        let mut calls = Vec::new();
        let mut actions = HashMap::new();
        if !m.any_pending() {
            return Some((1, calls, actions, m));
        }
        for _pass in 0..32 {
            m.pass += 1;
            // readiness, then signals, then timeouts (as the loop does)
            for i in 0..NEV {
                let e = m.evs[i];
                if !e.live() || !e.inserted {
                    continue;
                }
                if let Kind::Io { pair, bits } = e.kind {
                    let ready = bits & (EV_WRITE | if m.readable[pair] { EV_READ } else { 0 });
                    if ready != 0 {
                        m.activate(i, ready, 1);
                    }
                }
            }
            for s in 0..SIGS.len() {
                let n = m.sig_count[s];
                if n == 0 || m.watchers(s) == 0 {
                    continue;
                }
                m.sig_count[s] = 0;
                for i in 0..NEV {
                    let e = m.evs[i];
                    if e.live() && e.inserted && e.kind == (Kind::Signal { sig: s }) {
                        m.activate(i, EV_SIGNAL, n);
                    }
                }
            }
            for i in 0..NEV {
                let e = m.evs[i];
                let expired = match e.timeout {
                    Some(Timeout::Zero(at)) => at < m.pass,
                    _ => false,
                };
                if e.live() && expired {
                    m.evs[i].timeout = None;
                    m.evs[i].active = None;
                    // libevent deletes the event; the persist closure adds
                    // an I/O event back, but a signal event stays deleted.
                    if !e.persist || matches!(e.kind, Kind::Signal { .. }) {
                        m.remove_io(i);
                    }
                    m.activate(i, EV_TIMEOUT, 1);
                }
            }
            if !m.any_active() {
                return Some((0, sort(calls), actions, m));
            }
            let q = (0..NEV)
                .filter(|&i| m.evs[i].live() && m.evs[i].active.is_some())
                .map(|i| m.queue(i))
                .min()
                .unwrap();
            let in_q = |m: &Model| {
                (0..NEV)
                    .filter(|&i| m.evs[i].live() && m.evs[i].active.is_some() && m.queue(i) == q)
                    .collect::<Vec<_>>()
            };
            let alone = in_q(&m).len() == 1;
            let mut broke = false;
            let mut guard = 0;
            while let Some(&i) = in_q(&m).first() {
                guard += 1;
                if guard > 1000 {
                    return None;
                }
                let e = m.evs[i];
                let (res, ncalls) = e.active.unwrap();
                if e.persist {
                    m.evs[i].active = None;
                    if m.evs[i].persist_long {
                        // After an EV_TIMEOUT activation libevent counts from
                        // the last deadline, even one event_del dropped.
                        let from = if e.timeout.is_none() && avoid("staledeadline") {
                            None
                        } else {
                            e.last
                        };
                        let k = match from {
                            Some(Timeout::Long(k)) if res & EV_TIMEOUT != 0 => k + 1,
                            _ => 1,
                        };
                        m.evs[i].timeout = Some(Timeout::Long(k));
                        m.evs[i].last = m.evs[i].timeout;
                        // libevent's persist closure re-adds the event: an
                        // event deleted and then run through event_active
                        // is pending again (I/O or signal too).
                        if !avoid("persistdel") && e.interest() != 0 && !m.evs[i].inserted {
                            m.evs[i].inserted = true;
                        }
                    }
                } else {
                    m.delete(i);
                }
                let n = if matches!(e.kind, Kind::Signal { .. }) {
                    ncalls.max(1)
                } else {
                    1
                };
                let fd = self.fd_of(e.kind);
                for _ in 0..n {
                    calls.push((i, e.gen, fd, res));
                    let act = match actions.entry(i) {
                        Entry::Occupied(_) => Action::None,
                        Entry::Vacant(slot) => {
                            let mut a = m.evs[i].action;
                            if a == Action::Break && !alone {
                                a = Action::None;
                            }
                            m.evs[i].action = Action::None;
                            *slot.insert(a)
                        }
                    };
                    match act {
                        Action::None => continue,
                        Action::DelSelf => m.delete(i),
                        Action::FreeSelf => {
                            m.delete(i);
                            m.evs[i] = Ev {
                                gen: e.gen,
                                ..Ev::empty()
                            };
                        }
                        Action::AddSelf(t) => {
                            m.add(i, t);
                            m.settle(i);
                            continue;
                        }
                        Action::ActiveSelf(r) => {
                            m.activate(i, r, 1);
                            continue;
                        }
                        Action::Break => broke = true,
                    }
                    break; // deleted, freed or broken: no further calls
                }
                m.settle(i);
                if broke {
                    return Some((0, sort(calls), actions, m));
                }
            }
            if !m.any_active() {
                return Some((0, sort(calls), actions, m));
            }
        }
        None
    }

    /// One `event_base_loop(ONCE|NONBLOCK)` against the model's prediction.
    fn run_loop(&mut self) -> Result<(), String> {
        let Some((ret, calls, actions, after)) = self.simulate() else {
            self.trace.push("loop skipped (would not end)".into());
            return Ok(());
        };
        self.trace.push(format!(
            "loop ONCE|NONBLOCK: expect {ret}, {} calls",
            calls.len()
        ));
        let mut mem = [null_mut(); NEV];
        for (i, e) in self.m.evs.iter().enumerate() {
            mem[i] = e.mem;
        }
        CTX.with(|c| {
            *c.borrow_mut() = Some(LoopCtx {
                base: self.base,
                mem,
                actions,
                seen: Vec::new(),
                errors: Vec::new(),
            })
        });
        // SAFETY: the live base; its callbacks touch only the base and pool
        // memory (see `trampoline`).
        let r = unsafe { event_base_loop(self.base, EVLOOP_ONCE | EVLOOP_NONBLOCK) };
        let ctx = CTX.with(|c| c.borrow_mut().take()).unwrap();
        self.m = after;
        if let Some(e) = ctx.errors.first() {
            return fail(format!("in a callback: {e}"));
        }
        let seen = sort(ctx.seen);
        if seen != calls {
            return fail(format!("callbacks: saw {seen:?}\n   model says {calls:?}"));
        }
        self.check_ret("event_base_loop", r, ret)?;
        self.expect_logs("event_base_loop", None)
    }

    /// Every event's observable state against the model.
    fn check_all(&mut self) -> Result<(), String> {
        let mut tv = libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        };
        // SAFETY: `tv` is the timeval it writes; no timezone.
        unsafe { libc::gettimeofday(&mut tv, null_mut()) };
        let now = tv.tv_sec;
        for (i, e) in self.m.evs.iter().enumerate() {
            if !e.live() {
                continue;
            }
            let mut tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 0,
            };
            // SAFETY: pool memory (the entry is live); `tv` is the timeval
            // it writes.
            let got = unsafe { event_pending(e.mem, TV_ALL, &mut tv) };
            let want = if e.assigned { e.flags() as c_int } else { 0 };
            if got != want {
                return fail(format!(
                    "event_pending(ev{i}) = {got:#x}, model says {want:#x} ({e:?})"
                ));
            }
            if e.assigned {
                let far = match e.timeout {
                    Some(Timeout::Long(k)) => k * LONG_SECS,
                    _ => 0,
                };
                if e.timeout.is_some() && (tv.tv_sec - now - far).abs() > 5 {
                    return fail(format!(
                        "ev{i}: deadline {} s from now, want {far}",
                        tv.tv_sec - now
                    ));
                }
                // SAFETY: pool memory.
                let (pri, fd, events) = unsafe {
                    (
                        event_get_priority(e.mem),
                        event_get_fd(e.mem),
                        event_get_events(e.mem),
                    )
                };
                if pri != c_int::from(e.pri) {
                    return fail(format!("ev{i}: priority {pri} want {}", e.pri));
                }
                if fd != self.fd_of(e.kind) || events != e.events() {
                    return fail(format!("ev{i}: fd/events changed"));
                }
            }
            // SAFETY: pool memory.
            if unsafe { event_initialized(e.mem) } != c_int::from(e.assigned) {
                return fail(format!("event_initialized(ev{i}) wrong"));
            }
        }
        take_logs(); // pending on unassigned events logs; checked above by value
        let (added, active) = self.m.counts();
        // SAFETY: the live base.
        let (got_added, got_active) = unsafe {
            (
                event_base_get_num_events(self.base, EVENT_BASE_COUNT_ADDED),
                event_base_get_num_events(self.base, EVENT_BASE_COUNT_ACTIVE),
            )
        };
        if (got_added as usize, got_active as usize) != (added, active) {
            return fail(format!(
                "counts: added {got_added} active {got_active}, model says {added} {active}"
            ));
        }
        let mut visited: c_int = 0;
        // SAFETY: the live base; count_visit's argument is `visited`, which
        // outlives the call.
        unsafe {
            event_base_foreach_event(
                self.base,
                Some(count_visit),
                (&mut visited as *mut c_int).cast(),
            )
        };
        let pending = self
            .m
            .evs
            .iter()
            .filter(|e| e.live() && e.pending())
            .count();
        if visited as usize != pending && !avoid("idleslot") {
            return fail(format!(
                "event_base_foreach_event visited {visited}, model has {pending} pending"
            ));
        }
        // SAFETY: the live base.
        let npri = unsafe { event_base_get_npriorities(self.base) };
        self.check_ret("event_base_get_npriorities", npri, self.m.npri as c_int)
    }

    /// Ends the sequence: either frees every event then the base, or frees
    /// the base with events still pending and checks that they were
    /// detached (event_get_base NULL, event_del -1 without a log line,
    /// event_pending 0, event_free fine).
    fn teardown(&mut self, mode: u8) -> Result<(), String> {
        if mode & 1 == 0 {
            self.trace
                .push("teardown: free events, then the base".into());
            for i in 0..NEV {
                self.free(i)?;
            }
            // SAFETY: the live base, with no events left; nothing uses it
            // after teardown.
            unsafe { event_base_free(self.base) };
            return self.expect_logs("teardown", None);
        }
        self.trace
            .push("teardown: free the base with events pending".into());
        // Events that are not pending keep a pointer to the freed base,
        // which no call may use: free them first.
        for i in 0..NEV {
            let e = self.m.evs[i];
            if !(e.assigned && e.pending()) {
                self.free(i)?;
            }
        }
        // SAFETY: the live base; nothing uses it after teardown, and the
        // events left are pending ones, which it must detach.
        unsafe { event_base_free(self.base) };
        self.expect_logs("event_base_free", None)?;
        for i in 0..NEV {
            let e = self.m.evs[i];
            if !e.live() {
                continue;
            }
            // SAFETY: pool memory.
            if !unsafe { event_get_base(e.mem) }.is_null() {
                return fail(format!("ev{i} still names the freed base"));
            }
            // SAFETY: pool memory whose event names no base (checked just
            // above), so librel reaches no freed base through it.
            let del = unsafe { event_del(e.mem) };
            self.check_ret("event_del after base free", del, -1)?;
            self.expect_logs("event_del after base free", None)?;
            // SAFETY: as above.
            let pending = unsafe { event_pending(e.mem, TV_ALL, null_mut()) };
            self.check_ret("event_pending after base free", pending, 0)?;
            // SAFETY: as above; the entry is emptied below.
            unsafe { event_free(e.mem) };
            self.m.evs[i] = Ev::empty();
            take_logs();
        }
        Ok(())
    }
}

/// Counts `event_base_foreach_event`'s visits into the `c_int` at `arg`.
///
/// # Safety
/// `arg` points to a live `c_int`.
unsafe extern "C" fn count_visit(_: *const event_base, _: *const event, arg: *mut c_void) -> c_int {
    // SAFETY: as the caller promises.
    unsafe { *arg.cast::<c_int>() += 1 };
    0
}

fn sort(mut v: Vec<Call>) -> Vec<Call> {
    v.sort_unstable();
    v
}
