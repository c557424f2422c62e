use super::*;
use crate::dns::wire::{
    build_response, parse_request, Question, Record, RecordData, QR, RD, TYPE_AAAA,
};

fn resolver() -> Resolver {
    let mut n = 0u8;
    let mut r = Resolver::new(Box::new(move |b: &mut [u8]| {
        for x in b {
            n = n.wrapping_add(37);
            *x = n;
        }
    }));
    r.options.randomize_case = false;
    r
}

const CB: Cb = Cb { func: 1, arg: 2 };

fn sent(actions: &[Action]) -> Vec<(u64, Vec<u8>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send { server, packet } => Some((*server, packet.to_vec())),
            _ => None,
        })
        .collect()
}

fn outcomes(actions: &[Action]) -> Vec<Outcome> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Callback { outcome, .. } => Some(outcome.clone()),
            _ => None,
        })
        .collect()
}

fn answer(query: &[u8], rcode: u16, records: &[Record]) -> Vec<u8> {
    let req = parse_request(query).unwrap();
    build_response(req.id, QR | RD | rcode, &req.questions, [records, &[], &[]])
}

fn a_record(q: &Question, ip: [u8; 4], ttl: u32) -> Record {
    Record {
        name: q.name.clone(),
        rtype: TYPE_A,
        class: 1,
        ttl,
        data: RecordData::Raw(ip.to_vec()),
    }
}

#[test]
fn answer_reaches_the_callback() {
    let mut r = resolver();
    let now = Instant::now();
    let ns = r.add_server("127.0.0.1:53".parse().unwrap());
    let h = r.resolve(now, TYPE_A, b"host.test", 0, CB, false).unwrap();
    let acts = r.take_actions();
    let s = sent(&acts);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, ns);
    let q = parse_request(&s[0].1).unwrap();
    assert_eq!(q.questions[0].name, b"host.test");
    let reply = answer(&s[0].1, 0, &[a_record(&q.questions[0], [10, 0, 0, 9], 77)]);
    r.on_packet(now, ns, &reply);
    let out = outcomes(&r.take_actions());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].err, DNS_ERR_NONE);
    assert_eq!(out[0].ttl, 77);
    assert_eq!(out[0].answer.addrs, [10, 0, 0, 9]);
    assert_eq!(out[0].answer.count, 1);
    assert!(!r.is_pending(h));
    // A second copy of the reply matches nothing.
    r.on_packet(now, ns, &reply);
    assert!(r.take_actions().is_empty());
}

#[test]
fn timeouts_retransmit_then_give_up() {
    let mut r = resolver();
    let t0 = Instant::now();
    r.set_option("attempts:", "2", DNS_OPTIONS_ALL);
    r.set_option("timeout", "0.5", DNS_OPTIONS_ALL);
    let ns = r.add_server("127.0.0.1:53".parse().unwrap());
    r.resolve(t0, TYPE_A, b"slow.test", DNS_QUERY_NO_SEARCH, CB, false)
        .unwrap();
    assert_eq!(sent(&r.take_actions()).len(), 1);
    let d = r.next_deadline().unwrap();
    assert_eq!(d - t0, Duration::from_millis(500));
    r.on_timer(d);
    assert_eq!(sent(&r.take_actions()).len(), 1, "retransmitted");
    let d2 = r.next_deadline().unwrap();
    r.on_timer(d2);
    let acts = r.take_actions();
    let out = outcomes(&acts);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].err, DNS_ERR_TIMEOUT);
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Log { msg, .. } if msg.contains("has failed"))));
    // Down: a probe goes out after the initial probe timeout.
    let p = r.next_deadline().unwrap();
    assert_eq!(p - d2, Duration::from_secs(10));
    r.on_timer(p);
    let s = sent(&r.take_actions());
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].0, ns);
    let q = parse_request(&s[0].1).unwrap();
    assert_eq!(q.questions[0].name, b"google.com");
    // Its NXDOMAIN brings the server back.
    r.on_packet(p, ns, &answer(&s[0].1, 3, &[]));
    let acts = r.take_actions();
    assert!(outcomes(&acts).is_empty(), "probes are internal");
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Log { msg, .. } if msg.contains("back up"))));
}

#[test]
fn search_list_order_and_ndots() {
    let mut r = resolver();
    let now = Instant::now();
    let ns = r.add_server("127.0.0.1:53".parse().unwrap());
    r.search_add(b"first.test");
    r.search_add(b".second.test");
    r.resolve(now, TYPE_A, b"host", 0, CB, false).unwrap();
    let mut asked = Vec::new();
    loop {
        let acts = r.take_actions();
        if !outcomes(&acts).is_empty() {
            assert_eq!(outcomes(&acts)[0].err, DNS_ERR_NOTEXIST);
            break;
        }
        let s = sent(&acts);
        assert_eq!(s.len(), 1);
        asked.push(
            String::from_utf8(parse_request(&s[0].1).unwrap().questions[0].name.clone()).unwrap(),
        );
        r.on_packet(now, ns, &answer(&s[0].1, 3, &[]));
    }
    assert_eq!(asked, ["host.second.test", "host.first.test", "host"]);
}

#[test]
fn cancel_reports_cancel_once() {
    let mut r = resolver();
    let now = Instant::now();
    r.add_server("127.0.0.1:53".parse().unwrap());
    let h = r.resolve(now, TYPE_AAAA, b"x.test", 0, CB, false).unwrap();
    r.take_actions();
    r.cancel(h);
    r.cancel(h);
    let out = outcomes(&r.take_actions());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].err, DNS_ERR_CANCEL);
    assert_eq!(r.next_deadline(), None);
}

#[test]
fn waiting_without_nameservers_then_resume() {
    let mut r = resolver();
    let now = Instant::now();
    r.resolve(now, TYPE_A, b"x.test", 0, CB, false).unwrap();
    assert!(sent(&r.take_actions()).is_empty());
    r.add_server("127.0.0.1:53".parse().unwrap());
    r.resume();
    assert_eq!(sent(&r.take_actions()).len(), 1);
    assert_eq!(r.clear_servers().len(), 1);
    r.shutdown(true);
    assert_eq!(outcomes(&r.take_actions())[0].err, DNS_ERR_SHUTDOWN);
}

#[test]
fn nameserver_ring_order() {
    let mut r = resolver();
    for p in [1, 2, 3] {
        r.add_server(format!("127.0.0.1:{p}").parse().unwrap());
    }
    let ports: Vec<u16> = (0..3).map(|i| r.server_addr(i).unwrap().port()).collect();
    assert_eq!(ports, [1, 3, 2]);
    assert!(r.has_server("127.0.0.1:2".parse().unwrap()));
}

#[test]
fn reverse_names() {
    assert_eq!(reverse_name_v4([1, 2, 3, 4]), "4.3.2.1.in-addr.arpa");
    let mut v6 = [0u8; 16];
    v6[15] = 0x1f;
    assert!(reverse_name_v6(v6).starts_with("f.1.0.0."));
    assert!(reverse_name_v6(v6).ends_with(".ip6.arpa"));
}
