//! The temp file under a `.zip` output's `zip::ZipWriter`.
//!
//! The zip crate finalizes an archive when its writer is dropped: after a
//! failed write (a full disk) or when the run is abandoned, that would
//! write a central directory into a file about to be removed and, when it
//! fails too, print a debug message to stderr beside passforge's own error.
//! [`ZipTemp`] turns every write after the first failure, or after
//! [`ZipTemp::abandon`], into a no-op that keeps positions consistent, and
//! refuses to hand such a file back to be committed.

use std::cell::Cell;
use std::io::{self, Seek, SeekFrom, Write};

/// A writer that stops writing after its first error or once abandoned.
#[derive(Debug)]
pub(crate) struct ZipTemp<W> {
    inner: W,
    /// Set by the first failed write, flush or seek, or by `abandon`.
    dead: Cell<bool>,
    /// The position and the length written, tracked so that the writes and
    /// seeks of a dead writer can be answered.
    pos: u64,
    len: u64,
}

impl<W: Write + Seek> ZipTemp<W> {
    /// Wraps a new, empty file.
    pub(crate) fn new(inner: W) -> Self {
        Self {
            inner,
            dead: Cell::new(false),
            pos: 0,
            len: 0,
        }
    }

    /// Writes nothing more (callable through `ZipWriter::get_ref`).
    pub(crate) fn abandon(&self) {
        self.dead.set(true);
    }

    /// The file, if every write reached it.
    ///
    /// # Errors
    /// When a write failed or the writer was abandoned: the file is not whole.
    pub(crate) fn into_inner(self) -> io::Result<W> {
        if self.dead.get() {
            return Err(io::Error::other(
                "the archive is incomplete: a write to it failed",
            ));
        }
        Ok(self.inner)
    }

    fn checked<T>(&self, result: io::Result<T>) -> io::Result<T> {
        if result.is_err() {
            self.dead.set(true);
        }
        result
    }

    fn moved_to(&mut self, pos: u64) -> u64 {
        self.pos = pos;
        self.len = self.len.max(pos);
        pos
    }
}

impl<W: Write + Seek> Write for ZipTemp<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = if self.dead.get() {
            buf.len()
        } else {
            let r = self.inner.write(buf);
            self.checked(r)?
        };
        self.moved_to(self.pos + n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.dead.get() {
            return Ok(());
        }
        let r = self.inner.flush();
        self.checked(r)
    }
}

impl<W: Write + Seek> Seek for ZipTemp<W> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = if self.dead.get() {
            match to {
                SeekFrom::Start(n) => Some(n),
                SeekFrom::Current(d) => self.pos.checked_add_signed(d),
                SeekFrom::End(d) => self.len.checked_add_signed(d),
            }
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?
        } else {
            let r = self.inner.seek(to);
            self.checked(r)?
        };
        Ok(self.moved_to(pos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A file with room for `room` bytes that counts the writes it is asked for.
    struct SmallDisk {
        file: Cursor<Vec<u8>>,
        room: usize,
        asked: Arc<AtomicUsize>,
    }

    impl Write for SmallDisk {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.asked.fetch_add(1, Ordering::SeqCst);
            if self.file.get_ref().len() + buf.len() > self.room {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            self.file.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Seek for SmallDisk {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            self.file.seek(to)
        }
    }

    fn disk(room: usize) -> (SmallDisk, Arc<AtomicUsize>) {
        let asked = Arc::new(AtomicUsize::new(0));
        let d = SmallDisk {
            file: Cursor::new(Vec::new()),
            room,
            asked: Arc::clone(&asked),
        };
        (d, asked)
    }

    fn add(zip: &mut zip::ZipWriter<ZipTemp<SmallDisk>>, i: usize) -> zip::result::ZipResult<()> {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        zip.start_file(format!("{i}.pkpass"), opts)?;
        zip.write_all(&[7; 1000])?;
        Ok(())
    }

    #[test]
    fn nothing_is_written_after_the_first_failure_and_the_file_is_refused() {
        let (d, asked) = disk(5_000);
        let mut zip = zip::ZipWriter::new(ZipTemp::new(d));
        let failed = (0..100).find(|&i| add(&mut zip, i).is_err());
        assert!(failed.is_some(), "the disk fills up");
        let after_failure = asked.load(Ordering::SeqCst);
        // finish() finalizes into nothing, and the file is not handed back.
        let finished = zip.finish().expect("finalized into nothing");
        assert_eq!(asked.load(Ordering::SeqCst), after_failure);
        assert!(finished.into_inner().is_err());
    }

    #[test]
    fn an_abandoned_archive_is_not_finalized_on_drop() {
        let (d, asked) = disk(1_000_000);
        let mut zip = zip::ZipWriter::new(ZipTemp::new(d));
        for i in 0..3 {
            add(&mut zip, i).expect("room");
        }
        let before = asked.load(Ordering::SeqCst);
        zip.get_ref().expect("open").abandon();
        drop(zip);
        assert_eq!(asked.load(Ordering::SeqCst), before);
    }

    #[test]
    fn a_whole_archive_passes_through() {
        let (d, _) = disk(1_000_000);
        let mut zip = zip::ZipWriter::new(ZipTemp::new(d));
        for i in 0..3 {
            add(&mut zip, i).expect("room");
        }
        let d = zip.finish().expect("finish").into_inner().expect("whole");
        let archive = zip::ZipArchive::new(Cursor::new(d.file.into_inner())).expect("valid zip");
        assert_eq!(archive.len(), 3);
    }
}
