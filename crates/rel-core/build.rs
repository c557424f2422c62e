//! Names the platform families the sources test, so each list is written once:
//! `kqueue` (Apple systems and the BSDs) and `linux_kernel` (Linux, Android).

use std::env;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(kqueue, linux_kernel)");
    // Cargo describes the target (not the host running this script) in these.
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let vendor = env::var("CARGO_CFG_TARGET_VENDOR").unwrap_or_default();
    let bsd = matches!(os.as_str(), "freebsd" | "openbsd" | "netbsd" | "dragonfly");
    if bsd || vendor == "apple" {
        println!("cargo::rustc-cfg=kqueue");
    }
    if matches!(os.as_str(), "linux" | "android") {
        println!("cargo::rustc-cfg=linux_kernel");
    }
}
