//! The resolver's state machine (libevent's evdns client): requests and
//! their transaction ids, the inflight limit and waiting queue,
//! retransmission on timeout, the search list, nameservers going down,
//! being probed and coming back.
//!
//! Nothing here touches a socket or a clock: the embedding layer passes
//! `now`, hands in packets ([`Resolver::on_packet`]), fires the one timer
//! at [`Resolver::next_deadline`] ([`Resolver::on_timer`]) and carries out
//! the [`Action`]s this leaves (send a packet, run a callback, watch a
//! socket, log). Callbacks are opaque words, as in rel-core.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::conf;
use super::wire::{self, Answer, Parsed, RCODE, TC, TYPE_A, TYPE_PTR};
use super::*;
use rel_core::keymap::KeyMap;

/// A user callback: function and argument words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cb {
    pub func: usize,
    pub arg: usize,
}

/// What a finished request reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// A `DNS_ERR_*` code.
    pub err: i32,
    /// The request's query type.
    pub qtype: u16,
    pub ttl: u32,
    pub answer: Answer,
}

/// What the embedding layer must do.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    /// Send `packet` to nameserver `server` (shared with the request: no
    /// copy per transmission).
    Send { server: u64, packet: Arc<[u8]> },
    /// Run `cb` for request `handle` later, from the event loop (evdns
    /// defers every callback).
    Callback {
        handle: u64,
        cb: Cb,
        outcome: Outcome,
    },
    /// Watch (or stop watching) nameserver `server`'s socket for replies
    /// (`EVDNS_BASE_DISABLE_WHEN_INACTIVE`).
    Watch { server: u64, on: bool },
    /// A log line with its `EVDNS_LOG_*` severity.
    Log { severity: i32, msg: String },
}

/// Tunables, with evdns's defaults.
#[derive(Clone, Debug)]
pub struct Options {
    pub timeout: Duration,
    pub max_retransmits: i32,
    pub max_timeouts: i32,
    pub max_reissues: i32,
    pub randomize_case: bool,
    pub probe_initial: Duration,
    pub allow_skew: Duration,
    pub max_inflight: usize,
    pub so_rcvbuf: i32,
    pub so_sndbuf: i32,
    pub bind_to: Option<SocketAddr>,
    pub disable_when_inactive: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(5),
            max_retransmits: 3,
            max_timeouts: 3,
            max_reissues: 1,
            randomize_case: true,
            probe_initial: Duration::from_secs(10),
            allow_skew: Duration::from_secs(3),
            max_inflight: 64,
            so_rcvbuf: 0,
            so_sndbuf: 0,
            bind_to: None,
            disable_when_inactive: false,
        }
    }
}

/// The search list: domains in the order they are tried.
#[derive(Clone, Debug)]
pub struct Search {
    pub domains: Vec<Vec<u8>>,
    pub ndots: i32,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            domains: Vec::new(),
            ndots: 1,
        }
    }
}

struct Server {
    addr: SocketAddr,
    up: bool,
    failed_times: u32,
    timedout: i32,
    inflight: usize,
    /// The probe request in flight, if any.
    probe: Option<u64>,
    /// When the next probe goes out, while down.
    probe_at: Option<Instant>,
}

/// A search in progress: the name asked and the domain tried last (-1:
/// the name as given).
struct SearchState {
    origname: Vec<u8>,
    index: i32,
    search: Search,
}

struct Request {
    qtype: u16,
    /// The packet sent (its id patched when the id changes).
    packet: Arc<[u8]>,
    id: Option<u16>,
    server: Option<u64>,
    inflight: bool,
    tx_count: i32,
    reissue_count: i32,
    deadline: Option<Instant>,
    transmit_me: bool,
    cb: Cb,
    search: Option<SearchState>,
    want_cname: bool,
    /// A probe of this nameserver: finished internally.
    probe_of: Option<u64>,
}

/// The name a reverse lookup of an IPv4 address asks for.
pub fn reverse_name_v4(addr: [u8; 4]) -> String {
    format!(
        "{}.{}.{}.{}.in-addr.arpa",
        addr[3], addr[2], addr[1], addr[0]
    )
}

/// The name a reverse lookup of an IPv6 address asks for.
pub fn reverse_name_v6(addr: [u8; 16]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(73);
    for b in addr.iter().rev() {
        s.push(HEX[usize::from(b & 0xf)] as char);
        s.push('.');
        s.push(HEX[usize::from(b >> 4)] as char);
        s.push('.');
    }
    s.push_str("ip6.arpa");
    s
}

fn dots(name: &[u8]) -> i32 {
    name.iter().filter(|&&b| b == b'.').count() as i32
}

/// Fills a buffer with strong random bytes.
pub type Rng = Box<dyn FnMut(&mut [u8]) + Send>;

/// The resolver.
pub struct Resolver {
    pub options: Options,
    pub search: Option<Search>,
    pub hosts: Vec<conf::HostEntry>,
    servers: KeyMap<u64, Server>,
    /// The nameserver ring, its head first (evdns's circular list).
    ring: VecDeque<u64>,
    good: usize,
    requests: KeyMap<u64, Request>,
    by_id: KeyMap<u16, u64>,
    waiting: VecDeque<u64>,
    inflight: usize,
    next_key: u64,
    /// The soonest deadline set since [`Resolver::next_deadline`] last
    /// looked at them all (None: none since).
    soonest: Option<Instant>,
    /// Where queries are written before they get their own packet.
    scratch: Vec<u8>,
    rng: Rng,
    actions: Vec<Action>,
}

impl Resolver {
    /// A resolver with no nameservers; `rng` fills buffers with strong
    /// random bytes (transaction ids, letter case).
    pub fn new(rng: Rng) -> Self {
        Resolver {
            options: Options::default(),
            search: None,
            hosts: Vec::new(),
            servers: KeyMap::default(),
            ring: VecDeque::new(),
            good: 0,
            requests: KeyMap::default(),
            by_id: KeyMap::default(),
            waiting: VecDeque::new(),
            inflight: 0,
            next_key: 1,
            soonest: None,
            scratch: Vec::new(),
            rng,
            actions: Vec::new(),
        }
    }

    /// What to do now; the embedding layer runs these in order.
    pub fn take_actions(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    /// [`Resolver::take_actions`] into `into` (emptied first), which
    /// leaves `into`'s old buffer behind for the next actions: a caller
    /// that hands the same drained vector back allocates nothing.
    pub fn swap_actions(&mut self, into: &mut Vec<Action>) {
        into.clear();
        std::mem::swap(&mut self.actions, into);
    }

    /// Queues a log line among the actions (the embedding layer's own
    /// lines too, so that they keep their order).
    pub fn push_log(&mut self, severity: i32, msg: String) {
        self.actions.push(Action::Log { severity, msg });
    }

    fn key(&mut self) -> u64 {
        self.next_key += 1;
        self.next_key
    }

    // ---- nameservers

    /// Whether `addr` (address and port) is already a nameserver.
    pub fn has_server(&self, addr: SocketAddr) -> bool {
        self.servers.values().any(|s| s.addr == addr)
    }

    /// Adds nameserver `addr` (the caller made its socket); its id.
    pub fn add_server(&mut self, addr: SocketAddr) -> u64 {
        let id = self.key();
        self.servers.insert(
            id,
            Server {
                addr,
                up: true,
                failed_times: 0,
                timedout: 0,
                inflight: 0,
                probe: None,
                probe_at: None,
            },
        );
        // A new nameserver goes right after the head.
        let at = self.ring.len().min(1);
        self.ring.insert(at, id);
        self.good += 1;
        id
    }

    pub fn count_servers(&self) -> usize {
        self.ring.len()
    }

    /// The address of the `idx`th nameserver in ring order.
    pub fn server_addr(&self, idx: usize) -> Option<SocketAddr> {
        self.ring.get(idx).map(|id| self.servers[id].addr)
    }

    /// The nameserver a reply from `addr` belongs to.
    pub fn server_of(&self, id: u64) -> Option<SocketAddr> {
        self.servers.get(&id).map(|s| s.addr)
    }

    /// Removes every nameserver (their ids, for the caller to close) and
    /// puts every inflight request back at the front of the waiting queue.
    pub fn clear_servers(&mut self) -> Vec<u64> {
        let probes: Vec<u64> = self.servers.values().filter_map(|s| s.probe).collect();
        for p in probes {
            self.drop_probe(p);
        }
        let ids: Vec<u64> = self.ring.drain(..).collect();
        self.servers.clear();
        self.good = 0;
        let mut moved: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.inflight)
            .map(|(&k, _)| k)
            .collect();
        moved.sort_unstable();
        for k in moved.into_iter().rev() {
            let r = self.requests.get_mut(&k).expect("listed");
            if let Some(id) = r.id.take() {
                self.by_id.remove(&id);
            }
            r.tx_count = 0;
            r.reissue_count = 0;
            r.server = None;
            r.deadline = None;
            r.transmit_me = false;
            r.inflight = false;
            self.waiting.push_front(k);
        }
        self.inflight = 0;
        ids
    }

    /// A probe request dropped without a callback (its server is gone).
    fn drop_probe(&mut self, handle: u64) {
        if self.requests.contains_key(&handle) {
            self.finish(handle);
        }
    }

    /// Sends waiting requests while the inflight limit allows.
    pub fn resume(&mut self) {
        self.pump();
    }

    /// The next nameserver to use: good ones in turn, else any.
    fn pick(&mut self) -> Option<u64> {
        if self.ring.is_empty() {
            return None;
        }
        if self.good == 0 {
            self.ring.rotate_left(1);
            return self.ring.front().copied();
        }
        for _ in 0..self.ring.len() {
            let id = *self.ring.front().expect("non-empty");
            self.ring.rotate_left(1);
            if self.servers[&id].up {
                return Some(id);
            }
        }
        None
    }

    fn server_failed(&mut self, now: Instant, id: u64, msg: &str) {
        let probe_initial = self.options.probe_initial;
        let Some(s) = self.servers.get_mut(&id) else {
            return;
        };
        if !s.up {
            return;
        }
        let addr = s.addr;
        s.up = false;
        s.failed_times = 1;
        s.probe_at = Some(now + probe_initial);
        self.soonest = self.soonest.min(s.probe_at).or(s.probe_at);
        self.good -= 1;
        self.push_log(LOG_MSG, format!("Nameserver {addr} has failed: {msg}"));
        if self.good == 0 {
            self.push_log(LOG_MSG, "All nameservers have failed".into());
            return;
        }
        let mut keys: Vec<u64> = self.requests.keys().copied().collect();
        keys.sort_unstable();
        for k in keys {
            let r = &self.requests[&k];
            if r.inflight && r.tx_count == 0 && r.server == Some(id) {
                let to = self.pick();
                self.swap_server(k, to);
            }
        }
    }

    fn server_up(&mut self, id: u64) {
        let Some(s) = self.servers.get_mut(&id) else {
            return;
        };
        if s.up {
            return;
        }
        let addr = s.addr;
        s.probe_at = None;
        s.up = true;
        s.failed_times = 0;
        s.timedout = 0;
        let probe = s.probe.take();
        self.good += 1;
        self.push_log(LOG_MSG, format!("Nameserver {addr} is back up"));
        if let Some(p) = probe {
            self.cancel(p);
        }
    }

    fn probe_failed(&mut self, now: Instant, id: u64) {
        let initial = self.options.probe_initial;
        let Some(s) = self.servers.get_mut(&id) else {
            return;
        };
        s.probe_at = None;
        if s.up {
            return;
        }
        let mut wait = initial;
        for _ in 0..s.failed_times {
            if wait.as_secs() >= 3600 {
                break;
            }
            wait *= 3;
        }
        s.probe_at = Some(now + wait.min(Duration::from_secs(3600)));
        self.soonest = self.soonest.min(s.probe_at).or(s.probe_at);
        s.failed_times += 1;
    }

    fn send_probe(&mut self, now: Instant, id: u64) {
        if let Some(s) = self.servers.get_mut(&id) {
            s.probe_at = None;
        }
        let Some(key) = self.new_request(TYPE_A, b"google.com", Cb { func: 0, arg: 0 }, false)
        else {
            return;
        };
        let txid = self.pick_id();
        let r = self.requests.get_mut(&key).expect("just made");
        r.probe_of = Some(id);
        r.id = Some(txid);
        r.server = Some(id);
        patch_id(&mut r.packet, txid);
        if let Some(s) = self.servers.get_mut(&id) {
            s.probe = Some(key);
        }
        self.submit_request(now, key);
    }

    // ---- requests

    fn pick_id(&mut self) -> u16 {
        let mut b = [0u8; 2];
        (self.rng)(&mut b);
        self.id_from(b)
    }

    /// The transaction id random bytes `b` make, if free; else fresh ones
    /// until one is.
    fn id_from(&mut self, mut b: [u8; 2]) -> u16 {
        loop {
            let id = u16::from_ne_bytes(b);
            if id != 0xffff && !self.by_id.contains_key(&id) {
                return id;
            }
            (self.rng)(&mut b);
        }
    }

    /// A request for `name`, not yet submitted; `None` if the name cannot
    /// be asked (too long, a label over 63 bytes).
    fn new_request(&mut self, qtype: u16, name: &[u8], cb: Cb, want_cname: bool) -> Option<u64> {
        if name.len() >= 256 {
            return None;
        }
        // On the stack: a lookup's one allocation is its packet.
        let mut copy = [0u8; 255];
        let name = {
            let c = &mut copy[..name.len()];
            c.copy_from_slice(name);
            c
        };
        let issuing = self.inflight < self.options.max_inflight;
        // One draw for the letter case bits and the id (each a getrandom
        // call otherwise): the bits first, as two draws would give them.
        let nbits = if self.options.randomize_case {
            name.len().div_ceil(8)
        } else {
            0
        };
        let mut random = [0u8; 32 + 2];
        let drawn = nbits + if issuing { 2 } else { 0 };
        if drawn > 0 {
            (self.rng)(&mut random[..drawn]);
        }
        if self.options.randomize_case {
            let bits = &random[..nbits];
            for (i, c) in name.iter_mut().enumerate() {
                if c.is_ascii_alphabetic() {
                    if bits[i >> 3] & (1 << (i & 7)) != 0 {
                        *c |= 0x20;
                    } else {
                        *c &= !0x20;
                    }
                }
            }
        }
        let id = if issuing {
            self.id_from([random[nbits], random[nbits + 1]])
        } else {
            0xffff
        };
        wire::write_query(&mut self.scratch, id, name, qtype).ok()?;
        let packet = Arc::from(&self.scratch[..]);
        let server = if issuing { self.pick() } else { None };
        let key = self.key();
        self.requests.insert(
            key,
            Request {
                qtype,
                packet,
                id: issuing.then_some(id),
                server,
                inflight: false,
                tx_count: 0,
                reissue_count: 0,
                deadline: None,
                transmit_me: false,
                cb,
                search: None,
                want_cname,
                probe_of: None,
            },
        );
        Some(key)
    }

    fn submit_request(&mut self, now: Instant, key: u64) {
        let r = self.requests.get_mut(&key).expect("live request");
        match r.server {
            Some(s) => {
                r.inflight = true;
                if let Some(id) = r.id {
                    self.by_id.insert(id, key);
                }
                self.inflight += 1;
                let first = {
                    let srv = self.servers.get_mut(&s).expect("live server");
                    srv.inflight += 1;
                    srv.inflight == 1
                };
                if first && self.options.disable_when_inactive {
                    self.actions.push(Action::Watch {
                        server: s,
                        on: true,
                    });
                }
                self.transmit(now, key);
            }
            None => {
                if let Some(id) = r.id.take() {
                    self.by_id.remove(&id);
                }
                self.waiting.push_back(key);
            }
        }
    }

    fn transmit(&mut self, now: Instant, key: u64) {
        let timeout = self.options.timeout;
        let r = self.requests.get_mut(&key).expect("live request");
        r.transmit_me = true;
        let Some(server) = r.server else { return };
        self.actions.push(Action::Send {
            server,
            packet: r.packet.clone(),
        });
        r.deadline = Some(now + timeout);
        self.soonest = self.soonest.min(r.deadline).or(r.deadline);
        r.tx_count += 1;
        r.transmit_me = false;
    }

    fn swap_server(&mut self, key: u64, to: Option<u64>) {
        let Some(to) = to else { return };
        let r = self.requests.get_mut(&key).expect("live request");
        let Some(from) = r.server else { return };
        if from == to {
            return;
        }
        r.server = Some(to);
        if let Some(s) = self.servers.get_mut(&from) {
            s.inflight -= 1;
        }
        if let Some(s) = self.servers.get_mut(&to) {
            s.inflight += 1;
        }
    }

    /// Moves waiting requests inflight while the limit allows.
    fn pump(&mut self) {
        if self.waiting.is_empty() {
            return; // the usual case: no clock read
        }
        let now = Instant::now();
        while self.inflight < self.options.max_inflight && !self.waiting.is_empty() {
            let Some(server) = self.pick() else { return };
            let key = self.waiting.pop_front().expect("non-empty");
            let txid = self.pick_id();
            let r = self.requests.get_mut(&key).expect("waiting request");
            r.server = Some(server);
            r.id = Some(txid);
            r.inflight = true;
            patch_id(&mut r.packet, txid);
            self.by_id.insert(txid, key);
            self.inflight += 1;
            if let Some(s) = self.servers.get_mut(&server) {
                s.inflight += 1;
            }
            self.transmit(now, key);
            let mut again: Vec<u64> = self
                .requests
                .iter()
                .filter(|(_, r)| r.inflight && r.transmit_me)
                .map(|(&k, _)| k)
                .collect();
            again.sort_unstable();
            for k in again {
                self.transmit(now, k);
            }
        }
    }

    /// Removes request `key` and its bookkeeping.
    fn finish(&mut self, key: u64) -> Option<Request> {
        let r = self.requests.remove(&key)?;
        if r.inflight {
            if let Some(id) = r.id {
                self.by_id.remove(&id);
            }
            self.inflight -= 1;
            if let Some(s) = r.server.and_then(|s| self.servers.get_mut(&s)) {
                s.inflight -= 1;
            }
        } else {
            self.waiting.retain(|&k| k != key);
        }
        if let Some(sid) = r.server {
            if let Some(s) = self.servers.get_mut(&sid) {
                if s.probe == Some(key) {
                    s.probe = None;
                }
                if s.inflight == 0 && self.options.disable_when_inactive {
                    s.probe_at = None;
                    self.actions.push(Action::Watch {
                        server: sid,
                        on: false,
                    });
                }
            }
        }
        self.pump();
        Some(r)
    }

    /// Reports `outcome` for request `key` and removes it; a probe's
    /// outcome is taken here.
    fn complete(&mut self, now: Instant, key: u64, err: i32, ttl: u32, answer: Answer) {
        let Some(r) = self.finish(key) else { return };
        if let Some(sid) = r.probe_of {
            match err {
                DNS_ERR_CANCEL => {}
                DNS_ERR_NONE | DNS_ERR_NOTEXIST => self.server_up(sid),
                _ => self.probe_failed(now, sid),
            }
            return;
        }
        self.actions.push(Action::Callback {
            handle: key,
            cb: r.cb,
            outcome: Outcome {
                err,
                qtype: r.qtype,
                ttl,
                answer,
            },
        });
    }

    /// Starts a lookup of `name` (`TYPE_A`, `TYPE_AAAA` or `TYPE_PTR`);
    /// its handle, or `None` if it cannot be asked. `want_cname` keeps the
    /// first CNAME target for getaddrinfo's canonical name.
    pub fn resolve(
        &mut self,
        now: Instant,
        qtype: u16,
        name: &[u8],
        flags: i32,
        cb: Cb,
        want_cname: bool,
    ) -> Option<u64> {
        let search = match &self.search {
            Some(s)
                if flags & DNS_QUERY_NO_SEARCH == 0
                    && qtype != TYPE_PTR
                    && !s.domains.is_empty() =>
            {
                Some(s.clone())
            }
            _ => None,
        };
        let Some(search) = search else {
            let key = self.new_request(qtype, name, cb, want_cname)?;
            self.submit_request(now, key);
            return Some(key);
        };
        let (first, index) = if dots(name) >= search.ndots {
            (name.to_vec(), -1)
        } else {
            (search_name(name, &search.domains[0])?, 0)
        };
        let key = self.new_request(qtype, &first, cb, want_cname)?;
        self.requests.get_mut(&key).expect("just made").search = Some(SearchState {
            origname: name.to_vec(),
            index,
            search,
        });
        self.submit_request(now, key);
        Some(key)
    }

    /// Tries the next name of a search; true if a new query went out
    /// (under the same handle).
    fn search_next(&mut self, now: Instant, key: u64) -> bool {
        let r = self.requests.get_mut(&key).expect("live request");
        let Some(st) = r.search.as_mut() else {
            return false;
        };
        st.index += 1;
        let (name, keep_search) = if st.index as usize >= st.search.domains.len() {
            if dots(&st.origname) >= st.search.ndots {
                return false;
            }
            (st.origname.clone(), false)
        } else {
            match search_name(&st.origname, &st.search.domains[st.index as usize]) {
                Some(n) => (n, true),
                None => return false,
            }
        };
        let (qtype, cb, want) = (r.qtype, r.cb, r.want_cname);
        let Some(next) = self.new_request(qtype, &name, cb, want) else {
            return false;
        };
        let mut old = self.finish_quietly(key);
        let mut fresh = self.requests.remove(&next).expect("just made");
        if keep_search {
            fresh.search = old.search.take();
        }
        // The handle stays: the new query takes the old key.
        self.requests.insert(key, fresh);
        self.submit_request(now, key);
        true
    }

    /// [`Resolver::finish`] without pumping the waiting queue.
    fn finish_quietly(&mut self, key: u64) -> Request {
        let max = std::mem::replace(&mut self.options.max_inflight, 0);
        let r = self.finish(key).expect("live request");
        self.options.max_inflight = max;
        r
    }

    /// Cancels request `handle`: its callback gets `DNS_ERR_CANCEL`.
    /// Unknown (finished) handles are ignored.
    pub fn cancel(&mut self, handle: u64) {
        if self.requests.contains_key(&handle) {
            self.complete(Instant::now(), handle, DNS_ERR_CANCEL, 0, Answer::default());
        }
    }

    /// Whether `handle` is still a request (its callback not yet due).
    pub fn is_pending(&self, handle: u64) -> bool {
        self.requests.contains_key(&handle)
    }

    /// Fails (`fail`: with `DNS_ERR_SHUTDOWN`) or drops every request, for
    /// `evdns_base_free`.
    pub fn shutdown(&mut self, fail: bool) {
        let mut keys: Vec<u64> = self.waiting.iter().copied().collect();
        let mut inflight: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.inflight)
            .map(|(&k, _)| k)
            .collect();
        inflight.sort_unstable();
        keys.extend(inflight);
        self.options.max_inflight = 0;
        for k in keys {
            let probe = self.requests.get(&k).is_some_and(|r| r.probe_of.is_some());
            if fail && !probe {
                self.complete(Instant::now(), k, DNS_ERR_SHUTDOWN, 0, Answer::default());
            } else {
                self.finish(k);
            }
        }
    }

    /// A packet nameserver `server` sent.
    pub fn on_packet(&mut self, now: Instant, server: u64, packet: &[u8]) {
        if let Some(s) = self.servers.get_mut(&server) {
            s.timedout = 0;
        }
        let mut r = wire::Reader::new(packet);
        let Some(h) = wire::header(&mut r) else {
            return;
        };
        let Some(&key) = self.by_id.get(&h.id) else {
            return;
        };
        if h.flags & wire::QR == 0 {
            return;
        }
        let req = &self.requests[&key];
        let parsed = wire::parse_reply(
            packet,
            &req.packet,
            req.qtype,
            self.options.randomize_case,
            req.want_cname,
        );
        let (flags, answer) = match parsed {
            Parsed::Ok(f, a) => (f, Some(a)),
            Parsed::Broken(f) => (f, None),
        };
        self.handle_reply(now, key, flags, answer);
    }

    fn handle_reply(&mut self, now: Instant, key: u64, flags: u16, answer: Option<Answer>) {
        let server = self.requests[&key].server;
        let good = answer.as_ref().is_some_and(|a| a.have_answer);
        if flags & (RCODE | TC) == 0 && good {
            let a = answer.expect("good answer");
            let ttl = a.ttl;
            self.complete(now, key, DNS_ERR_NONE, ttl, a);
            if let Some(s) = server {
                self.server_up(s);
            }
            return;
        }
        let err = if flags & TC != 0 {
            DNS_ERR_TRUNCATED
        } else if flags & RCODE != 0 {
            match flags & RCODE {
                1 => DNS_ERR_FORMAT,
                2 => DNS_ERR_SERVERFAILED,
                3 => DNS_ERR_NOTEXIST,
                4 => DNS_ERR_NOTIMPL,
                5 => DNS_ERR_REFUSED,
                _ => DNS_ERR_UNKNOWN,
            }
        } else if answer.is_some() {
            DNS_ERR_NODATA
        } else {
            DNS_ERR_UNKNOWN
        };
        let ttl = answer.as_ref().map_or(0, |a| a.ttl);
        match err {
            DNS_ERR_NOTIMPL | DNS_ERR_REFUSED => {
                let r = &self.requests[&key];
                if r.reissue_count < self.options.max_reissues {
                    if let Some(s) = server {
                        let msg = format!("Bad response {err} ({})", err_to_string(err));
                        self.server_failed(now, s, &msg);
                    }
                    if self.reissue(key, server) {
                        return;
                    }
                }
            }
            DNS_ERR_SERVERFAILED => {
                // Some servers say SERVFAIL for "confused": retry as on a
                // timeout rather than blame the server.
                self.on_request_timeout(now, key);
                return;
            }
            _ => {
                if let Some(s) = server {
                    // A probe's own answer must not cancel the probe.
                    if let Some(srv) = self.servers.get_mut(&s) {
                        if srv.probe == Some(key) {
                            srv.probe = None;
                        }
                    }
                    self.server_up(s);
                }
            }
        }
        let r = &self.requests[&key];
        if r.search.is_some() && r.qtype != TYPE_PTR && self.search_next(now, key) {
            return;
        }
        self.complete(now, key, err, ttl, Answer::default());
    }

    /// Moves a request to another nameserver after a bad answer; false if
    /// there is no other one. It goes out when its timer fires.
    fn reissue(&mut self, key: u64, last: Option<u64>) -> bool {
        let to = self.pick();
        self.swap_server(key, to);
        let r = self.requests.get_mut(&key).expect("live request");
        if r.server == last {
            return false;
        }
        r.reissue_count += 1;
        r.tx_count = 0;
        r.transmit_me = true;
        true
    }

    fn on_request_timeout(&mut self, now: Instant, key: u64) {
        let r = &self.requests[&key];
        let server = r.server;
        if r.tx_count >= self.options.max_retransmits {
            self.complete(now, key, DNS_ERR_TIMEOUT, 0, Answer::default());
            if let Some(s) = server {
                self.server_failed(now, s, "request timed out.");
            }
            return;
        }
        self.requests.get_mut(&key).expect("live").deadline = None;
        let to = self.pick();
        self.swap_server(key, to);
        self.transmit(now, key);
        let max = self.options.max_timeouts;
        let Some(sid) = self.requests[&key].server else {
            return;
        };
        let failed = {
            let s = self.servers.get_mut(&sid).expect("live server");
            s.timedout += 1;
            if s.timedout > max {
                s.timedout = 0;
                true
            } else {
                false
            }
        };
        if failed {
            self.server_failed(now, sid, "request timed out.");
        }
    }

    /// When [`Resolver::on_timer`] should next run.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        self.soonest = None;
        let reqs = self.requests.values().filter_map(|r| r.deadline);
        let probes = self.servers.values().filter_map(|s| s.probe_at);
        reqs.chain(probes).min()
    }

    /// Where a timer set to fire at `armed` (None: not set) must now be:
    /// `None` to leave it, else `Some` of [`Resolver::next_deadline`].
    /// A timer no later than every deadline stays (firing early costs one
    /// [`Resolver::on_timer`] that finds nothing due), so the deadlines
    /// are scanned only when one was set sooner or none may be left.
    pub fn timer_change(&mut self, armed: Option<Instant>) -> Option<Option<Instant>> {
        let busy = self.inflight > 0 || self.servers.values().any(|s| s.probe_at.is_some());
        if armed.is_some_and(|a| busy && self.soonest.is_none_or(|s| s >= a)) {
            return None;
        }
        let next = self.next_deadline();
        (next != armed).then_some(next)
    }

    /// Runs what is due at `now`: request timeouts, then probes.
    pub fn on_timer(&mut self, now: Instant) {
        let mut due: Vec<(Instant, u64)> = self
            .requests
            .iter()
            .filter_map(|(&k, r)| r.deadline.filter(|&d| d <= now).map(|d| (d, k)))
            .collect();
        due.sort_unstable();
        for (_, k) in due {
            if self
                .requests
                .get(&k)
                .and_then(|r| r.deadline)
                .is_some_and(|d| d <= now)
            {
                self.on_request_timeout(now, k);
            }
        }
        let mut probes: Vec<u64> = self
            .servers
            .iter()
            .filter(|(_, s)| s.probe_at.is_some_and(|d| d <= now))
            .map(|(&k, _)| k)
            .collect();
        probes.sort_unstable();
        for id in probes {
            self.send_probe(now, id);
        }
    }

    // ---- configuration

    /// `evdns_base_search_add`: the new domain is tried first.
    pub fn search_add(&mut self, domain: &[u8]) {
        let d = strip_dots(domain);
        self.search
            .get_or_insert_with(Search::default)
            .domains
            .insert(0, d);
    }

    /// `evdns_base_search_clear`: no domains, ndots back to 1.
    pub fn search_clear(&mut self) {
        self.search = Some(Search::default());
    }

    pub fn search_ndots_set(&mut self, ndots: i32) {
        self.search.get_or_insert_with(Search::default).ndots = ndots;
    }

    /// resolv.conf's `search` line: these domains, tried in this order.
    pub fn search_set(&mut self, domains: &[String]) {
        self.search = Some(Search {
            domains: domains.iter().map(|d| strip_dots(d.as_bytes())).collect(),
            ndots: 1,
        });
    }

    /// The search list from the host's own name, as with no resolv.conf
    /// `search` line: its part after the first dot, if any.
    pub fn search_from_hostname(&mut self, hostname: &[u8]) {
        self.search = Some(Search::default());
        if let Some(dot) = hostname.iter().position(|&b| b == b'.') {
            self.search_add(&hostname[dot..]);
        }
    }

    /// `evdns_base_set_option` for the options under `flags`
    /// (`DNS_OPTION_*`): 0, or -1 for a bad value. Unknown names are
    /// accepted and ignored, as evdns does. `bind-to:` is parsed by the
    /// caller's sockaddr reader, given as `bind`.
    pub fn set_option(&mut self, name: &str, val: &str, flags: i32) -> i32 {
        use conf::{option_matches as is, seconds, strtoint};
        let misc = flags & DNS_OPTION_MISC != 0;
        let o = &mut self.options;
        if is(name, "ndots:") {
            let n = strtoint(val);
            if n == -1 {
                return -1;
            }
            if flags & DNS_OPTION_SEARCH != 0 {
                self.search_ndots_set(n);
            }
        } else if is(name, "timeout:") {
            let Some(d) = seconds(val) else { return -1 };
            if misc {
                o.timeout = d;
            }
        } else if is(name, "getaddrinfo-allow-skew:") {
            let Some(d) = seconds(val) else { return -1 };
            if misc {
                o.allow_skew = d;
            }
        } else if is(name, "max-timeouts:") {
            let Some(n) = clipped(val, 1, 255) else {
                return -1;
            };
            if misc {
                o.max_timeouts = n;
            }
        } else if is(name, "max-inflight:") {
            let Some(n) = clipped(val, 1, 65000) else {
                return -1;
            };
            if misc {
                // Waiting requests go out as others finish, as in evdns.
                o.max_inflight = n as usize;
            }
        } else if is(name, "attempts:") {
            let n = strtoint(val);
            if n == -1 {
                return -1;
            }
            if misc {
                o.max_retransmits = n.min(255);
            }
        } else if is(name, "randomize-case:") {
            let n = strtoint(val);
            if n == -1 {
                return -1;
            }
            if misc {
                o.randomize_case = n != 0;
            }
        } else if is(name, "bind-to:") {
            if flags & DNS_OPTION_NAMESERVERS == 0 {
                return 0;
            }
            match conf::parse_addr_port(val) {
                Some(a) => o.bind_to = Some(a),
                None => return -1,
            }
        } else if is(name, "initial-probe-timeout:") {
            let Some(d) = seconds(val) else { return -1 };
            if misc {
                o.probe_initial = if d.as_secs() > 3600 {
                    Duration::new(3600, d.subsec_nanos())
                } else {
                    d
                };
            }
        } else if is(name, "so-rcvbuf:") {
            let n = strtoint(val);
            if n == -1 {
                return -1;
            }
            if misc {
                o.so_rcvbuf = n;
            }
        } else if is(name, "so-sndbuf:") {
            let n = strtoint(val);
            if n == -1 {
                return -1;
            }
            if misc {
                o.so_sndbuf = n;
            }
        }
        0
    }

    /// Host-table addresses for `name` (case-insensitive), in file order.
    pub fn hosts_lookup(&self, name: &[u8]) -> Vec<std::net::IpAddr> {
        self.hosts
            .iter()
            .filter(|e| e.name.as_bytes().eq_ignore_ascii_case(name))
            .map(|e| e.addr)
            .collect()
    }
}

/// Feeds `data` to a fresh resolver as the reply to its one pending A
/// query (the query's id patched in, so that the reply walk is reached):
/// what the request then reports, if it finished. For the fuzz target and
/// tests: hostile bytes must finish the request or leave it, never panic.
pub fn try_reply(data: &[u8]) -> Option<Outcome> {
    let mut n = 0u8;
    let mut r = Resolver::new(Box::new(move |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_add(91);
            *x = n;
        }
    }));
    let now = Instant::now();
    let ns = r.add_server(SocketAddr::from(([127, 0, 0, 1], 53)));
    r.resolve(
        now,
        TYPE_A,
        b"fuzz.example.test",
        DNS_QUERY_NO_SEARCH,
        Cb { func: 1, arg: 0 },
        true,
    )?;
    let sent = r.take_actions().into_iter().find_map(|a| match a {
        Action::Send { packet, .. } => Some(packet),
        _ => None,
    })?;
    let mut reply = data.to_vec();
    if reply.len() >= 2 {
        reply[..2].copy_from_slice(&sent[..2]);
    }
    r.on_packet(now, ns, &reply);
    r.take_actions().into_iter().find_map(|a| match a {
        Action::Callback { outcome, .. } => Some(outcome),
        _ => None,
    })
}

fn clipped(val: &str, min: i32, max: i32) -> Option<i32> {
    match conf::strtoint(val) {
        -1 => None,
        n => Some(n.clamp(min, max)),
    }
}

fn strip_dots(d: &[u8]) -> Vec<u8> {
    let start = d.iter().position(|&b| b != b'.').unwrap_or(d.len());
    d[start..].to_vec()
}

/// `name` with search domain `domain` appended; `None` for an empty name.
fn search_name(name: &[u8], domain: &[u8]) -> Option<Vec<u8>> {
    let last = *name.last()?;
    let mut n = name.to_vec();
    if last != b'.' {
        n.push(b'.');
    }
    n.extend_from_slice(domain);
    Some(n)
}

/// Writes a new transaction id into a request's packet (copied first if
/// a send still holds it).
fn patch_id(packet: &mut Arc<[u8]>, id: u16) {
    let id = id.to_be_bytes();
    match Arc::get_mut(packet) {
        Some(p) => p[..2].copy_from_slice(&id),
        None => {
            let mut p = packet.to_vec();
            p[..2].copy_from_slice(&id);
            *packet = p.into();
        }
    }
}

#[cfg(test)]
mod tests;
