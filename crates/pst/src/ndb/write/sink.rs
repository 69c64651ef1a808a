//! Where the writer's bytes go: a temporary file beside the target, or
//! memory. Writes land at absolute offsets; runs of them that follow each
//! other are gathered into one `pwrite` of up to [`CHUNK`] bytes.
//!
//! A file sink does its work on a thread of its own: the writer places a
//! block (its BID, offset and size are known before its bytes are) and
//! hands over the plain data; the sink's thread encodes it, computes its
//! CRC, seals it with its trailer and writes it, while the writer goes on
//! building the next message. The bytes and the file are the same as if it
//! were done in line (the memory sink does it in line). An I/O error ends
//! the thread; the writer learns of it at its next write or at the finish.

use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

use mailshift_core::{fsio, Error, Result};

use super::super::crc::crc32;
use super::super::crypt::CryptMethod;
use crate::raw::{BlockTrailer, Format};

/// Bytes gathered before one `pwrite`.
const CHUNK: usize = 1 << 20;

/// Jobs are handed to the sink's thread in batches of about this many
/// bytes (one wake-up of the thread each, not one a block)...
const BATCH: usize = 256 << 10;

/// ... and at most this many batches wait: about 8 MiB in flight.
const QUEUE: usize = 32;

/// The name memory writers give in errors.
pub(super) const MEMORY: &str = "<in-memory PST>";

pub(super) enum Sink {
    Memory(Vec<u8>),
    File(FileSink),
}

pub(super) struct FileSink {
    // First, so that a writer dropped unfinished stops its thread before
    // the temporary file is removed.
    worker: Worker,
    tmp: tempfile::NamedTempFile,
    target: PathBuf,
}

/// The sink's thread and the channel to it.
struct Worker {
    jobs: Option<SyncSender<Vec<Job>>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    /// The batch being gathered, and its bytes.
    batch: Vec<Job>,
    batched: usize,
}

/// How a block's plain data becomes its stored bytes: encoded (an
/// external block), its CRC computed, padded to `size` and its trailer
/// written at the end.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seal {
    pub format: Format,
    /// The method to encode with, for an external block.
    pub encode: Option<CryptMethod>,
    pub bid: u64,
    pub w_sig: u16,
    /// The block's size on disk, trailer included.
    pub size: usize,
}

impl Seal {
    /// The block's stored bytes in `out` (cleared first).
    pub(super) fn seal(&self, data: &[u8], out: &mut Vec<u8>) {
        out.clear();
        match self.encode {
            Some(c) => c.encode_into(data, out, self.bid),
            None => out.extend_from_slice(data),
        }
        let t = BlockTrailer {
            cb: data.len() as u16,
            w_sig: self.w_sig,
            dw_crc: crc32(out),
            bid: self.bid,
            cb_inflated: None,
        };
        out.resize(self.size, 0);
        let f = self.format;
        t.write(&mut out[self.size - f.block_trailer_size()..], f);
    }
}

enum Job {
    /// Bytes to write as they are.
    Raw(u64, Vec<u8>),
    /// A block's plain data, to seal and write.
    Block(u64, Payload<'static>, Seal),
}

/// A block's plain data as the writer hands it over: borrowed (copied for
/// the sink's thread), or owned, alone or as a range of a node's data
/// that several blocks share (moved, not copied).
pub(super) enum Payload<'d> {
    Slice(&'d [u8]),
    Vec(Vec<u8>),
    Shared(std::sync::Arc<Vec<u8>>, std::ops::Range<usize>),
}

impl Payload<'_> {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Payload::Slice(s) => s,
            Payload::Vec(v) => v,
            Payload::Shared(v, r) => &v[r.clone()],
        }
    }

    fn into_static(self) -> Payload<'static> {
        match self {
            Payload::Slice(s) => Payload::Vec(s.to_vec()),
            Payload::Vec(v) => Payload::Vec(v),
            Payload::Shared(v, r) => Payload::Shared(v, r),
        }
    }
}

/// The sink's thread: seals and writes the jobs in order until the
/// channel closes or a write fails.
fn run(file: std::fs::File, batches: Receiver<Vec<Job>>, fsync: bool) -> io::Result<()> {
    let sync_every = if fsync { SYNC_EVERY } else { u64::MAX };
    let mut out = Out { file, pending: Vec::with_capacity(CHUNK), at: 0, unsynced: 0, sync_every };
    let mut sealed = Vec::new();
    for job in batches.into_iter().flatten() {
        match job {
            Job::Raw(at, bytes) => out.write_at(at, &bytes)?,
            Job::Block(at, data, seal) => {
                seal.seal(data.bytes(), &mut sealed);
                out.write_at(at, &sealed)?;
            }
        }
    }
    out.flush()
}

/// With fsync on, the sink thread syncs the file's data after this many
/// bytes: the disk writes while the writer builds, where one sync at the
/// end would wait for all of it (cp + sync does).
const SYNC_EVERY: u64 = 32 << 20;

/// Writes gathered into runs.
struct Out {
    file: std::fs::File,
    /// Bytes not yet written, which belong at `at`.
    pending: Vec<u8>,
    at: u64,
    /// Bytes written since the last sync, and how many call for one.
    unsynced: u64,
    sync_every: u64,
}

impl Out {
    fn write_at(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        let follows = self.at + self.pending.len() as u64 == at;
        if !(follows && self.pending.len() + data.len() <= CHUNK) {
            self.flush()?;
            self.at = at;
        }
        if data.len() >= CHUNK {
            self.file.write_all_at(data, at)?;
            return self.written(data.len());
        }
        self.pending.extend_from_slice(data);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.file.write_all_at(&self.pending, self.at)?;
            self.at += self.pending.len() as u64;
            let n = self.pending.len();
            self.pending.clear();
            self.written(n)?;
        }
        Ok(())
    }

    fn written(&mut self, n: usize) -> io::Result<()> {
        self.unsynced += n as u64;
        if self.unsynced >= self.sync_every {
            self.unsynced = 0;
            self.file.sync_data()?;
        }
        Ok(())
    }
}

impl Sink {
    /// A temporary file in the target's directory (`fsio::temp_file_in`),
    /// renamed over `target` by [`Sink::finish`] and removed if dropped.
    /// A file sink; with `fsync`, what it has written is flushed to the
    /// disk as it goes ([`SYNC_EVERY`]), so that the sync at the end has
    /// little left to do.
    pub(super) fn file(target: &Path, fsync: bool) -> Result<Sink> {
        let tmp = fsio::temp_file_in(fsio::parent_dir(target)).map_err(|e| Error::io(target, e))?;
        let file = tmp.as_file().try_clone().map_err(|e| Error::io(target, e))?;
        let (tx, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("pst-sink".into())
            .spawn(move || run(file, rx, fsync))
            .map_err(|e| Error::io(target, e))?;
        let worker = Worker { jobs: Some(tx), thread: Some(thread), batch: Vec::new(), batched: 0 };
        Ok(Sink::File(FileSink { worker, tmp, target: target.to_path_buf() }))
    }

    /// The path errors name: the target.
    pub(super) fn path(&self) -> &Path {
        match self {
            Sink::Memory(_) => Path::new(MEMORY),
            Sink::File(f) => &f.target,
        }
    }

    /// Puts `data` at offset `at`.
    pub(super) fn write_at(&mut self, at: u64, data: &[u8]) -> io::Result<()> {
        match self {
            Sink::Memory(v) => {
                let at = usize::try_from(at).map_err(|_| io::Error::other("offset beyond the address space"))?;
                let end = at + data.len();
                if v.len() < end {
                    v.resize(end, 0);
                }
                v[at..end].copy_from_slice(data);
                Ok(())
            }
            Sink::File(f) => f.worker.send(Job::Raw(at, data.to_vec())),
        }
    }

    /// Writes the block whose plain data is `data` at `at`, sealed as
    /// `seal` says; `buf` is scratch room for the memory sink.
    pub(super) fn write_block(&mut self, at: u64, data: Payload<'_>, seal: Seal, buf: &mut Vec<u8>) -> io::Result<()> {
        match self {
            Sink::File(f) => f.worker.send(Job::Block(at, data.into_static(), seal)),
            Sink::Memory(_) => {
                seal.seal(data.bytes(), buf);
                self.write_at(at, buf)
            }
        }
    }

    /// Memory: the bytes, cut or padded to `len`.
    pub(super) fn into_vec(self, len: u64) -> Option<Vec<u8>> {
        match self {
            Sink::Memory(mut v) => {
                v.resize(usize::try_from(len).ok()?, 0);
                Some(v)
            }
            Sink::File(_) => None,
        }
    }

    /// File: sets the length, syncs (if `fsync`), renames the temporary file
    /// over the target and syncs the directory. An error leaves the target
    /// as it was; the temporary file goes when `self` is dropped.
    pub(super) fn persist(self, len: u64, fsync: bool) -> Result<()> {
        let Sink::File(mut f) = self else {
            return Err(Error::Invalid {
                what: "PST writer",
                reason: "finish() is for a writer made by NdbWriter::create; use finish_to_vec()".into(),
            });
        };
        let target = f.target.clone();
        let io = |e| Error::io(&target, e);
        f.worker.drain().map_err(io)?;
        let file = f.tmp.as_file();
        file.set_len(len).map_err(io)?;
        if fsync {
            file.sync_all().map_err(io)?;
        }
        f.tmp.persist(&target).map_err(|e| Error::io(&target, e.error))?;
        if fsync {
            fsio::sync_dir(fsio::parent_dir(&target)).map_err(io)?;
        }
        Ok(())
    }
}

impl Worker {
    /// Hands a job to the thread, in a batch; if the thread has stopped,
    /// its error.
    fn send(&mut self, job: Job) -> io::Result<()> {
        self.batched += match &job {
            Job::Raw(_, b) => b.len(),
            Job::Block(_, b, _) => b.bytes().len(),
        };
        self.batch.push(job);
        if self.batched >= BATCH {
            return self.hand_over();
        }
        Ok(())
    }

    fn hand_over(&mut self) -> io::Result<()> {
        let Some(tx) = &self.jobs else { return Err(io::Error::other("the PST sink has stopped")) };
        self.batched = 0;
        if tx.send(std::mem::take(&mut self.batch)).is_ok() {
            return Ok(());
        }
        self.drain()?;
        Err(io::Error::other("the PST sink has stopped"))
    }

    /// Waits until everything handed over is written; the first error.
    fn drain(&mut self) -> io::Result<()> {
        if !self.batch.is_empty() && self.jobs.is_some() {
            self.hand_over()?;
        }
        self.jobs = None;
        match self.thread.take() {
            Some(t) => t.join().unwrap_or_else(|_| Err(io::Error::other("the PST sink's thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Drop for Worker {
    /// A writer dropped unfinished: what was not handed over is dropped,
    /// and the thread stopped before the temporary file is removed.
    fn drop(&mut self) {
        self.batch.clear();
        let _ = self.drain();
    }
}
