use super::*;

#[test]
fn uri_is_prefixed() {
    assert_eq!(uri(b"Message"), b"/.rpc.Message");
}

#[test]
fn hook_results_from_c() {
    assert_eq!(HookResult::from_c(-1), HookResult::Terminate);
    assert_eq!(HookResult::from_c(0), HookResult::Continue);
    assert_eq!(HookResult::from_c(1), HookResult::Pause);
    assert_eq!(HookResult::from_c(7), HookResult::Terminate);
    assert_eq!(HookKind::from_c(1), Some(HookKind::Output));
    assert_eq!(HookKind::from_c(2), None);
}

#[test]
fn hooks_keep_order_and_handles() {
    let mut l = HookList::new();
    let a = l.add(1);
    let b = l.add(2);
    let c = l.add(3);
    assert_ne!(a, b);
    assert_eq!(l.snapshot(), [1, 2, 3]);
    assert!(l.remove(b));
    assert!(!l.remove(b), "a handle works once");
    assert_eq!(l.snapshot(), [1, 3]);
    assert!(l.remove(a) && l.remove(c) && l.is_empty());
}

#[test]
fn chain_stops_at_first_non_continue() {
    let mut seen = Vec::new();
    let r = run_hooks(&[0, 1, 0], |&h| {
        seen.push(h);
        HookResult::from_c(h)
    });
    assert_eq!((r, seen), (HookResult::Pause, vec![0, 1]));
    assert_eq!(
        run_hooks(&[0, 0], |_| HookResult::Continue),
        HookResult::Continue
    );
    assert_eq!(
        run_hooks::<i32>(&[], |_| HookResult::Terminate),
        HookResult::Continue
    );
}

#[test]
fn pauses_resume_once_in_order() {
    let mut p = PauseList::new();
    p.pause(10, 'a');
    p.pause(20, 'b');
    p.pause(10, 'c');
    assert_eq!(p.resume(10), Some('a'));
    assert_eq!(p.resume(10), Some('c'));
    assert_eq!(p.resume(10), None);
    assert_eq!(p.resume(30), None);
    p.clear();
    assert_eq!(p.resume(20), None);
}

#[test]
fn meta_finds_first_value_and_keeps_it_in_place() {
    let mut m = Meta::default();
    m.add(b"k", b"one");
    let p = m.find(b"k").unwrap().as_ptr();
    m.add(b"k", b"two");
    for i in 0..100 {
        m.add(format!("x{i}").as_bytes(), b"");
    }
    assert_eq!(m.find(b"k"), Some(&b"one"[..]));
    assert_eq!(m.find(b"k").unwrap().as_ptr(), p);
    assert_eq!(m.find(b"missing"), None);
}

#[test]
fn pool_sends_on_first_idle_connection_in_order() {
    let mut p: Pool<u8, &str> = Pool::new();
    assert_eq!(p.timeout(), -1);
    p.push("r1");
    assert_eq!(p.next(|_| true), None, "no connection yet");
    assert_eq!(
        p.add_connection(1),
        Some("r1"),
        "a new connection takes a waiting request"
    );
    p.add_connection(2);
    p.push("r2");
    p.push("r3");
    assert_eq!(p.next(|c| c == 2), Some((2, "r2")));
    assert_eq!(p.next(|_| false), None, "all busy: r3 waits");
    assert_eq!(p.set_timeout(5), &[1, 2]);
    assert!(p.remove_connection(1) && !p.remove_connection(1));
    assert_eq!(p.drain(), (vec!["r3"], vec![2]));
}
