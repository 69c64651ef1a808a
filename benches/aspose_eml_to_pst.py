#!/usr/bin/env python3
"""Aspose.Email's EML -> PST, the commercial anchor of benches/eml_to_pst.py.

    python3 benches/aspose_eml_to_pst.py EML_DIR OUT.pst

Every `*.eml` under EML_DIR (sorted) is loaded (`MailMessage.load`),
converted (`MapiMessage.from_mail_message`) and added to the Inbox of a new
Unicode PST (`PersonalStorage.create`, `add_message`), as Aspose's
documentation shows. Prints `messages errors seconds` on one line. Runs in
evaluation mode (no licence): PyPI `aspose-email-for-python-via-net`; its
.NET runtime wants `CLR_ICU_VERSION_OVERRIDE` set to the installed libicu's
major version, which this script finds when it is not set.
"""
import glob, os, re, sys, time


def icu_major():
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"):
        for p in sorted(glob.glob(os.path.join(d, "libicuuc.so.*"))):
            m = re.search(r"libicuuc\.so\.(\d+)", p)
            if m:
                return m.group(1)
    return None


def main():
    src, out = sys.argv[1], sys.argv[2]
    if "CLR_ICU_VERSION_OVERRIDE" not in os.environ and icu_major():
        os.environ["CLR_ICU_VERSION_OVERRIDE"] = icu_major()
    import aspose.email as ae
    from aspose.email.mapi import MapiMessage
    from aspose.email.storage.pst import FileFormatVersion, PersonalStorage, StandardIpmFolder

    t0 = time.perf_counter()
    files = sorted(glob.glob(os.path.join(src, "**", "*.eml"), recursive=True))
    pst = PersonalStorage.create(out, FileFormatVersion.UNICODE)
    inbox = pst.create_predefined_folder("Inbox", StandardIpmFolder.INBOX)
    n = errors = 0
    for f in files:
        try:
            inbox.add_message(MapiMessage.from_mail_message(ae.MailMessage.load(f)))
            n += 1
        except Exception as e:  # noqa: BLE001 - counted, as a converter would
            errors += 1
            if errors <= 3:
                print(f"{f}: {e}", file=sys.stderr)
    del inbox, pst
    print(n, errors, f"{time.perf_counter() - t0:.2f}")


if __name__ == "__main__":
    main()
