//! The offline loader for sign-in export files: `{"value":[...]}` (Graph's page shape, also
//! what the Entra portal's JSON download gives) or a bare array of sign-ins.
//!
//! A large file is cut into segments (about 32 MiB each, at most 16 per core) that one thread
//! per core takes in turn, so a thread slowed by other work on the machine takes fewer; each
//! segment is read in blocks. A small byte scanner (strings, escapes and nesting only) finds
//! where each record object starts and ends, so no full JSON tree is ever built, and each record
//! is parsed where it lies, into only the fields the caller needs, sharing repeated strings.
//! Hunting records take a fast path ([`fast`]) that checks and projects a record in the same pass
//! that finds its end; anything it does not handle goes through serde. Memory stays at the kept
//! records plus one block per thread, whatever the file size.
//!
//! Cutting is speculative: a segment after the first starts at a guessed record boundary, and is
//! kept only if the segment before it ended in exactly the scanner state between two records;
//! otherwise it is read again from the true state there (and when a record straddles the cut,
//! the rest of the file is read again in order). The result is always what one sequential pass
//! gives, records in file order.
//!
//! Malformed input never panics: a record that does not parse is skipped and counted in
//! [`LoadStats`]; a file whose top level is not an export, or that ends mid-record, is an
//! [`Error::NotAnExport`].

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{
    AuthStep, DeviceDetail, GeoCoordinates, HuntSignIn, Location, SignIn, Status, Text, Timestamp,
};

mod fast;

/// How much of the file was used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LoadStats {
    /// Records found in the file.
    pub records: usize,
    /// Records kept (parsed, and matching the filter when there is one).
    pub kept: usize,
    /// Records that did not parse (or had no id or time) and were skipped.
    pub skipped: usize,
    /// Bytes read.
    pub bytes: u64,
}

/// Block size read from the file by each thread (tiny in unit tests, to cut records everywhere).
const BLOCK: usize = if cfg!(test) { 64 } else { 1 << 20 };
/// Inputs smaller than this are read by one thread.
const MIN_PARALLEL: u64 = 4 << 20;
/// About this many bytes per segment (at least one segment per thread, at most 16 per thread).
const SEGMENT: u64 = 32 << 20;
/// The first record must end in this many bytes for the input to be cut.
const HEAD: usize = 1 << 20;
/// Bytes read at a guessed cut to find a record boundary.
const CUT_WINDOW: usize = 64 << 10;
/// A speculative segment gives up rather than hold a record larger than this.
const SPECULATIVE_MAX_BUFFER: usize = 64 << 20;

/// Loads every sign-in of an export file.
pub fn load_sign_ins_file(path: &Path) -> Result<(Vec<SignIn>, LoadStats), Error> {
    load_parallel(&Source::file(path)?, || FullProjector::new(None))
}

/// Loads the sign-ins of one user (UPN, case-insensitive) from an export file.
pub fn load_user_sign_ins_file(
    path: &Path,
    user_principal_name: &str,
) -> Result<(Vec<SignIn>, LoadStats), Error> {
    let upn = user_principal_name.to_lowercase();
    load_parallel(&Source::file(path)?, || {
        FullProjector::new(Some(upn.clone()))
    })
}

/// Loads the lean hunting projection of every sign-in of an export file.
pub fn load_hunt_file(path: &Path) -> Result<(Vec<HuntSignIn>, LoadStats), Error> {
    load_parallel(&Source::file(path)?, HuntProjector::default)
}

/// Loads sign-ins from bytes already in memory.
pub fn load_sign_ins_slice(bytes: &[u8]) -> Result<(Vec<SignIn>, LoadStats), Error> {
    load_parallel(&Source::Memory(bytes), || FullProjector::new(None))
}

/// Loads the hunting projection from bytes already in memory.
pub fn load_hunt_slice(bytes: &[u8]) -> Result<(Vec<HuntSignIn>, LoadStats), Error> {
    load_parallel(&Source::Memory(bytes), HuntProjector::default)
}

/// Turns one record's bytes into a kept value.
trait Projector: Send {
    type Out: Send;
    /// The general path, on one whole record: `Err` = malformed, `Ok(None)` = filtered out.
    fn project(&mut self, record: &[u8]) -> Result<Option<Self::Out>, ()>;
    /// The fast path, on the bytes from a record's `{` to the end of the block.
    fn fast(&mut self, _bytes: &[u8]) -> Fast<Self::Out> {
        Fast::Fallback
    }
    /// Whether (nearly) every record is kept, so the output can be sized from the input.
    fn keeps_all(&self) -> bool {
        true
    }
}

/// What the fast path made of a record.
enum Fast<T> {
    /// The record is `len` bytes long and gave this (as [`Projector::project`] would have).
    Done(usize, Result<Option<T>, ()>),
    /// The block ends inside the record.
    Incomplete,
    /// Not handled here: scan the record and use the general path.
    Fallback,
}

/// Where the export is read from.
enum Source<'a> {
    File {
        path: &'a Path,
        file: File,
        len: u64,
    },
    Memory(&'a [u8]),
}

impl<'a> Source<'a> {
    fn file(path: &'a Path) -> Result<Self, Error> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // Not a regular file (a pipe): length 0, read by one thread to its end.
        let len = file
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map_or(0, |m| m.len());
        Ok(Source::File { path, file, len })
    }

    fn path(&self) -> &Path {
        match self {
            Source::File { path, .. } => path,
            Source::Memory(_) => Path::new("<memory>"),
        }
    }

    fn len(&self) -> u64 {
        match self {
            Source::File { len, .. } => *len,
            Source::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// A reader of `start..end` (`end = None`: to the end of the input).
    fn open(&self, start: u64, end: Option<u64>) -> Result<Box<dyn Read + Send + 'a>, Error> {
        match self {
            Source::File { path, file, len } => {
                // A pipe is read once, whole, through the handle already open; a regular file
                // is opened again for each range.
                let mut file = if *len == 0 {
                    file.try_clone()
                } else {
                    File::open(path)
                }
                .map_err(|e| Error::io(*path, e))?;
                if start > 0 {
                    file.seek(SeekFrom::Start(start))
                        .map_err(|e| Error::io(*path, e))?;
                }
                Ok(match end {
                    Some(end) => Box::new(file.take(end.saturating_sub(start))),
                    None => Box::new(file),
                })
            }
            Source::Memory(bytes) => {
                let len = bytes.len() as u64;
                let start = usize::try_from(start.min(len)).unwrap_or(bytes.len());
                let end = usize::try_from(end.unwrap_or(len).clamp(start as u64, len))
                    .unwrap_or(bytes.len());
                Ok(Box::new(bytes.get(start..end).unwrap_or_default()))
            }
        }
    }

    /// Up to `len` bytes from `start`.
    fn read_at(&self, start: u64, len: usize) -> Result<Vec<u8>, Error> {
        let mut reader = self.open(start, Some(start + len as u64))?;
        let mut bytes = vec![0; len];
        let read = read_full(&mut reader, &mut bytes).map_err(|e| Error::io(self.path(), e))?;
        bytes.truncate(read);
        Ok(bytes)
    }
}

/// One segment's results.
struct Segment<T> {
    /// Where it started, and in which scanner state.
    start: u64,
    start_state: Scanner,
    out: Vec<T>,
    kept: usize,
    skipped: usize,
    bytes: u64,
    /// The scanner at the segment's end (its `records` counts the segment's records).
    end: Scanner,
    /// A speculative segment stopped at a record larger than it may hold.
    gave_up: bool,
}

fn load_parallel<P, F>(source: &Source<'_>, make: F) -> Result<(Vec<P::Out>, LoadStats), Error>
where
    P: Projector,
    F: Fn() -> P + Sync,
{
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let plan = if workers > 1 && source.len() >= MIN_PARALLEL {
        plan_cuts(source, workers)?
    } else {
        None
    };
    match plan {
        Some((between, cuts)) => load_segments(source, &make, workers, &between, &cuts),
        None => {
            let segment = run_segment(source, 0, None, Scanner::default(), &mut make(), None)?;
            finish(source, segment.end.clone(), vec![segment])
        }
    }
}

/// Reads the input as segments cut at `cuts` (ascending offsets, each a guessed record start),
/// on `workers` threads. `between` is the scanner state between two records: a segment after the
/// first starts in it, and is kept only if the segment before ended in it. Whatever the cuts, the
/// result is that of one sequential pass.
fn load_segments<P, F>(
    source: &Source<'_>,
    make: &F,
    workers: usize,
    between: &Scanner,
    cuts: &[u64],
) -> Result<(Vec<P::Out>, LoadStats), Error>
where
    P: Projector,
    F: Fn() -> P + Sync,
{
    // Segment k covers starts[k]..starts[k + 1]; the last one reads to the end. The threads take
    // the next segment as they finish one, so a thread slowed by other work on the machine
    // takes fewer.
    let mut starts = vec![0];
    starts.extend_from_slice(cuts);
    let ends: Vec<Option<u64>> = starts
        .iter()
        .skip(1)
        .map(|&e| Some(e))
        .chain([None])
        .collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut projector = make();
        let mut done = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let (Some(&start), Some(&end)) = (starts.get(k), ends.get(k)) else {
                break;
            };
            let (state, max_buffer) = if k == 0 {
                (Scanner::default(), None)
            } else {
                (between.clone(), Some(SPECULATIVE_MAX_BUFFER))
            };
            done.push((
                k,
                run_segment(source, start, end, state, &mut projector, max_buffer),
            ));
        }
        done
    };
    let mut results: Vec<Option<Result<Segment<P::Out>, Error>>> =
        starts.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for handle in handles {
            // A worker only ends by returning; a panic there is a bug worth propagating.
            match handle.join() {
                Ok(more) => done.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (k, result) in done {
            if let Some(slot) = results.get_mut(k) {
                *slot = Some(result);
            }
        }
    });
    // Keep each segment whose start was guessed right, and read the others again from the true
    // state where they start. When the segment before ended inside a record (whose first bytes
    // only it holds), read on from where that one started to the end, in order: the record is
    // larger than a segment, and reading segment by segment could read it many times.
    let mut segments: Vec<Segment<P::Out>> = Vec::with_capacity(results.len());
    let mut projector = None;
    for (k, result) in results.into_iter().enumerate() {
        let guessed_right = segments.last().is_none_or(|p| p.end.same_state(between));
        let segment = match result {
            Some(Ok(segment)) if guessed_right && !segment.gave_up => segment,
            Some(Err(error)) if guessed_right => return Err(error),
            _ => {
                let (start, end, state) = match segments.pop() {
                    Some(previous) if previous.end.holds_bytes() => {
                        (previous.start, None, previous.start_state)
                    }
                    Some(previous) => {
                        let state = previous.end.clone();
                        segments.push(previous);
                        (starts[k], ends[k], state)
                    }
                    None => (starts[k], ends[k], Scanner::default()),
                };
                let projector = projector.get_or_insert_with(make);
                let segment = run_segment(source, start, end, state, projector, None)?;
                if end.is_none() {
                    segments.push(segment);
                    break;
                }
                segment
            }
        };
        segments.push(segment);
    }
    let end = segments.last().map(|s| s.end.clone()).unwrap_or_default();
    finish(source, end, segments)
}

/// The final checks on the scanner at the end of the input, and the segments joined in order.
fn finish<T>(
    source: &Source<'_>,
    end: Scanner,
    segments: Vec<Segment<T>>,
) -> Result<(Vec<T>, LoadStats), Error> {
    let not_export = |reason: &str| Error::NotAnExport {
        path: PathBuf::from(source.path()),
        reason: reason.to_owned(),
    };
    match end.bare {
        None => return Err(not_export("empty")),
        Some(false) if !end.found_value => {
            return Err(not_export("an object without a \"value\" array"));
        }
        _ => {}
    }
    if end.depth != 0 || end.in_string {
        return Err(not_export("it ends in the middle of a record"));
    }
    let mut stats = LoadStats::default();
    let total = segments.iter().map(|s| s.out.len()).sum();
    let mut out = Vec::with_capacity(total);
    for mut segment in segments {
        stats.records += segment.end.records;
        stats.kept += segment.kept;
        stats.skipped += segment.skipped;
        stats.bytes += segment.bytes;
        out.append(&mut segment.out);
    }
    Ok((out, stats))
}

/// Where to cut the input for `workers` threads: the scanner state between two records, and the
/// guessed record starts. `None`: read it in one pass.
fn plan_cuts(source: &Source<'_>, workers: usize) -> Result<Option<(Scanner, Vec<u64>)>, Error> {
    let len = source.len();
    let Some((between, first_end)) = probe_between(&source.read_at(0, HEAD)?) else {
        return Ok(None);
    };
    let count = (len / SEGMENT).clamp(workers as u64, workers as u64 * 16);
    let mut cuts: Vec<u64> = Vec::new();
    for k in 1..count {
        let at = len / count * k;
        let window = source.read_at(at, CUT_WINDOW)?;
        if let Some(cut) = guess_boundary(&window).map(|offset| at + offset as u64)
            && cut > cuts.last().copied().unwrap_or(first_end as u64)
            && cut < len
        {
            cuts.push(cut);
        }
    }
    Ok((!cuts.is_empty()).then_some((between, cuts)))
}

/// The scanner state right after the first record in `head` closes (the state between any two
/// records), and where that record ends; `None` when no record ends in `head`.
fn probe_between(head: &[u8]) -> Option<(Scanner, usize)> {
    let mut probe = Scanner::default();
    let mut first = FirstRecord(None);
    let _ = probe.scan(head, 0, true, &mut first);
    let first_end = first.0?;
    let mut between = Scanner::default();
    between
        .scan(head.get(..first_end)?, 0, true, &mut FirstRecord(None))
        .ok()?;
    between.records = 0;
    Some((between, first_end))
}

/// A likely record start in `window`, read from an unknown position: the `{` of an array element
/// that is an object (`,` before it) at the shallowest nesting seen. Scanning starts outside any
/// string, most likely: after the first line break (a raw line break is never inside a JSON
/// string), or else after the first `":` whose quote is not escaped (the end of a key).
fn guess_boundary(window: &[u8]) -> Option<usize> {
    let after_key = || {
        window.windows(2).enumerate().find_map(|(at, pair)| {
            let escapes = window[..at]
                .iter()
                .rev()
                .take_while(|&&b| b == b'\\')
                .count();
            (pair == b"\":" && escapes % 2 == 0).then_some(at + 2)
        })
    };
    let mut i = window
        .iter()
        .position(|&b| b == b'\n')
        .map(|at| at + 1)
        .or_else(after_key)
        .unwrap_or(0);
    let mut depth = 0i64;
    let mut after_comma = false;
    let mut best: Option<(i64, usize)> = None;
    while let Some(&c) = window.get(i) {
        match c {
            b'"' => {
                // Skip the string.
                let mut j = i + 1;
                loop {
                    j = find_quote_or_backslash(window, j);
                    match window.get(j) {
                        Some(b'\\') => j += 2,
                        Some(_) => break,
                        None => return best.map(|(_, at)| at),
                    }
                }
                i = j;
                after_comma = false;
            }
            b'{' | b'[' => {
                if c == b'{' && after_comma && best.is_none_or(|(d, _)| depth < d) {
                    best = Some((depth, i));
                }
                depth += 1;
                after_comma = false;
            }
            b'}' | b']' => {
                depth -= 1;
                after_comma = false;
            }
            b',' => after_comma = true,
            b' ' | b'\n' | b'\r' | b'\t' => {}
            _ => after_comma = false,
        }
        i += 1;
    }
    best.map(|(_, at)| at)
}

/// The first `"` or `\` at or after `from` (`b.len()` when none).
fn find_quote_or_backslash(b: &[u8], from: usize) -> usize {
    let mut i = from;
    loop {
        let at = fast::string_special(b, i);
        match b.get(at) {
            Some(b'"' | b'\\') | None => return at,
            // A control character: not special here.
            Some(_) => i = at + 1,
        }
    }
}

/// Reads one segment (`start..end`, or to the end of the input) from the scanner state `state`,
/// projecting records as they are found. `max_buffer`: give up (with an error) rather than grow
/// the block buffer past this, for speculative segments.
fn run_segment<P: Projector>(
    source: &Source<'_>,
    start: u64,
    end: Option<u64>,
    mut scanner: Scanner,
    projector: &mut P,
    max_buffer: Option<usize>,
) -> Result<Segment<P::Out>, Error> {
    let path = source.path();
    let not_export = |reason: &str| Error::NotAnExport {
        path: PathBuf::from(path),
        reason: reason.to_owned(),
    };
    // The segment counts its own records.
    scanner.records = 0;
    let start_state = scanner.clone();
    let mut reader = source.open(start, end)?;
    let mut sink = Collect {
        projector,
        out: Vec::new(),
        kept: 0,
        skipped: 0,
    };
    let sized = end.or((source.len() > start).then_some(source.len()));
    if let Some(end) = sized.filter(|_| sink.projector.keeps_all()) {
        // About one kept record per 1.5 KiB of a typical export.
        let estimate = end.saturating_sub(start) / 1536;
        sink.out
            .reserve(usize::try_from(estimate).unwrap_or(0).min(1 << 24));
    }
    let mut buffer = vec![0u8; BLOCK];
    let mut filled = 0usize;
    let mut scanned = 0usize;
    let mut total = 0u64;
    loop {
        if filled == buffer.len() {
            // One record fills the whole buffer: make room.
            let grown = buffer.len() * 2;
            if max_buffer.is_some_and(|max| grown > max) {
                return Ok(Segment {
                    start,
                    start_state,
                    out: Vec::new(),
                    kept: 0,
                    skipped: 0,
                    bytes: total,
                    end: scanner,
                    gave_up: true,
                });
            }
            buffer.resize(grown, 0);
        }
        let read = read_full(&mut reader, &mut buffer[filled..]).map_err(|e| Error::io(path, e))?;
        let eof = filled + read < buffer.len();
        filled += read;
        total += read as u64;
        let resume = scanner
            .scan(&buffer[..filled], scanned, eof, &mut sink)
            .map_err(&not_export)?;
        if eof {
            break;
        }
        // Carry the unfinished record (or key) to the front of the buffer.
        let carry_from = resume
            .min(scanner.record_start.unwrap_or(resume))
            .min(scanner.key_start.unwrap_or(resume));
        buffer.copy_within(carry_from..filled, 0);
        filled -= carry_from;
        scanned = resume - carry_from;
        if let Some(start) = scanner.record_start.as_mut() {
            *start -= carry_from;
        }
        if let Some(key) = scanner.key_start.as_mut() {
            *key -= carry_from;
        }
    }
    Ok(Segment {
        start,
        start_state,
        out: sink.out,
        kept: sink.kept,
        skipped: sink.skipped,
        bytes: total,
        end: scanner,
        gave_up: false,
    })
}

fn read_full<R: Read + ?Sized>(reader: &mut R, mut buf: &mut [u8]) -> std::io::Result<usize> {
    let mut total = 0;
    while !buf.is_empty() {
        match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => {
                total += n;
                buf = &mut buf[n..];
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(total)
}

/// What the scanner does at a record's start.
enum Start {
    /// The sink took the whole record, this many bytes.
    Consumed(usize),
    /// The block ends inside the record: stop here, and start again with more bytes.
    Wait,
    /// Scan the record byte by byte and hand it to [`Sink::record`].
    Scan,
}

/// Receives the records the scanner finds.
trait Sink {
    /// At a record's `{`: `bytes` runs to the end of the block; `can_wait`: [`Start::Wait`] is
    /// allowed.
    fn start(&mut self, bytes: &[u8], can_wait: bool) -> Start;
    /// A whole record found by scanning; `end` is one past its `}` in `buffer`.
    fn record(&mut self, buffer: &[u8], start: usize, end: usize);
}

/// Projects records into a list.
struct Collect<'p, P: Projector> {
    projector: &'p mut P,
    out: Vec<P::Out>,
    kept: usize,
    skipped: usize,
}

impl<P: Projector> Collect<'_, P> {
    fn take(&mut self, result: Result<Option<P::Out>, ()>) {
        match result {
            Ok(Some(value)) => {
                self.out.push(value);
                self.kept += 1;
            }
            Ok(None) => {}
            Err(()) => self.skipped += 1,
        }
    }
}

impl<P: Projector> Sink for Collect<'_, P> {
    fn start(&mut self, bytes: &[u8], can_wait: bool) -> Start {
        match self.projector.fast(bytes) {
            Fast::Done(len, result) => {
                self.take(result);
                Start::Consumed(len)
            }
            Fast::Incomplete if can_wait => Start::Wait,
            Fast::Incomplete | Fast::Fallback => Start::Scan,
        }
    }

    fn record(&mut self, buffer: &[u8], start: usize, end: usize) {
        let result = buffer
            .get(start..end)
            .map_or(Err(()), |r| self.projector.project(r));
        self.take(result);
    }
}

/// Notes where the first record ends.
struct FirstRecord(Option<usize>);

impl Sink for FirstRecord {
    fn start(&mut self, _bytes: &[u8], _can_wait: bool) -> Start {
        Start::Scan
    }

    fn record(&mut self, _buffer: &[u8], _start: usize, end: usize) {
        self.0.get_or_insert(end);
    }
}

/// The scanner's state between blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Scanner {
    depth: u32,
    in_string: bool,
    escape: bool,
    /// `Some(true)` bare array, `Some(false)` object with `value`.
    bare: Option<bool>,
    /// Inside the array whose object elements are records.
    in_records: bool,
    /// Depth of that array's elements' container (1 bare, 2 under `value`).
    record_depth: u32,
    /// The last depth-1 string was `"value"`.
    last_key_is_value: bool,
    key_start: Option<usize>,
    /// Start of the record being scanned, in the current buffer.
    record_start: Option<usize>,
    records: usize,
    found_value: bool,
}

impl Scanner {
    /// The same state, whatever was counted.
    fn same_state(&self, other: &Scanner) -> bool {
        Scanner {
            records: 0,
            ..self.clone()
        } == Scanner {
            records: 0,
            ..other.clone()
        }
    }

    /// Whether the state points into the block (a record or key being scanned), so scanning can
    /// only go on with those bytes.
    fn holds_bytes(&self) -> bool {
        self.record_start.is_some() || self.key_start.is_some()
    }

    /// Scans `buf[from..]`, handing records to `sink`; returns where scanning stopped (the end
    /// of `buf`, or a record start when the sink waits for more bytes, never when `eof`).
    fn scan<K: Sink>(
        &mut self,
        buf: &[u8],
        from: usize,
        eof: bool,
        sink: &mut K,
    ) -> Result<usize, &'static str> {
        let mut i = from;
        let len = buf.len();
        while i < len {
            let c = buf[i];
            if self.in_string {
                // Skip quickly to the next quote or backslash.
                if self.escape {
                    self.escape = false;
                    i += 1;
                    continue;
                }
                let at = find_quote_or_backslash(buf, i);
                if at >= len {
                    return Ok(len);
                }
                i = at;
                if buf[i] == b'\\' {
                    self.escape = true;
                } else {
                    self.in_string = false;
                    if let Some(start) = self.key_start.take() {
                        self.last_key_is_value = buf.get(start..i) == Some(b"value");
                    }
                }
                i += 1;
                continue;
            }
            match c {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 && self.bare == Some(false) {
                        self.key_start = Some(i + 1);
                    }
                }
                b'{' | b'[' => {
                    if self.bare.is_none() {
                        self.bare = Some(c == b'[');
                        if c == b'[' {
                            self.in_records = true;
                            self.record_depth = 1;
                        }
                    } else if self.depth == 0 {
                        return Err("more than one top-level value");
                    }
                    if c == b'['
                        && self.depth == 1
                        && self.bare == Some(false)
                        && self.last_key_is_value
                    {
                        self.in_records = true;
                        self.found_value = true;
                        self.record_depth = 2;
                    }
                    if c == b'{' && self.in_records && self.depth == self.record_depth {
                        match sink.start(&buf[i..], !eof && i > 0) {
                            Start::Consumed(taken) => {
                                self.records += 1;
                                i += taken;
                                continue;
                            }
                            Start::Wait => return Ok(i),
                            Start::Scan => self.record_start = Some(i),
                        }
                    }
                    self.depth += 1;
                    if self.depth > 512 {
                        return Err("nesting deeper than 512");
                    }
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        return Err("unbalanced brackets");
                    }
                    self.depth -= 1;
                    if c == b'}'
                        && self.in_records
                        && self.depth == self.record_depth
                        && let Some(start) = self.record_start.take()
                    {
                        sink.record(buf, start, i + 1);
                        self.records += 1;
                    }
                    if c == b']' && self.in_records && self.depth + 1 == self.record_depth {
                        self.in_records = false;
                    }
                }
                b' ' | b'\n' | b'\r' | b'\t' | b',' | b':' => {}
                _ => {
                    if self.bare.is_none() {
                        return Err("the top level is not an array or an object");
                    }
                    if self.depth == 0 {
                        return Err("more than one top-level value");
                    }
                }
            }
            i += 1;
        }
        Ok(len)
    }
}

/// A string field that borrows from the input when it can, and accepts numbers and booleans
/// as text; objects and arrays become empty (ignored).
struct Str<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrVisitor(std::marker::PhantomData))
    }
}

struct StrVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for StrVisitor<'a> {
    type Value = Str<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_string())))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Str(Cow::Owned(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed("")))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Str(Cow::Borrowed("")))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Str(Cow::Borrowed("")))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Str(Cow::Borrowed("")))
    }
}

/// A number field that also accepts numeric strings; anything else is `None`.
struct Num(Option<f64>);

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Str::deserialize(deserializer)?;
        Ok(Num(text
            .0
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())))
    }
}

impl Num {
    fn as_i64(&self) -> Option<i64> {
        self.0
            .filter(|v| v.fract() == 0.0 && v.abs() < 9.0e15)
            .map(|v| v as i64)
    }
}

/// A boolean field that also accepts `"true"`/`"false"`; anything else is `None`.
struct Flag(Option<bool>);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Str::deserialize(deserializer)?;
        Ok(Flag(match text.0.as_ref() {
            "true" | "True" => Some(true),
            "false" | "False" => Some(false),
            _ => None,
        }))
    }
}

/// A list that tolerates a non-list (becomes empty).
struct List<T>(Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<T>()? {
                    if items.len() < 64 {
                        items.push(item);
                    }
                }
                Ok(List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(List(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(List(Vec::new()))
            }
        }
        deserializer.deserialize_any(ListVisitor(std::marker::PhantomData))
    }
}

/// An object field that tolerates a non-object (becomes `None`).
struct Obj<T>(Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjVisitor<T> {
            type Value = Obj<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|v| Obj(Some(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Obj(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Obj(None))
            }
        }
        deserializer.deserialize_any(ObjVisitor(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatus<'a> {
    #[serde(default)]
    error_code: Option<Num>,
    #[serde(default, borrow)]
    failure_reason: Option<Str<'a>>,
    #[serde(default, borrow)]
    additional_details: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RawGeo {
    #[serde(default)]
    latitude: Option<Num>,
    #[serde(default)]
    longitude: Option<Num>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation<'a> {
    #[serde(default, borrow)]
    city: Option<Str<'a>>,
    #[serde(default, borrow)]
    state: Option<Str<'a>>,
    #[serde(default, borrow)]
    country_or_region: Option<Str<'a>>,
    #[serde(default)]
    geo_coordinates: Option<Obj<RawGeo>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDevice<'a> {
    #[serde(default, borrow)]
    device_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    display_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    operating_system: Option<Str<'a>>,
    #[serde(default, borrow)]
    browser: Option<Str<'a>>,
    #[serde(default)]
    is_compliant: Option<Flag>,
    #[serde(default)]
    is_managed: Option<Flag>,
    #[serde(default, borrow)]
    trust_type: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStep<'a> {
    #[serde(default, borrow)]
    authentication_method: Option<Str<'a>>,
    #[serde(default)]
    succeeded: Option<Flag>,
    #[serde(default, borrow)]
    authentication_step_result_detail: Option<Str<'a>>,
    #[serde(default, borrow)]
    authentication_step_requirement: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSignIn<'a> {
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    created_date_time: Option<Str<'a>>,
    #[serde(default, borrow)]
    user_principal_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    user_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    app_display_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    app_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    client_app_used: Option<Str<'a>>,
    #[serde(default, borrow)]
    ip_address: Option<Str<'a>>,
    #[serde(default)]
    autonomous_system_number: Option<Num>,
    #[serde(default, borrow)]
    location: Option<Obj<RawLocation<'a>>>,
    #[serde(default, borrow)]
    status: Option<Obj<RawStatus<'a>>>,
    #[serde(default, borrow)]
    device_detail: Option<Obj<RawDevice<'a>>>,
    #[serde(default, borrow)]
    user_agent: Option<Str<'a>>,
    #[serde(default, borrow)]
    risk_level_during_sign_in: Option<Str<'a>>,
    #[serde(default, borrow)]
    risk_level_aggregated: Option<Str<'a>>,
    #[serde(default, borrow)]
    risk_state: Option<Str<'a>>,
    #[serde(default, borrow, rename = "riskEventTypes_v2")]
    risk_event_types_v2: Option<List<Str<'a>>>,
    #[serde(default, borrow)]
    authentication_requirement: Option<Str<'a>>,
    #[serde(default, borrow)]
    authentication_details: Option<List<Obj<RawStep<'a>>>>,
    #[serde(default, borrow)]
    conditional_access_status: Option<Str<'a>>,
    #[serde(default)]
    is_interactive: Option<Flag>,
    #[serde(default, borrow)]
    authentication_protocol: Option<Str<'a>>,
    #[serde(default, borrow)]
    original_transfer_method: Option<Str<'a>>,
    #[serde(default, borrow)]
    incoming_token_type: Option<Str<'a>>,
    #[serde(default, borrow)]
    session_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    correlation_id: Option<Str<'a>>,
    #[serde(default, borrow)]
    unique_token_identifier: Option<Str<'a>>,
    #[serde(default, borrow)]
    sign_in_event_types: Option<List<Str<'a>>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHuntStatus {
    #[serde(default)]
    error_code: Option<Num>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawHuntSignIn<'a> {
    #[serde(default, borrow)]
    id: Option<Str<'a>>,
    #[serde(default, borrow)]
    created_date_time: Option<Str<'a>>,
    #[serde(default, borrow)]
    user_principal_name: Option<Str<'a>>,
    #[serde(default, borrow)]
    ip_address: Option<Str<'a>>,
    #[serde(default)]
    status: Option<Obj<RawHuntStatus>>,
    #[serde(default, borrow)]
    authentication_requirement: Option<Str<'a>>,
    #[serde(default, borrow)]
    user_agent: Option<Str<'a>>,
}

/// Shares repeated strings.
#[derive(Default)]
struct Interner {
    set: foldhash::HashSet<Text>,
}

impl Interner {
    fn get(&mut self, text: &str) -> Text {
        if let Some(found) = self.set.get(text) {
            return Arc::clone(found);
        }
        let value: Text = Arc::from(text);
        if self.set.len() < 1 << 20 {
            self.set.insert(Arc::clone(&value));
        }
        value
    }

    fn opt(&mut self, text: Option<Str<'_>>) -> Option<Text> {
        text.filter(|t| !t.0.is_empty()).map(|t| self.get(&t.0))
    }
}

fn unique(text: Option<Str<'_>>) -> Option<Text> {
    text.filter(|t| !t.0.is_empty())
        .map(|t| Arc::from(t.0.as_ref()))
}

fn lower(interner: &mut Interner, text: &str) -> Text {
    if text.bytes().any(|c| c.is_ascii_uppercase()) || !text.is_ascii() {
        interner.get(&text.to_lowercase())
    } else {
        interner.get(text)
    }
}

struct FullProjector {
    interner: Interner,
    user: Option<String>,
}

impl FullProjector {
    fn new(user: Option<String>) -> Self {
        FullProjector {
            interner: Interner::default(),
            user,
        }
    }
}

impl Projector for FullProjector {
    type Out = SignIn;

    fn project(&mut self, record: &[u8]) -> Result<Option<SignIn>, ()> {
        let raw: RawSignIn<'_> = serde_json::from_slice(record).map_err(|_| ())?;
        if let Some(user) = &self.user {
            let upn = raw
                .user_principal_name
                .as_ref()
                .map(|u| u.0.as_ref())
                .unwrap_or("");
            if !upn.eq_ignore_ascii_case(user) && upn.to_lowercase() != *user {
                return Ok(None);
            }
        }
        convert(raw, &mut self.interner).map(Some).ok_or(())
    }

    fn keeps_all(&self) -> bool {
        self.user.is_none()
    }
}

/// A parsed raw record → [`SignIn`]; `None` without an id or a time.
fn convert(raw: RawSignIn<'_>, interner: &mut Interner) -> Option<SignIn> {
    let id = unique(raw.id)?;
    let created = Timestamp::parse(&raw.created_date_time?.0)?;
    let i = interner;
    let upn = raw
        .user_principal_name
        .map(|u| lower(i, &u.0))
        .unwrap_or_default();
    let location = raw.location.and_then(|l| l.0).map(|l| Location {
        city: i.opt(l.city),
        state: i.opt(l.state),
        country_or_region: i.opt(l.country_or_region),
        geo_coordinates: l.geo_coordinates.and_then(|g| g.0).map(|g| GeoCoordinates {
            latitude: g.latitude.and_then(|n| n.0),
            longitude: g.longitude.and_then(|n| n.0),
        }),
    });
    let status = raw.status.and_then(|s| s.0).map(|s| Status {
        error_code: s.error_code.and_then(|n| n.as_i64()),
        failure_reason: i.opt(s.failure_reason),
        additional_details: i.opt(s.additional_details),
    });
    let device = raw.device_detail.and_then(|d| d.0).map(|d| DeviceDetail {
        device_id: i.opt(d.device_id),
        display_name: i.opt(d.display_name),
        operating_system: i.opt(d.operating_system),
        browser: i.opt(d.browser),
        is_compliant: d.is_compliant.and_then(|f| f.0),
        is_managed: d.is_managed.and_then(|f| f.0),
        trust_type: i.opt(d.trust_type),
    });
    let steps = raw
        .authentication_details
        .map(|l| l.0)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| s.0)
        .map(|s| AuthStep {
            authentication_method: i.opt(s.authentication_method),
            succeeded: s.succeeded.and_then(|f| f.0),
            authentication_step_result_detail: i.opt(s.authentication_step_result_detail),
            authentication_step_requirement: i.opt(s.authentication_step_requirement),
        })
        .collect();
    let list = |l: Option<List<Str<'_>>>, i: &mut Interner| -> Vec<Text> {
        l.map(|l| l.0)
            .unwrap_or_default()
            .into_iter()
            .filter(|t| !t.0.is_empty())
            .map(|t| i.get(&t.0))
            .collect()
    };
    Some(SignIn {
        id,
        created_date_time: created,
        user_principal_name: upn,
        user_id: i.opt(raw.user_id),
        app_display_name: i.opt(raw.app_display_name),
        app_id: i.opt(raw.app_id),
        client_app_used: i.opt(raw.client_app_used),
        ip_address: i.opt(raw.ip_address),
        autonomous_system_number: raw
            .autonomous_system_number
            .and_then(|n| n.as_i64())
            .and_then(|n| u32::try_from(n).ok()),
        location: location.unwrap_or_default(),
        status: status.unwrap_or_default(),
        device_detail: device.unwrap_or_default(),
        user_agent: i.opt(raw.user_agent),
        risk_level_during_sign_in: i.opt(raw.risk_level_during_sign_in),
        risk_level_aggregated: i.opt(raw.risk_level_aggregated),
        risk_state: i.opt(raw.risk_state),
        risk_event_types_v2: list(raw.risk_event_types_v2, i),
        authentication_requirement: i.opt(raw.authentication_requirement),
        authentication_details: steps,
        conditional_access_status: i.opt(raw.conditional_access_status),
        is_interactive: raw.is_interactive.and_then(|f| f.0),
        authentication_protocol: i.opt(raw.authentication_protocol),
        original_transfer_method: i.opt(raw.original_transfer_method),
        incoming_token_type: i.opt(raw.incoming_token_type),
        session_id: unique(raw.session_id),
        correlation_id: unique(raw.correlation_id),
        unique_token_identifier: unique(raw.unique_token_identifier),
        sign_in_event_types: list(raw.sign_in_event_types, i),
    })
}

/// Converts one Graph sign-in JSON value (as collected from Graph) into a [`SignIn`].
pub fn sign_in_from_value(value: &serde_json::Value) -> Option<SignIn> {
    let raw = RawSignIn::deserialize(value).ok()?;
    convert(raw, &mut Interner::default())
}

#[derive(Default)]
struct HuntProjector {
    schema: fast::Schema,
    interner: Interner,
    user: Recent,
    ip: Recent,
    user_agent: Recent,
}

/// The last text seen in one field and its shared value: consecutive records often repeat it,
/// and comparing is cheaper than hashing.
#[derive(Default)]
struct Recent {
    raw: String,
    value: Option<Text>,
}

impl Recent {
    /// [`Recent::get`] on raw bytes, checked to be UTF-8 (`Err` otherwise) unless they are the
    /// last text seen.
    fn get_bytes(
        &mut self,
        raw: &[u8],
        make: impl FnOnce(&str) -> Text,
    ) -> Result<Text, fast::Stop> {
        if let Some(value) = &self.value
            && self.raw.as_bytes() == raw
        {
            return Ok(Arc::clone(value));
        }
        let text = std::str::from_utf8(raw).map_err(|_| fast::Stop::Fallback)?;
        Ok(self.get(text, make))
    }

    fn get(&mut self, raw: &str, make: impl FnOnce(&str) -> Text) -> Text {
        if let Some(value) = &self.value
            && self.raw == raw
        {
            return Arc::clone(value);
        }
        let value = make(raw);
        self.raw.clear();
        self.raw.push_str(raw);
        self.value = Some(Arc::clone(&value));
        value
    }
}

impl HuntProjector {
    /// A parsed record → [`HuntSignIn`]; `Err` without an id or a time.
    fn convert(&mut self, raw: RawHuntSignIn<'_>) -> Result<HuntSignIn, ()> {
        let i = &mut self.interner;
        let id = unique(raw.id).ok_or(())?;
        let at = raw
            .created_date_time
            .and_then(|t| Timestamp::parse(&t.0))
            .ok_or(())?;
        let user = raw
            .user_principal_name
            .map(|u| self.user.get(&u.0, |u| lower(i, u)))
            .unwrap_or_default();
        let code = raw
            .status
            .and_then(|s| s.0)
            .and_then(|s| s.error_code)
            .and_then(|n| n.as_i64())
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(-1);
        let single_factor = raw
            .authentication_requirement
            .as_ref()
            .is_none_or(|r| !r.0.eq_ignore_ascii_case("multiFactorAuthentication"));
        let ip = raw
            .ip_address
            .filter(|t| !t.0.is_empty())
            .map(|t| self.ip.get(&t.0, |t| i.get(t)));
        let user_agent = raw
            .user_agent
            .filter(|t| !t.0.is_empty())
            .map(|t| self.user_agent.get(&t.0, |t| i.get(t)));
        Ok(HuntSignIn {
            id,
            at,
            user,
            ip,
            error_code: code,
            single_factor,
            user_agent,
        })
    }
}

impl HuntProjector {
    /// [`HuntProjector::convert`] for the fast path's fields. A kept string that is not UTF-8
    /// gives `Err(Fallback)` (serde refuses such a record); the check is skipped for text equal
    /// to the last one seen in its field (already checked) and for the common time and
    /// requirement forms (ASCII).
    fn convert_fast(
        &mut self,
        raw: fast::HuntFields<'_>,
    ) -> Result<Result<HuntSignIn, ()>, fast::Stop> {
        const MFA: &[u8] = b"multiFactorAuthentication";
        fn text(b: &[u8]) -> Result<&str, fast::Stop> {
            std::str::from_utf8(b).map_err(|_| fast::Stop::Fallback)
        }
        let i = &mut self.interner;
        let id = raw.id.map(text).transpose()?;
        let at = match raw.created_date_time {
            None => None,
            Some(b) => match Timestamp::parse_ascii(b) {
                Some(at) => Some(at),
                None => Timestamp::parse(text(b)?),
            },
        };
        let user = raw
            .user_principal_name
            .map(|u| self.user.get_bytes(u, |u| lower(i, u)))
            .transpose()?;
        let ip = raw
            .ip_address
            .filter(|t| !t.is_empty())
            .map(|t| self.ip.get_bytes(t, |t| i.get(t)))
            .transpose()?;
        let user_agent = raw
            .user_agent
            .filter(|t| !t.is_empty())
            .map(|t| self.user_agent.get_bytes(t, |t| i.get(t)))
            .transpose()?;
        let single_factor = match raw.authentication_requirement {
            None => true,
            Some(r) => {
                if r != MFA && r != b"singleFactorAuthentication" {
                    text(r)?;
                }
                !r.eq_ignore_ascii_case(MFA)
            }
        };
        let code = raw
            .status
            .and_then(|s| s.0)
            .and_then(|s| s.error_code)
            .and_then(|n| n.as_i64())
            .and_then(|n| i32::try_from(n).ok())
            .unwrap_or(-1);
        let (Some(id), Some(at)) = (id.filter(|t| !t.is_empty()), at) else {
            return Ok(Err(()));
        };
        Ok(Ok(HuntSignIn {
            id: Arc::from(id),
            at,
            user: user.unwrap_or_default(),
            ip,
            error_code: code,
            single_factor,
            user_agent,
        }))
    }
}

impl Projector for HuntProjector {
    type Out = HuntSignIn;

    fn project(&mut self, record: &[u8]) -> Result<Option<HuntSignIn>, ()> {
        let raw: RawHuntSignIn<'_> = serde_json::from_slice(record).map_err(|_| ())?;
        self.convert(raw).map(Some)
    }

    fn fast(&mut self, bytes: &[u8]) -> Fast<HuntSignIn> {
        match fast::hunt_record(bytes, &mut self.schema) {
            Ok((len, raw)) => match self.convert_fast(raw) {
                Ok(result) => Fast::Done(len, result.map(Some)),
                Err(_) => Fast::Fallback,
            },
            Err(fast::Stop::Incomplete) => Fast::Incomplete,
            Err(fast::Stop::Fallback) => Fast::Fallback,
        }
    }
}

/// The lean projection of an already loaded sign-in.
pub fn hunt_view(sign_in: &SignIn) -> HuntSignIn {
    HuntSignIn {
        id: Arc::clone(&sign_in.id),
        at: sign_in.created_date_time,
        user: Arc::clone(&sign_in.user_principal_name),
        ip: sign_in.ip_address.clone(),
        error_code: i32::try_from(sign_in.error_code()).unwrap_or(-1),
        single_factor: sign_in
            .authentication_requirement
            .as_deref()
            .is_none_or(|r| !r.eq_ignore_ascii_case("multiFactorAuthentication")),
        user_agent: sign_in.user_agent.clone(),
    }
}

#[cfg(test)]
mod tests;
