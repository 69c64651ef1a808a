#!/usr/bin/env python3
"""pypff (libpff's Python binding, PyPI `libpff-python`) as a PST oracle
for mailshift's tests (called by `mailshift_testkit::oracle`, Oracle::Pypff).

Usage: pstview.py FILE.pst

Prints one JSON object, the Rust `oracle::RawView`:
  {"ipm_subtree": [names from the root folder down] or null,
   "folders": [{"path": [names from the root folder down], "count": N,
                "subjects": [PidTagSubject as pypff gives it, ...],
                "attachments": [sha256 hex of each by-value attachment, ...]}],
   "errors": [{"path": [folder path] or null, "message": "what pypff failed on"}, ...]}
Every folder reached from the root folder (NID 0x122) is listed, the root
itself with path []; the Rust side cuts the tree to the IPM subtree and
normalizes subjects. Exit status: 0 with the JSON (item errors are data,
under "errors"), 2 when pypff cannot open the file (its message on
stderr), 3 when pypff is not installed.
"""

import hashlib
import json
import sys

try:
    import pypff
except ImportError as e:  # the Rust side reports the oracle as missing
    print(f"python3 module pypff is not importable ({e}); pip install libpff-python", file=sys.stderr)
    sys.exit(3)

# PidTagIpmSubtreeEntryId on the message store ([MS-PST] 2.4.3.2: the
# ENTRYID's nid is at bytes 20..24).
IPM_SUBTREE_ENTRY_ID = 0x35E0
# PidTagAttachMethod; afByValue ([MS-OXCMSG] 2.2.2.9).
ATTACH_METHOD = 0x3705
ATTACH_LONG_FILENAME = 0x3707
ATTACH_FILENAME = 0x3704
AF_BY_VALUE = 1
# PidTagSubject.
SUBJECT = 0x0037
# The envelope (the Rust side's oracle::fact): PidTagMessageClass,
# PidTagInternetMessageId, PidTagSentRepresentingSmtpAddress and -EmailAddress (From);
# the recipients' PidTagRecipientType, PidTagSmtpAddress, PidTagEmailAddress.
MESSAGE_CLASS = 0x001A
INTERNET_MESSAGE_ID = 0x1035
SENT_REPRESENTING_SMTP_ADDRESS = 0x5D02
SENT_REPRESENTING_EMAIL_ADDRESS = 0x0065
RECIPIENT_TYPE = 0x0C15
SMTP_ADDRESS = 0x39FE
EMAIL_ADDRESS = 0x3003
# Bounds for corrupt hierarchies (cycles, absurd depth).
MAX_DEPTH = 64
MAX_FOLDERS = 5000


def entries(item):
    """(entry_type, record_entry) of every property of the item's first record set."""
    out = []
    for rs in range(item.number_of_record_sets):
        record_set = item.get_record_set(rs)
        for i in range(record_set.number_of_entries):
            e = record_set.get_entry(i)
            out.append((e.entry_type, e))
        break
    return out


def subject_of(item):
    """PidTagSubject: `subject` of a message; for the items pypff types as
    plain `item` (free/busy data, ...) the value in its record set."""
    if hasattr(item, "subject"):
        return item.subject or ""
    for tag, e in entries(item):
        if tag == SUBJECT:
            return e.data_as_string or ""
    return ""


def fact(msg):
    """One message's envelope line, as oracle::fact in Rust makes it; None
    for items that are not mail."""
    props = {tag: e for tag, e in entries(msg)}

    def text(d, tag):
        e = d.get(tag)
        try:
            return (e.data_as_string or "") if e is not None else ""
        except Exception:
            return ""

    cls = text(props, MESSAGE_CLASS)
    if cls and not cls.lower().startswith("ipm.note"):
        return None
    to, cc = [], []
    try:
        rcpts = msg.recipients
        for rs in range(rcpts.number_of_record_sets if rcpts is not None else 0):
            r = rcpts.get_record_set(rs)
            d = {}
            for i in range(r.number_of_entries):
                e = r.get_entry(i)
                d[e.entry_type] = e
            kind = d[RECIPIENT_TYPE].data_as_integer if RECIPIENT_TYPE in d else None
            addr = text(d, SMTP_ADDRESS) or text(d, EMAIL_ADDRESS)
            if addr and kind == 1:
                to.append(addr)
            elif addr and kind == 2:
                cc.append(addr)
    except Exception:
        pass
    date = ""
    try:
        ft = msg.get_client_submit_time_as_integer()
        if ft:
            date = str(ft // 10_000_000 - 11_644_473_600)
    except Exception:
        pass

    def norm(l):
        return ",".join(sorted(a.strip().lower() for a in l if a.strip()))

    mid = text(props, INTERNET_MESSAGE_ID).strip().strip("<>")
    sender = (text(props, SENT_REPRESENTING_SMTP_ADDRESS) or text(props, SENT_REPRESENTING_EMAIL_ADDRESS)).strip().lower()
    return f"id={mid} from={sender} to={norm(to)} cc={norm(cc)} date={date}"


def ipm_subtree_nid(f, errors):
    try:
        store = f.get_message_store()
        for tag, e in entries(store):
            if tag == IPM_SUBTREE_ENTRY_ID:
                data = e.data or b""
                if len(data) >= 24:
                    return int.from_bytes(data[20:24], "little")
    except Exception as e:  # a store without one: the Rust side falls back to names
        errors.append({"path": None, "message": f"message store: {e}"})
    return None


def attachment_hashes(msg, path, where, errors, names=None):
    """The sha256 of each by-value attachment; their file names (long,
    else short, where there is one) appended to `names`."""
    out = []
    if not hasattr(msg, "number_of_attachments"):
        return out
    try:
        n = msg.number_of_attachments
    except Exception as e:
        errors.append({"path": path, "message": f"{where}: attachments: {e}"})
        return out
    for i in range(n):
        try:
            att = msg.get_attachment(i)
            method = None
            long_name = short_name = ""
            for tag, e in entries(att):
                if tag == ATTACH_METHOD:
                    method = e.data_as_integer
                elif tag == ATTACH_LONG_FILENAME:
                    long_name = e.data_as_string or ""
                elif tag == ATTACH_FILENAME:
                    short_name = e.data_as_string or ""
            if method != AF_BY_VALUE:
                continue
            if names is not None and (long_name or short_name):
                names.append(long_name or short_name)
            size = att.size
            data = att.read_buffer(size) if size else b""
            out.append(hashlib.sha256(data).hexdigest())
        except Exception as e:
            errors.append({"path": path, "message": f"{where}: attachment {i}: {e}"})
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(64)
    f = pypff.file()
    try:
        f.open(sys.argv[1])
        root = f.get_root_folder()
    except Exception as e:
        print(f"pypff cannot open {sys.argv[1]}: {e}", file=sys.stderr)
        sys.exit(2)
    errors = []
    ipm_nid = ipm_subtree_nid(f, errors)
    ipm_path = None
    folders = []
    seen = set()
    stack = [(root, [], 0)]
    while stack:
        folder, path, depth = stack.pop()
        try:
            nid = folder.identifier
        except Exception:
            nid = None
        if nid is not None:
            if nid in seen:
                errors.append({"path": path, "message": f"folder {nid:#x} reached twice"})
                continue
            seen.add(nid)
            if nid == ipm_nid:
                ipm_path = path
        subjects, attachments, facts, names, count = [], [], [], [], 0
        try:
            n = folder.number_of_sub_messages
        except Exception as e:
            errors.append({"path": path, "message": f"messages: {e}"})
            n = 0
        for i in range(n):
            try:
                msg = folder.get_sub_message(i)
            except Exception as e:
                errors.append({"path": path, "message": f"message {i}: {e}"})
                continue
            count += 1
            try:
                subjects.append(subject_of(msg))
            except Exception as e:
                errors.append({"path": path, "message": f"message {i}: subject: {e}"})
                subjects.append("")
            attachments.extend(attachment_hashes(msg, path, f"message {i}", errors, names))
            try:
                f_ = fact(msg)
                if f_ is not None:
                    facts.append(f_)
            except Exception as e:
                errors.append({"path": path, "message": f"message {i}: envelope: {e}"})
        folders.append(
            {
                "path": path,
                "count": count,
                "subjects": subjects,
                "attachments": attachments,
                "facts": facts,
                "names": names,
            }
        )
        if depth >= MAX_DEPTH or len(folders) >= MAX_FOLDERS:
            errors.append({"path": path, "message": f"subfolders not read (depth or folder bound)"})
            continue
        try:
            subs = [folder.get_sub_folder(i) for i in range(folder.number_of_sub_folders)]
        except Exception as e:
            errors.append({"path": path, "message": f"subfolders: {e}"})
            subs = []
        for sub in reversed(subs):
            try:
                name = sub.name or ""
            except Exception as e:
                errors.append({"path": path, "message": f"subfolder name: {e}"})
                name = ""
            stack.append((sub, path + [name], depth + 1))
    json.dump({"ipm_subtree": ipm_path, "folders": folders, "errors": errors}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
