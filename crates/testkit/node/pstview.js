#!/usr/bin/env node
// pst-extractor (npm; the java-libpst lineage) as a PST oracle for
// mailshift's tests (called by `mailshift_testkit::oracle`,
// Oracle::PstExtractor). Install its one dependency first:
//   npm ci --prefix crates/testkit/node --no-audit --no-fund
//
// Usage: node pstview.js FILE.pst
//
// Prints one JSON object, the Rust `oracle::RawView` (see
// ../py/pstview.py for the shape): every folder reached from the root
// folder, with the messages pst-extractor returns (their subjects as it
// gives them, the sha256 of each by-value attachment), the IPM subtree's
// path when the store's PidTagIpmSubtreeEntryId names a folder it saw, and
// what it failed on ({path, message}, path null outside any folder).
// pst-extractor reports some failures with
// console.log/console.error and carries on: those lines are collected as
// errors, so stdout holds the JSON only. Exit status: 0 with the JSON, 2
// when it cannot open the file (message on stderr), 3 when pst-extractor
// is not installed.
'use strict';

const crypto = require('crypto');

// Each error with the path of the folder being read when it came (null:
// not in a folder), so that the Rust side can drop those of folders it
// does not compare.
const errors = [];
let currentPath = null;
const report = (path, message) => errors.push({ path, message });
const collect = (...args) => report(currentPath, args.map(String).join(' ').trim());
console.log = collect;
console.error = collect;
console.warn = collect;
console.info = collect;
console.debug = collect;

let PSTFile;
try {
  ({ PSTFile } = require('pst-extractor'));
} catch (e) {
  process.stderr.write(
    `pst-extractor is not installed (${e.message}); run npm ci --prefix crates/testkit/node\n`
  );
  process.exit(3);
}

// PidTagIpmSubtreeEntryId ([MS-PST] 2.4.3.2: the ENTRYID's nid at 20..24).
const IPM_SUBTREE_ENTRY_ID = 0x35e0;
// afByValue ([MS-OXCMSG] 2.2.2.9).
const AF_BY_VALUE = 1;
const MAX_DEPTH = 64;
const MAX_FOLDERS = 5000;
// A contents table longer than this is not walked further (corrupt counts).
const MAX_ITEMS = 100000;

const msg = (e) => (e && e.message ? e.message : String(e));

function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest('hex');
}

// One message's envelope line, as oracle::fact in Rust makes it; null for
// items that are not mail.
function fact(m) {
  const cls = (m.messageClass || '').toLowerCase();
  if (cls && !cls.startsWith('ipm.note')) return null;
  const to = [];
  const cc = [];
  const n = m.numberOfRecipients || 0;
  for (let i = 0; i < n; i++) {
    const r = m.getRecipient(i);
    if (!r) continue;
    const a = r.smtpAddress || r.emailAddress || '';
    if (!a) continue;
    if (r.recipientType === 1) to.push(a);
    else if (r.recipientType === 2) cc.push(a);
  }
  const norm = (l) => l.map((a) => a.trim().toLowerCase()).filter((a) => a).sort().join(',');
  const t = m.clientSubmitTime;
  const date = t ? String(Math.floor(t.getTime() / 1000)) : '';
  const id = (m.internetMessageId || '').trim().replace(/^<+|>+$/g, '');
  const from = (m.sentRepresentingEmailAddress || m.senderEmailAddress || '').trim().toLowerCase();
  return `id=${id} from=${from} to=${norm(to)} cc=${norm(cc)} date=${date}`;
}

// The sha256 of each by-value attachment; their file names (long, else
// short, where there is one) pushed to `names`.
function attachmentHashes(m, path, where, names) {
  const out = [];
  let n = 0;
  try {
    n = m.numberOfAttachments;
  } catch (e) {
    report(path, `${where}: attachments: ${msg(e)}`);
    return out;
  }
  for (let i = 0; i < n; i++) {
    try {
      const att = m.getAttachment(i);
      if (att.attachMethod !== AF_BY_VALUE) continue;
      const name = att.longFilename || att.filename || '';
      if (names && name) names.push(name);
      const stream = att.fileInputStream;
      if (!stream) {
        out.push(sha256(Buffer.alloc(0)));
        continue;
      }
      const buf = Buffer.alloc(stream.length.toNumber());
      stream.readCompletely(buf);
      out.push(sha256(buf));
    } catch (e) {
      report(path, `${where}: attachment ${i}: ${msg(e)}`);
    }
  }
  return out;
}

function main() {
  if (process.argv.length !== 3) {
    process.stderr.write('usage: node pstview.js FILE.pst\n');
    process.exit(64);
  }
  let pst, root;
  try {
    pst = new PSTFile(process.argv[2]);
    root = pst.getRootFolder();
  } catch (e) {
    process.stderr.write(`pst-extractor cannot open ${process.argv[2]}: ${msg(e)}\n`);
    process.exit(2);
  }
  let ipmNid = null;
  try {
    const store = pst.getMessageStore();
    // A protected accessor in the TypeScript source, plain JS here.
    const id = store.getBinaryItem(IPM_SUBTREE_ENTRY_ID);
    if (id && id.length >= 24) ipmNid = id.readUInt32LE(20);
  } catch (e) {
    report(null, `message store: ${msg(e)}`);
  }
  let ipmPath = null;
  const folders = [];
  const seen = new Set();
  const stack = [[root, [], 0]];
  while (stack.length > 0) {
    const [folder, path, depth] = stack.pop();
    currentPath = path;
    let nid = null;
    try {
      nid = folder.descriptorNodeId.toNumber();
    } catch (e) {
      report(path, `node id: ${msg(e)}`);
    }
    if (nid !== null) {
      if (seen.has(nid)) {
        report(path, `folder ${nid} reached twice`);
        continue;
      }
      seen.add(nid);
      if (nid === ipmNid) ipmPath = path;
    }
    const subjects = [];
    const attachments = [];
    const facts = [];
    const names = [];
    let count = 0;
    try {
      for (let child = folder.getNextChild(); child; child = folder.getNextChild()) {
        count++;
        try {
          subjects.push(child.subject || '');
        } catch (e) {
          subjects.push('');
          report(path, `message ${count}: subject: ${msg(e)}`);
        }
        attachments.push(...attachmentHashes(child, path, `message ${count}`, names));
        try {
          const f = fact(child);
          if (f !== null) facts.push(f);
        } catch (e) {
          report(path, `message ${count}: envelope: ${msg(e)}`);
        }
        if (count >= MAX_ITEMS) {
          report(path, `more than ${MAX_ITEMS} items; the rest not read`);
          break;
        }
      }
    } catch (e) {
      report(path, `contents: ${msg(e)}`);
    }
    folders.push({ path, count, subjects, attachments, facts, names });
    if (depth >= MAX_DEPTH || folders.length >= MAX_FOLDERS) {
      report(path, `subfolders not read (depth or folder bound)`);
      continue;
    }
    let subs = [];
    try {
      // PidTagSubfolders first, as java-libpst's users do: search folders
      // have no hierarchy table, and asking for it logs an error.
      subs = folder.hasSubfolders ? folder.getSubFolders() : [];
    } catch (e) {
      report(path, `subfolders: ${msg(e)}`);
    }
    for (let i = subs.length - 1; i >= 0; i--) {
      let name = '';
      try {
        name = subs[i].displayName || '';
      } catch (e) {
        report(path, `subfolder name: ${msg(e)}`);
      }
      stack.push([subs[i], path.concat([name]), depth + 1]);
    }
  }
  currentPath = null;
  process.stdout.write(JSON.stringify({ ipm_subtree: ipmPath, folders, errors }));
}

main();
