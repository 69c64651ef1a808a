//! `convert --dry-run` for local targets: the writer that stands for the
//! target, made without touching it. The real writers make directories,
//! temporary files and sweep stale ones as they are created, so none is
//! made here: a [`DryRun`] says what the target's writer would say of
//! itself, and the `.vcf` / `.ics` files (whose duplicates only their own
//! writer knows) are read, never written, by [`PimFiles`] in its dry-run
//! mode. What a real run would refuse before writing (a split over an
//! existing file, a PST that cannot be read to add to) is refused here too.

use std::path::Path;

use anyhow::Context;
use mailshift_core::pim::files::{PimFileKind, PimFiles, PimOptions, WithPimFiles};
use mailshift_core::{DryRun, Error, FolderKind, Item, StoreWriter, Written};

use crate::detect::Format;

/// The dry-run writer for `dst` in `fmt` (`single`: a `.vcf` / `.ics`
/// target file); `pim` has `dry_run` set.
pub(crate) fn target(
    dst: &Path,
    single: Option<PimFileKind>,
    fmt: Format,
    split: Option<u64>,
    pim: PimOptions,
) -> anyhow::Result<Box<dyn StoreWriter>> {
    debug_assert!(pim.dry_run);
    if let Some(kind) = single {
        return Ok(Box::new(PimFiles::single(dst, kind, pim)));
    }
    let mail = |name: &'static str| DryRun::new(name, &[FolderKind::Mail], false);
    Ok(match fmt {
        Format::Pst => {
            if let Some(limit) = split {
                mailshift_pst::SplitWriter::check(dst, limit)?;
            } else if dst.exists() {
                mailshift_pst::PstReader::open(dst).context("cannot read the PST to add to")?;
            }
            let path = dst.to_path_buf();
            let judge = move |item: &mailshift_core::Prepared<'_>| match &item.item {
                Item::Mapi(m) => match mailshift_pst::messaging::write::refusal(m) {
                    Some(reason) => Err(Error::Unsupported { path: path.clone(), reason }),
                    None => Ok(Written::default()),
                },
                other => Err(Error::Unsupported {
                    path: path.clone(),
                    reason: format!(
                        "{} items of this source cannot be written into a PST yet (they are not MAPI messages)",
                        other.kind().as_str()
                    ),
                }),
            };
            Box::new(DryRun::new("pst", &FolderKind::ALL, true).judged_by(Box::new(judge)))
        }
        Format::Mbox => Box::new(WithPimFiles::new(Box::new(mail("mbox")), dst, pim)),
        Format::Maildir => Box::new(WithPimFiles::new(Box::new(mail("maildir")), dst, pim)),
        Format::Eml => {
            let judge = |item: &mailshift_core::Prepared<'_>| {
                Ok(Written {
                    not_kept: item.mail().map(mailshift_eml::not_kept).unwrap_or_default(),
                    ..Written::default()
                })
            };
            Box::new(WithPimFiles::new(Box::new(mail("eml").judged_by(Box::new(judge))), dst, pim))
        }
        Format::Vcf | Format::Ics => {
            anyhow::bail!("{}: a .vcf / .ics target takes a path ending in .vcf or .ics", dst.display())
        }
    })
}
