//! `convert --dry-run`: a writer that stands for a target and writes
//! nothing, so that [`convert()`](crate::convert()) reads, plans and
//! reports as in a real run.
//!
//! [`DryRun`] says what the real writer says about itself (its format
//! name, the kinds it accepts, whether it wants MAPI messages) and takes
//! every item it is given as copied, `bytes` being the item's size as
//! prepared. What only the format knows about one item (flags EML has no
//! place for, an attachment too large for a PST) it asks a judge the
//! format crate gives ([`DryRun::judged_by`]). Everything that decides
//! whether an item is copied and that lies in the converter (filters,
//! sizes, kinds, `--dedup` against the existing target, read with its own
//! reader, and against this run) runs unchanged. Writers that must read
//! the target to decide (the `.vcf` / `.ics` files, an IMAP mailbox) have
//! a dry-run mode of their own instead
//! ([`PimOptions::dry_run`](crate::pim::files::PimOptions::dry_run)).
//!
//! ```
//! use mailshift_core::{convert, DryRun, FolderKind, NoProgress, Options};
//! # fn run(src: &dyn mailshift_core::StoreReader) -> mailshift_core::Result<()> {
//! let mut dst = DryRun::new("maildir", &[FolderKind::Mail], false);
//! let report = convert(src, &mut dst, None, &Options::default(), &NoProgress)?;
//! assert!(report.dry_run);
//! # Ok(()) }
//! ```

use crate::model::{Folder, FolderKind};
use crate::prepare::Prepared;
use crate::store::{StoreWriter, Written};
use crate::Result;

/// What a format says of one item it would write: [`Written`]'s `lost`
/// and `not_kept`, or the error the real writer would give
/// ([`crate::Error::Unsupported`] for an item the format cannot hold).
pub type Judge = Box<dyn FnMut(&Prepared<'_>) -> Result<Written>>;

/// A writer that writes nothing: see the [module](self).
pub struct DryRun {
    format: &'static str,
    accepts: Vec<FolderKind>,
    mapi: bool,
    judge: Option<Judge>,
}

impl DryRun {
    /// Stands for a writer of `format` (the real writer's
    /// [`format_name`](StoreWriter::format_name)) that accepts items of
    /// `accepts` and, with `mapi`, wants MAPI messages.
    pub fn new(format: &'static str, accepts: &[FolderKind], mapi: bool) -> DryRun {
        DryRun { format, accepts: accepts.to_vec(), mapi, judge: None }
    }

    /// Asks `judge` about each item, as the real writer would decide.
    pub fn judged_by(mut self, judge: Judge) -> DryRun {
        self.judge = Some(judge);
        self
    }
}

impl StoreWriter for DryRun {
    fn format_name(&self) -> &'static str {
        self.format
    }

    fn accepts(&self, kind: FolderKind) -> bool {
        self.accepts.contains(&kind)
    }

    fn wants_mapi(&self) -> bool {
        self.mapi
    }

    fn begin(&mut self, _folders: &[Folder]) -> Result<()> {
        Ok(())
    }

    fn open_folder(&mut self, _folder: &Folder) -> Result<()> {
        Ok(())
    }

    fn write(&mut self, item: &Prepared<'_>) -> Result<Written> {
        let mut w = match self.judge.as_mut() {
            Some(judge) => judge(item)?,
            None => Written::default(),
        };
        w.bytes = item.size();
        Ok(w)
    }

    fn close_folder(&mut self) -> Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> Result<()> {
        Ok(())
    }

    fn dry_run(&self) -> bool {
        true
    }
}
