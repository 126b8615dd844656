//! The table of criterion results, as ratios against plain tonic.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::targets::{Mode, VARIANTS, Variant};

/// Where criterion writes its results: `$CRITERION_HOME`, `$CARGO_TARGET_DIR/criterion`,
/// or the workspace's `target/criterion`.
pub fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("criterion")
}

/// Criterion's estimate of the time of one iteration, in ns: the slope of its linear
/// regression when it made one (what it prints), the mean otherwise.
pub fn estimate(dir: &Path, mode: Mode, variant: &str) -> Option<f64> {
    let path = dir
        .join(mode.name())
        .join(variant)
        .join("new/estimates.json");
    let json = std::fs::read_to_string(path).ok()?;
    point_estimate(&json, "slope").or_else(|| point_estimate(&json, "mean"))
}

/// `"key":{..."point_estimate":X...}` in criterion's `estimates.json`.
fn point_estimate(json: &str, key: &str) -> Option<f64> {
    let rest = &json[json.find(&format!("\"{key}\":{{"))?..];
    let rest = &rest[rest.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

/// Formats nanoseconds with a sensible unit.
pub fn format_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else if ns >= 100.0 {
        format!("{ns:.0} ns")
    } else {
        format!("{ns:.1} ns")
    }
}

fn baseline_of(variant: &Variant) -> &'static str {
    variant.baseline
}

/// The markdown table of the criterion results found in `dir`: time per call (per message
/// for the streams), the ratio to the variant's baseline, and the time added per layer.
pub fn criterion_table(dir: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| variant | unary: time | ratio | +ns/layer | server stream: time/msg | ratio | +ns/msg/layer | client stream: time/msg | ratio | +ns/msg/layer |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for variant in VARIANTS {
        let _ = write!(out, "| {} |", variant.name);
        for mode in Mode::ALL {
            let per = mode.messages() as f64;
            let time = estimate(dir, mode, variant.name).map(|t| t / per);
            let base = estimate(dir, mode, baseline_of(&variant)).map(|t| t / per);
            match (time, base) {
                (Some(time), Some(base)) => {
                    let layer = if variant.layers == 0 {
                        "".to_owned()
                    } else {
                        format!("{:+.1}", (time - base) / f64::from(variant.layers))
                    };
                    let _ = write!(out, " {} | {:.3} | {layer} |", format_ns(time), time / base);
                }
                (Some(time), None) => {
                    let _ = write!(out, " {} | | |", format_ns(time));
                }
                _ => out.push_str(" - | | |"),
            }
        }
        out.push('\n');
    }
    out
}
