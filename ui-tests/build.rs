//! Records the compiler's version for `tests/ui.rs`, which compares the `.stderr` snapshots
//! only on the compiler they were written with.

use std::process::Command;

fn main() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .unwrap_or_default();
    println!(
        "cargo::rustc-env=GRPC_INTERCEPTOR_UI_RUSTC={}",
        version.trim()
    );
    println!("cargo::rerun-if-changed=build.rs");
}
