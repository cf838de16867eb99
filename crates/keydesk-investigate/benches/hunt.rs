//! Benchmark: `hunt` over 1,000,000 generated Graph-shaped sign-ins read from a file (goal:
//! under 3 s and under 1 GiB peak memory), and per-user `investigate` latency.
//!
//! Run with `cargo bench -p keydesk-investigate --bench hunt`. The export is generated once into
//! `$KEYDESK_BENCH_DIR` (default: the system temp dir); each measurement runs in a fresh child
//! process so its peak resident memory (VmHWM) is its own. The hunt time counts everything from
//! opening the file: reading, parsing and detecting (the file itself is in the page cache after
//! the first run).
//!
//! Figures (2026-11-24, development machine: 2 cores, 24 GiB; load average 1.3–1.6 from other
//! work during the runs), three runs of
//! `CARGO_TARGET_DIR=/work/target-investigate cargo bench -p keydesk-investigate --bench hunt`
//! on the 1,584 MiB export of 1,000,000 sign-ins:
//!
//! | measure | result | goal |
//! |---|---|---|
//! | hunt from the file, total | **1.36–1.76 s** (567,000–734,000 sign-ins/s) | < 3 s |
//! | … of which loading (read + parse, 2 threads) | 1.18–1.59 s | |
//! | … of which detection | 0.12–0.20 s | |
//! | peak resident memory of the hunt | **168–169 MiB** | < 1 GiB |
//! | investigate one user from the file (reads all of it) | 4.03–4.07 s, 7 MiB | |
//! | investigate per user, in memory (2,000 users, ~52 sign-ins each) | p50 111–156 µs, p99 195–265 µs | |
//!
//! Before the fast loader the hunt took 6.19 s (parsing dominated), peak 247 MiB. The time
//! depends on the machine's load: the loader's threads share the two cores with whatever else
//! runs.

#![allow(clippy::print_stdout)]

use std::io::BufWriter;
use std::path::PathBuf;
use std::time::Instant;

use keydesk_investigate::load::load_user_sign_ins_file;
use keydesk_investigate::synth::{SynthConfig, generate, synth_detection_config, write_export};
use keydesk_investigate::{Timestamp, Window, hunt, investigate, load_hunt_file};

const TARGET: usize = 1_000_000;
const BATCH_USERS: usize = 1_000;

fn main() {
    let dir = std::env::var_os("KEYDESK_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let path = dir.join("keydesk-signins-1m.json");
    match std::env::var("KEYDESK_BENCH_CHILD").as_deref() {
        Ok("hunt") => return measure_hunt(&path),
        Ok("investigate") => return measure_investigate(&path),
        _ => {}
    }
    if !path.exists() {
        generate_file(&path);
    }
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "input: {} ({:.0} MiB)",
        path.display(),
        size as f64 / 1048576.0
    );
    let exe = std::env::current_exe().expect("own path");
    for child in ["hunt", "investigate"] {
        let status = std::process::Command::new(&exe)
            .env("KEYDESK_BENCH_CHILD", child)
            .env("KEYDESK_BENCH_DIR", &dir)
            .status()
            .expect("child runs");
        assert!(status.success(), "{child} measurement failed");
    }
}

fn generate_file(path: &std::path::Path) {
    let started = Instant::now();
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp).expect("create export");
    let mut out = BufWriter::with_capacity(1 << 20, file);
    use std::io::Write;
    out.write_all(b"{\"value\":[").expect("write");
    let mut written = 0usize;
    let mut batch = 0usize;
    while written < TARGET {
        let mut config = SynthConfig::new(batch as u64 + 1, BATCH_USERS);
        config.first_user = batch * BATCH_USERS;
        config.inject = batch == 0;
        let world = generate(&config);
        let take = world.sign_ins.len().min(TARGET - written);
        let mut chunk = Vec::new();
        write_export(&world.sign_ins[..take], &mut chunk).expect("encode");
        // Strip the page envelope of the chunk and splice its records in.
        let text = String::from_utf8(chunk).expect("utf-8");
        let start = text.find("\"value\":[").expect("envelope") + "\"value\":[".len();
        let end = text.rfind("]}").expect("envelope");
        if written > 0 {
            out.write_all(b",\n").expect("write");
        }
        out.write_all(&text.as_bytes()[start..end]).expect("write");
        written += take;
        batch += 1;
    }
    out.write_all(b"]}\n").expect("write");
    out.flush().expect("flush");
    drop(out);
    std::fs::rename(&tmp, path).expect("rename");
    println!(
        "generated {written} sign-ins in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn measure_hunt(path: &std::path::Path) {
    let config = synth_detection_config();
    let started = Instant::now();
    let (records, stats) = load_hunt_file(path).expect("loads");
    let loaded = started.elapsed();
    let newest = records.iter().map(|r| r.at).max().unwrap_or_default();
    let report = hunt(&records, Some(Window::last_days(newest, 30)), &config);
    let total = started.elapsed();
    println!(
        "hunt: {} sign-ins ({} skipped, {:.0} MiB) -> {} findings in {:.2} s (load {:.2} s, detect {:.2} s), {:.0} sign-ins/s, peak RSS {:.0} MiB",
        stats.records,
        stats.skipped,
        stats.bytes as f64 / 1048576.0,
        report.findings.len(),
        total.as_secs_f64(),
        loaded.as_secs_f64(),
        (total - loaded).as_secs_f64(),
        stats.records as f64 / total.as_secs_f64(),
        peak_rss_mib()
    );
}

fn measure_investigate(path: &std::path::Path) {
    let config = synth_detection_config();
    // From the file: one user's records out of the million, then the detections.
    let started = Instant::now();
    let upn = "user0000002@contoso.example";
    let (sign_ins, _) = load_user_sign_ins_file(path, upn).expect("loads");
    let loaded = started.elapsed();
    let now = sign_ins
        .iter()
        .map(|s| s.created_date_time)
        .max()
        .unwrap_or_default()
        .plus(Timestamp::MINUTE);
    let mut evidence = keydesk_investigate::Evidence::default();
    evidence.user.user_principal_name = upn.to_owned();
    evidence.sign_ins = sign_ins;
    let result = investigate(&evidence, Window::last_days(now, 3), &config);
    println!(
        "investigate from the 1M file: {} ({} sign-ins) -> {} in {:.2} s (scan {:.2} s), peak RSS {:.0} MiB",
        upn,
        evidence.sign_ins.len(),
        result.verdict.verdict.as_str(),
        started.elapsed().as_secs_f64(),
        loaded.as_secs_f64(),
        peak_rss_mib()
    );
    // In memory: the detections alone, per user, over a population.
    let synth = SynthConfig::new(11, 2_000);
    let world = generate(&synth);
    let groups = world.by_user();
    let evidences: Vec<_> = groups.iter().map(|(u, i)| world.evidence(u, i)).collect();
    let mut latencies = Vec::with_capacity(evidences.len());
    for evidence in &evidences {
        let t = Instant::now();
        let result = investigate(evidence, synth.window(), &config);
        latencies.push(t.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(result);
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "investigate per user (in memory, {} users, ~{} sign-ins each): p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        latencies.len(),
        world.sign_ins.len() / latencies.len().max(1),
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
}
