//! Unit tests of the loader's internals (blocks are 64 bytes here, so records and keys are cut
//! across blocks everywhere): the hunting fast path against serde, and segmented reading against
//! one sequential pass, on generated exports and on mutations of them.

use proptest::prelude::*;
use serde::de::IgnoredAny;

use super::*;
use crate::synth::{SynthConfig, generate, write_export};

/// A generated export of `users` users' sign-ins (about 50 each), Graph's page shape.
fn export(seed: u64, users: usize) -> Vec<u8> {
    let world = generate(&SynthConfig::new(seed, users));
    let mut bytes = Vec::new();
    write_export(&world.sign_ins, &mut bytes).expect("encodes");
    bytes
}

/// Every record's byte range, from one sequential scan.
struct Ranges(Vec<(usize, usize)>);

impl Sink for Ranges {
    fn start(&mut self, _: &[u8], _: bool) -> Start {
        Start::Scan
    }
    fn record(&mut self, _: &[u8], start: usize, end: usize) {
        self.0.push((start, end));
    }
}

fn ranges(export: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges = Ranges(Vec::new());
    Scanner::default()
        .scan(export, 0, true, &mut ranges)
        .expect("scans");
    ranges.0
}

/// The records of an export, one JSON object each, as written.
fn records(export: &[u8]) -> Vec<Vec<u8>> {
    ranges(export)
        .into_iter()
        .map(|(a, b)| export[a..b].to_vec())
        .collect()
}

/// An export of the first `count` records of `export`.
fn first_records(export: &[u8], count: usize) -> Vec<u8> {
    let mut out = b"{\"value\":[".to_vec();
    for (i, record) in records(export).iter().take(count).enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(record);
    }
    out.extend_from_slice(b"]}");
    out
}

/// The hunting projector without its fast path: the reference.
#[derive(Default)]
struct SerdeOnly(HuntProjector);

impl Projector for SerdeOnly {
    type Out = HuntSignIn;
    fn project(&mut self, record: &[u8]) -> Result<Option<HuntSignIn>, ()> {
        self.0.project(record)
    }
}

type Loaded = Result<(Vec<HuntSignIn>, LoadStats), String>;

fn plain(result: Result<(Vec<HuntSignIn>, LoadStats), Error>) -> Loaded {
    result.map_err(|e| e.to_string())
}

/// Stats or the error, for readable failures.
fn summary(loaded: &Loaded) -> Result<LoadStats, String> {
    loaded
        .as_ref()
        .map(|(_, stats)| *stats)
        .map_err(String::clone)
}

/// One sequential pass with the hunting projector.
fn sequential(bytes: &[u8]) -> Loaded {
    let source = Source::Memory(bytes);
    plain(
        run_segment(
            &source,
            0,
            None,
            Scanner::default(),
            &mut HuntProjector::default(),
            None,
        )
        .and_then(|s| finish(&source, s.end.clone(), vec![s])),
    )
}

/// `bytes` with `edits` applied: (position, replace this many bytes, with these).
fn mutate(bytes: &[u8], edits: &[(usize, usize, Vec<u8>)]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for (at, remove, insert) in edits {
        let at = at % (out.len() + 1);
        let end = (at + remove).min(out.len());
        out.splice(at..end, insert.iter().copied());
    }
    out
}

fn edit() -> impl Strategy<Value = (usize, usize, Vec<u8>)> {
    let byte = prop_oneof![
        8 => proptest::sample::select(b"{}[]\",:\\ \n0123456789.-+eEtrufalsn".to_vec()),
        1 => any::<u8>(),
    ];
    (
        any::<usize>(),
        0usize..3,
        proptest::collection::vec(byte, 0..4),
    )
}

#[test]
fn generated_records_take_the_fast_path() {
    let bytes = export(7, 12);
    let all = records(&bytes);
    assert!(all.len() > 100);
    // One projector for all, as in a segment: keys predicted, field values cached.
    let mut fast = HuntProjector::default();
    let mut schema = fast::Schema::default();
    let mut slow = HuntProjector::default();
    for record in &all {
        let (len, raw) =
            fast::hunt_record(record, &mut schema).expect("the fast path handles Graph's shape");
        assert_eq!(len, record.len());
        let converted = fast.convert_fast(raw).expect("UTF-8");
        assert_eq!(converted, slow.project(record).map(Option::unwrap));
    }
}

#[test]
fn kept_strings_that_are_not_utf8_are_refused_as_serde_does() {
    let bytes = export(23, 1);
    let first = records(&bytes).swap_remove(0);
    let text = String::from_utf8(first.clone()).expect("UTF-8");
    let value = |key: &str| {
        let start = text.find(&format!("\"{key}\":\"")).expect(key) + key.len() + 4;
        start + 1
    };
    for key in [
        "id",
        "createdDateTime",
        "userPrincipalName",
        "ipAddress",
        "authenticationRequirement",
        "userAgent",
    ] {
        // The record as it is (its values cached), then with one byte of the value not UTF-8.
        let mut broken = first.clone();
        broken[value(key)] = 0xff;
        let mut export = b"[".to_vec();
        export.extend_from_slice(&first);
        export.push(b',');
        export.extend_from_slice(&broken);
        export.push(b']');
        let reference = plain(load_parallel(&Source::Memory(&export), SerdeOnly::default));
        assert_eq!(summary(&reference).map(|s| s.skipped), Ok(1), "{key}");
        assert_eq!(sequential(&export), reference, "{key}");
    }
}

#[test]
fn the_fast_path_and_serde_agree_on_a_whole_export() {
    let bytes = export(3, 20);
    let reference = plain(load_parallel(&Source::Memory(&bytes), SerdeOnly::default));
    assert!(reference.as_ref().is_ok_and(|(r, _)| r.len() > 500));
    assert_eq!(sequential(&bytes), reference);
    assert_eq!(plain(load_hunt_slice(&bytes)), reference);
}

#[test]
fn guessed_cuts_in_an_export_are_record_starts() {
    let lines = export(5, 20);
    // The same export without line breaks (never inside a JSON string, so all can go).
    let compact: Vec<u8> = lines.iter().copied().filter(|&b| b != b'\n').collect();
    for bytes in [lines, compact] {
        let starts: Vec<usize> = ranges(&bytes).into_iter().map(|(a, _)| a).collect();
        for at in (1000..bytes.len() - 20_000).step_by(7919) {
            let window = &bytes[at..(at + CUT_WINDOW).min(bytes.len())];
            let cut = guess_boundary(window).map(|offset| at + offset);
            assert!(
                cut.is_some_and(|c| starts.binary_search(&c).is_ok()),
                "guess at {at}: {cut:?}"
            );
        }
        let (between, first_end) = probe_between(&bytes).expect("a first record");
        assert!(first_end < starts[1]);
        assert!(!between.holds_bytes() && between.in_records && between.depth == 2);
    }
}

#[test]
fn wrong_cuts_give_the_sequential_result() {
    let bytes = export(9, 3);
    let expected = sequential(&bytes);
    let (between, _) = probe_between(&bytes).expect("a first record");
    let len = bytes.len() as u64;
    // Inside strings, keys and nested objects, at the very start and end, and past the end.
    let cuts: Vec<u64> = vec![
        0,
        1,
        9,
        10,
        11,
        100,
        1001,
        len / 2,
        len - 3,
        len - 1,
        len,
        len + 5,
    ];
    for (a, b) in cuts.iter().zip(cuts.iter().skip(1)) {
        for workers in [1, 2, 3] {
            let got = plain(load_segments(
                &Source::Memory(&bytes),
                &HuntProjector::default,
                workers,
                &between,
                &[*a, *b],
            ));
            assert_eq!(summary(&got), summary(&expected), "cuts {a}, {b}");
            assert_eq!(got, expected, "cuts {a}, {b}");
        }
    }
    // Every position of a short export as a single cut.
    let bytes = first_records(&bytes, 3);
    let expected = sequential(&bytes);
    assert!(expected.as_ref().is_ok_and(|(r, _)| r.len() == 3));
    for cut in 0..bytes.len() as u64 + 1 {
        let got = plain(load_segments(
            &Source::Memory(&bytes),
            &HuntProjector::default,
            2,
            &between,
            &[cut],
        ));
        assert_eq!(got, expected, "cut {cut}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whenever the fast path accepts a (possibly mutated) record, serde accepts the same bytes
    /// as one JSON value of that length, and both give the same sign-in (or both refuse it).
    #[test]
    fn fast_path_agrees_with_serde(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec(edit(), 0..4),
        trailing in proptest::sample::select(vec![&b""[..], b",", b"]}", b",\n{\"id\":1}"]),
    ) {
        let all = records(&export(11, 2));
        let original = pick.get::<Vec<u8>>(&all);
        let mut record = mutate(original, &edits);
        let whole = record.len();
        record.extend_from_slice(trailing);
        // Learn the key order and the field values from the original record first, so the
        // mutated one meets predicted keys and cached values.
        let mut schema = fast::Schema::default();
        let mut projector = HuntProjector::default();
        let (_, learnt) = fast::hunt_record(original, &mut schema).expect("fast path");
        prop_assert!(projector.convert_fast(learnt).is_ok());
        match fast::hunt_record(&record, &mut schema) {
            Ok((len, raw)) => {
                let mut stream = serde_json::Deserializer::from_slice(&record).into_iter::<IgnoredAny>();
                prop_assert!(matches!(stream.next(), Some(Ok(_))));
                prop_assert_eq!(stream.byte_offset(), len);
                prop_assert!(len <= whole);
                let reference = HuntProjector::default().project(&record[..len]);
                match projector.convert_fast(raw) {
                    Ok(fast) => prop_assert_eq!(fast.map(Some), reference),
                    // Not UTF-8: serde refuses it.
                    Err(_) => prop_assert_eq!(reference, Err(())),
                }
            }
            Err(fast::Stop::Incomplete) => {
                // Only when no JSON value ends in the bytes.
                let mut stream = serde_json::Deserializer::from_slice(&record).into_iter::<IgnoredAny>();
                prop_assert!(!matches!(stream.next(), Some(Ok(_))));
            }
            Err(fast::Stop::Fallback) => {}
        }
    }

    /// The loader with the fast path gives what serde alone gives, on mutated exports.
    #[test]
    fn loader_agrees_with_serde_only(edits in proptest::collection::vec(edit(), 0..5)) {
        let bytes = mutate(&export(13, 2), &edits);
        let reference = plain(load_parallel(&Source::Memory(&bytes), SerdeOnly::default));
        prop_assert_eq!(sequential(&bytes), reference);
    }

    /// Segments cut anywhere, on any number of threads, give the sequential result, on mutated
    /// exports too (errors included).
    #[test]
    fn any_cuts_give_the_sequential_result(
        edits in proptest::collection::vec(edit(), 0..3),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
        workers in 1usize..4,
        guessed in any::<bool>(),
    ) {
        let bytes = mutate(&export(17, 2), &edits);
        let mut cuts: Vec<u64> = cuts.iter().map(|i| i.index(bytes.len() + 2) as u64).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let between = if guessed {
            probe_between(&bytes).map(|(b, _)| b).unwrap_or_default()
        } else {
            Scanner::default()
        };
        let got = plain(load_segments(
            &Source::Memory(&bytes),
            &HuntProjector::default,
            workers,
            &between,
            &cuts,
        ));
        prop_assert_eq!(got, sequential(&bytes));
    }

    /// The same with cuts near record boundaries, where a wrong guess leaves the segment before
    /// between records (or just inside one), and in the envelope after the records.
    #[test]
    fn cuts_near_boundaries_give_the_sequential_result(
        edits in proptest::collection::vec(edit(), 0..2),
        picks in proptest::collection::vec((any::<prop::sample::Index>(), -3i64..4), 1..6),
        tail in proptest::option::of(0u64..4),
        workers in 1usize..4,
    ) {
        let original = export(19, 2);
        let starts: Vec<usize> = ranges(&original).into_iter().map(|(a, _)| a).collect();
        let bytes = mutate(&original, &edits);
        let mut cuts: Vec<u64> = picks
            .iter()
            .map(|(i, shift)| (*i.get(&starts) as i64 + shift).max(0) as u64)
            .collect();
        // In the envelope after the records.
        cuts.extend(tail.map(|t| (bytes.len() as u64).saturating_sub(t)));
        cuts.sort_unstable();
        cuts.dedup();
        let between = probe_between(&bytes).map(|(b, _)| b).unwrap_or_default();
        let got = plain(load_segments(
            &Source::Memory(&bytes),
            &HuntProjector::default,
            workers,
            &between,
            &cuts,
        ));
        let expected = sequential(&bytes);
        prop_assert_eq!(summary(&got), summary(&expected));
        prop_assert_eq!(got, expected);
    }

    /// The scanner and the fast path never panic, whatever the bytes.
    #[test]
    fn arbitrary_records_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut record = b"{".to_vec();
        record.extend_from_slice(&bytes);
        let _ = fast::hunt_record(&record, &mut fast::Schema::default());
        let _ = guess_boundary(&bytes);
        let _ = probe_between(&bytes);
        let _ = sequential(&bytes);
    }
}
