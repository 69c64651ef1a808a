#!/bin/sh
# Builds fuzz/corpus/<target>/ from a few small fixtures in ../shared/fixtures
# (or $MAILSHIFT_FIXTURES). The corpus is .gitignored: fixture bytes are
# never committed.
set -eu
cd "$(dirname "$0")"
FIX="${MAILSHIFT_FIXTURES:-../../shared/fixtures}"
[ -d "$FIX" ] || { echo "no fixtures at $FIX" >&2; exit 1; }
mkdir -p corpus
PSTS="$FIX/farnulfo__pst-exp/sample1.pst $FIX/farnulfo__pst-exp/sample2.pst \
$FIX/hughbe__PstReader/hughbe_Outlook98Backup.pst $FIX/mooijtech__go-pst/32-bit.pst \
$FIX/hughbe__PstReader/simiden_pst2john_2003_high-encryption_quickquick.pst \
$FIX/pim/pim-rich.pst"

# Whole files for the open-and-walk target, headers for the header target.
mkdir -p corpus/pst_open_walk corpus/pst_header corpus/ndb_salvage
i=0
for f in $PSTS; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    case "$f" in *32-bit.pst|*Outlook98Backup.pst|*sample1.pst|*sample2.pst)
        cp "$f" "corpus/pst_open_walk/f$i"
        cp "$f" "corpus/ndb_salvage/f$i" ;; esac
    head -c 1024 "$f" > "corpus/pst_header/f$i"
done

# Pages, blocks, heap and table nodes, compressed RTF cut out of the files.
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}" cargo run --quiet --example make_seeds -- corpus $PSTS

# mbox files.
mkdir -p corpus/mbox_read
for f in "$FIX"/apache__tika/*.mbox "$FIX"/chaoss__grimoirelab-perceval/mbox_*.mbox; do
    [ -f "$f" ] || continue
    [ "$(wc -c < "$f")" -le 65536 ] || continue
    cp "$f" "corpus/mbox_read/$(basename "$f")"
done
# Single messages for mail_to_mapi: each message of those mbox files
# (split at From_ lines) and of the repository's sample mbox.
mkdir -p corpus/mail_to_mapi
for f in corpus/mbox_read/* ../fixtures/generated/sample.mbox; do
    [ -f "$f" ] || continue
    awk -v out="corpus/mail_to_mapi/$(basename "$f")" '/^From /{n++; next} {print > (out "." n)}' "$f"
done
mkdir -p corpus/rtf_decompress
for d in corpus/*; do echo "$d: $(ls "$d" | wc -l) seeds"; done
