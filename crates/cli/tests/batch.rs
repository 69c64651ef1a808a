//! `mailshift batch` end to end: 40 local conversions as 4 shards in 4
//! processes at once, run as the README's Kubernetes manifest runs them; one
//! of 4 shards killed midway and run again; the rows each scheduler's index
//! takes, with the README's manifest, Slurm script and GNU parallel line.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mailshift_core::StoreReader;
use mailshift_testkit::corpus::{generate, write_single_mbox, CorpusSpec};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_mailshift")
}

/// The README's fenced block in `lang` that holds `needle`.
fn readme_block(lang: &str, needle: &str) -> String {
    let readme = std::fs::read_to_string(mailshift_testkit::workspace_root().join("README.md")).unwrap();
    let fence = format!("```{lang}\n");
    let mut rest = readme.as_str();
    while let Some(i) = rest.find(&fence) {
        let body = &rest[i + fence.len()..];
        let end = body.find("```").expect("the README's block ends");
        if body[..end].contains(needle) {
            return body[..end].to_string();
        }
        rest = &body[end..];
    }
    panic!("the README has no ```{lang} block holding {needle:?}");
}

/// The README's Kubernetes Indexed Job: its `completions` and its command,
/// with `/data` put under `data`.
fn kubernetes_job(data: &Path) -> (u64, Vec<String>) {
    let yaml = readme_block("yaml", "kind: Job");
    assert!(yaml.contains("completionMode: Indexed"), "{yaml}");
    let completions: u64 =
        yaml.lines().find_map(|l| l.trim().strip_prefix("completions:")).expect("completions").trim().parse().unwrap();
    let line = yaml.lines().find_map(|l| l.trim().strip_prefix("command:")).expect("command");
    let command: Vec<String> = serde_json::from_str(line.trim()).expect("the command is a JSON-style list");
    assert_eq!(command[0], "mailshift");
    let command = command[1..].iter().map(|a| a.replace("/data", &data.display().to_string())).collect();
    (completions, command)
}

/// The README's Slurm script, with `/data` put under `data`, and its array.
fn slurm_script(data: &Path) -> (String, Vec<u64>) {
    let script = readme_block("bash", "#SBATCH --array").replace("/data", &data.display().to_string());
    let array = script.lines().find_map(|l| l.strip_prefix("#SBATCH --array=")).expect("--array");
    let (a, b) = array.trim().split_once('-').expect("--array=A-B");
    (script.clone(), (a.parse().unwrap()..=b.parse().unwrap()).collect())
}

/// A directory holding `mailshift` as the binary under test, for PATH.
fn path_with_mailshift(dir: &Path) -> String {
    let bin_dir = dir.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    let link = bin_dir.join("mailshift");
    if !link.exists() {
        std::os::unix::fs::symlink(bin(), &link).unwrap();
    }
    format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default())
}

/// Message-IDs of every mail in a store read with our readers, sorted
/// (duplicates kept).
fn ids(path: &Path) -> Vec<String> {
    let reader: Box<dyn StoreReader> = if path.is_dir() {
        Box::new(mailshift_maildir::MaildirReader::open(path).unwrap())
    } else if path.extension().is_some_and(|e| e == "pst") {
        Box::new(mailshift_pst::PstReader::open(path).unwrap())
    } else {
        Box::new(mailshift_mbox::MboxReader::open(path).unwrap())
    };
    let mut out: Vec<String> = common::messages(reader.as_ref())
        .iter()
        .map(|(_, raw)| {
            let (head, _) = mailshift_core::prepare::split_header(raw);
            let head = String::from_utf8_lossy(head).to_string();
            head.lines()
                .find_map(|l| {
                    l.get(..11).filter(|p| p.eq_ignore_ascii_case("message-id:")).map(|_| l[11..].trim().to_string())
                })
                .unwrap_or_else(|| format!("(none, {} bytes)", raw.len()))
        })
        .collect();
    out.sort();
    out
}

/// `got` (a target's Message-IDs) holds each of `source`'s once (a
/// source's own repeats are skipped as duplicates: every job is --dedup).
fn assert_once(got: &[String], source: &[String], what: &str) {
    let mut want: Vec<String> = source.to_vec();
    want.dedup();
    let mut seen = got.to_vec();
    seen.dedup();
    assert_eq!(seen.len(), got.len(), "{what}: a message is there twice");
    let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).take(5).collect();
    let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && got.len() == want.len(),
        "{what}: missing {missing:?}, extra {extra:?}"
    );
}

/// Generated mbox stores: `n` of them, `msgs(i)` messages each.
fn generated(dir: &Path, n: usize, msgs: impl Fn(usize) -> usize, bytes: u64) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    (0..n)
        .map(|i| {
            let m = msgs(i);
            let corpus = generate(&CorpusSpec {
                seed: 1000 + i as u64,
                messages: m,
                target_bytes: bytes * m as u64,
                max_attachment: 4096,
            });
            let p = dir.join(format!("store{i:02}.mbox"));
            write_single_mbox(&corpus, &p).unwrap();
            p
        })
        .collect()
}

fn state_of(state: &Path, id: &str) -> serde_json::Value {
    common::read_json(&state.join("jobs").join(id).join("state.json"))
}

/// `batch --list`'s rows, by the job ids it prints.
fn listed(out: &str) -> BTreeSet<(u64, String)> {
    out.lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            let row = f.next()?.strip_prefix("row ")?.parse().ok()?;
            let _label = f.next()?;
            Some((row, f.next()?.to_string()))
        })
        .collect()
}

#[test]
fn forty_jobs_in_four_shards_at_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("out")).unwrap();
    let mut sources = generated(&data.join("src"), 34, |i| 3 + (i * 7) % 23, 3000);
    sources.push(common::sample("sample.mbox"));
    match mailshift_testkit::fixtures_dir() {
        Some(fx) => {
            for f in [
                "apache__tika/complex.mbox",
                "chaoss__grimoirelab-perceval/mbox_multipart.mbox",
                "aspose-email__Aspose.Email-for-.NET/ExampleMbox.mbox",
                "chaoss__grimoirelab-perceval/pipermail_2016_april.mbox",
                "apache__tika/testPST.pst",
            ] {
                sources.push(fx.join(f));
            }
        }
        None => sources.extend(generated(&data.join("more"), 5, |_| 4, 2000)),
    }
    assert_eq!(sources.len(), 40);
    let mut csv = String::from("source,target\n");
    let targets: Vec<PathBuf> = (0..40).map(|i| data.join("out").join(format!("job{i:02}"))).collect();
    for (s, t) in sources.iter().zip(&targets) {
        csv.push_str(&format!("{},{},--no-fsync,--to=maildir\n", s.display(), t.display()));
    }
    std::fs::write(data.join("jobs.csv"), &csv).unwrap();

    // The README's Indexed Job: one process per index, all at once.
    let (completions, command) = kubernetes_job(&data);
    assert_eq!(completions, 4);
    let t0 = Instant::now();
    let children: Vec<_> = (0..completions)
        .map(|k| {
            Command::new(bin())
                .args(&command)
                .env("JOB_COMPLETION_INDEX", k.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut shard_rows: Vec<BTreeSet<u64>> = Vec::new();
    for (k, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "index {k}: {err}{}", String::from_utf8_lossy(&out.stdout));
        assert!(err.contains(&format!("shard {}/4 (JOB_COMPLETION_INDEX={k}", k + 1)), "{err}");
        let rows: BTreeSet<u64> =
            err.lines().filter_map(|l| l.split(" row ").nth(1)?.split(' ').next()?.parse().ok()).collect();
        shard_rows.push(rows);
    }
    eprintln!("4 shards of 40 jobs in {:.1} s", t0.elapsed().as_secs_f64());
    // The shards' rows: disjoint, and all 40 together.
    let all: BTreeSet<u64> = shard_rows.iter().flatten().copied().collect();
    assert_eq!(all, (2..=41).collect::<BTreeSet<u64>>());
    assert_eq!(shard_rows.iter().map(BTreeSet::len).sum::<usize>(), 40, "{shard_rows:?}");
    assert!(shard_rows.iter().all(|r| !r.is_empty()), "{shard_rows:?}");

    // Every job done once, and each target holds its source's messages once.
    let plan = common::read_json(&data.join("state/plan.json"));
    let jobs = plan["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 40);
    let mut sum = BTreeMap::<&str, u64>::new();
    for job in jobs {
        let id = job["id"].as_str().unwrap();
        let st = state_of(&data.join("state"), id);
        assert_eq!(st["status"], "Completed", "{st}");
        assert_eq!(st["attempts"], 1, "{st}");
        let row = job["row"].as_u64().unwrap();
        let shard: u64 = st["shard"].as_str().unwrap().split('/').next().unwrap().parse().unwrap();
        assert!(shard_rows[shard as usize - 1].contains(&row), "row {row} ran in shard {shard}");
        let report = common::read_json(&data.join("state/jobs").join(id).join("report.json"));
        for f in ["copied", "skipped_duplicate", "failed", "bytes"] {
            *sum.entry(f).or_default() += common::total(&report, f);
        }
        let src = PathBuf::from(job["source"].as_str().unwrap());
        let dst = PathBuf::from(job["target"].as_str().unwrap());
        let got = ids(&dst);
        assert_eq!(got.len() as u64, common::total(&report, "copied") - pim_items(&report), "{}", dst.display());
        if src.extension().is_some_and(|e| e == "mbox") {
            assert_once(&got, &ids(&src), &format!("{} -> {}", src.display(), dst.display()));
        }
    }
    assert!(sum["copied"] > 400, "{sum:?}");
    assert_eq!(sum["failed"], 0);

    // The merged report: the sum of the per-job reports.
    let (code, out, err) = common::mailshift(&[
        &"batch-report",
        &"--state",
        &data.join("state"),
        &"--json",
        &"-",
        &"--csv",
        &data.join("report.csv"),
    ]);
    assert_eq!(code, 0, "{err}");
    let merged: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(merged["total"]["jobs"], 40);
    assert_eq!(merged["total"]["completed"], 40);
    assert_eq!(merged["total"]["items_synced"], sum["copied"]);
    assert_eq!(merged["total"]["items_failed"], 0);
    assert_eq!(merged["total"]["bytes"], sum["bytes"]);
    assert!(err.contains("40/40 done"), "{err}");
    let csv_out = std::fs::read_to_string(data.join("report.csv")).unwrap();
    let mut lines = csv_out.lines();
    assert_eq!(
        lines.next().unwrap(),
        "EmailAddress,Status,ItemsSynced,ItemsSkipped,ItemsFailed,Bytes,Error,Row,Target"
    );
    assert_eq!(lines.filter(|l| l.contains(",Completed,")).count(), 40);

    // A shard run again (Kubernetes replacing a pod) does nothing twice.
    let (code, _, err) = mailshift_testkit::run(Command::new(bin()).args(&command).env("JOB_COMPLETION_INDEX", "2"));
    assert_eq!(code, 0, "{err}");
    assert!(err.lines().filter(|l| l.contains(" row ")).all(|l| l.ends_with("already done")), "{err}");
    for job in jobs {
        assert_eq!(state_of(&data.join("state"), job["id"].as_str().unwrap())["attempts"], 1);
    }
    // With --verify, the jobs done unverified run again (copying nothing)
    // and are verified; one whose target lost a message is not done.
    let victim = jobs.iter().find(|j| j["source"].as_str().unwrap().contains("store05")).unwrap();
    let victim_dst = PathBuf::from(victim["target"].as_str().unwrap());
    let file = walkdir::WalkDir::new(&victim_dst)
        .into_iter()
        .flatten()
        .find(|e| {
            e.file_type().is_file() && e.path().parent().is_some_and(|p| p.ends_with("cur") || p.ends_with("new"))
        })
        .unwrap();
    std::fs::remove_file(file.path()).unwrap();
    let (code, out, err) = common::mailshift(&[
        &"batch",
        &data.join("jobs.csv"),
        &"--state",
        &data.join("state"),
        &"--verify",
        &"--jobs",
        &"2",
    ]);
    assert_eq!(code, 0, "{err}{out}");
    for job in jobs {
        let st = state_of(&data.join("state"), job["id"].as_str().unwrap());
        assert_eq!(st["verify"], "ok", "{st}");
        let report = common::read_json(&data.join("state/jobs").join(job["id"].as_str().unwrap()).join("report.json"));
        // The lost message was copied again before the check.
        let again = if job["id"] == victim["id"] { 1 } else { 0 };
        assert_eq!(common::total(&report, "copied") - pim_items(&report), again, "{}", job["source"]);
    }
}

/// Contacts and calendars of a PST source go as .vcf/.ics beside the mail:
/// copied, but no messages.
fn pim_items(report: &serde_json::Value) -> u64 {
    report["folders"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"].as_str().is_some_and(|k| k != "mail"))
        .map(|f| f["counts"]["copied"].as_u64().unwrap_or(0))
        .sum()
}

/// Messages a Maildir target holds in cur/.
fn delivered(target: &Path) -> usize {
    walkdir::WalkDir::new(target).into_iter().flatten().filter(|e| e.path().to_string_lossy().contains("/cur/")).count()
}

#[test]
fn a_shard_killed_midway_and_run_again() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let sources = generated(&data.join("src"), 12, |_| 1200, 4000);
    let mut csv = String::new();
    for (i, s) in sources.iter().enumerate() {
        // fsync on: each message is slow enough to be killed among.
        csv.push_str(&format!("{},{}\n", s.display(), data.join(format!("out/job{i}")).display()));
    }
    std::fs::write(data.join("jobs.csv"), &csv).unwrap();
    let state = data.join("state");
    // Options for every job go after `--`.
    let run = |shard: &str| {
        let mut c = Command::new(bin());
        c.current_dir(data).args(["batch", "jobs.csv", "--state", "state", "--shard", shard, "--", "--to=maildir"]);
        c
    };
    // Four shards at once, as four processes.
    let mut children: Vec<_> =
        (1..=4).map(|k| run(&format!("{k}/4")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap()).collect();
    let plan_ids = |state: &Path| -> Vec<String> {
        common::read_json(&state.join("plan.json"))["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    // One shard is killed once a job is done somewhere and one of its own
    // has written part of its target.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut killed: Option<(usize, String)> = None;
    while Instant::now() < deadline && killed.is_none() {
        std::thread::sleep(Duration::from_millis(5));
        if !state.join("plan.json").is_file() {
            continue;
        }
        let states: Vec<serde_json::Value> = plan_ids(&state)
            .iter()
            .filter_map(|id| std::fs::read(state.join("jobs").join(id).join("state.json")).ok())
            .filter_map(|b| serde_json::from_slice(&b).ok())
            .collect();
        if !states.iter().any(|s| s["status"] == "Completed") {
            continue;
        }
        for r in states.iter().filter(|s| s["status"] == "Running") {
            let id = r["id"].as_str().unwrap().to_string();
            let target = PathBuf::from(r["target"].as_str().unwrap());
            if !(20..1000).contains(&delivered(&target)) {
                continue;
            }
            // Before its end: the kill must land inside the job. The shard is
            // frozen first and the job looked at again, since a job of 1,200
            // messages can end between the look and the kill.
            let shard: usize = r["shard"].as_str().unwrap().split('/').next().unwrap().parse().unwrap();
            let pid = children[shard - 1].id().to_string();
            assert!(Command::new("kill").args(["-STOP", &pid]).status().unwrap().success());
            let still = std::fs::read(state.join("jobs").join(&id).join("state.json"))
                .ok()
                .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
                .is_some_and(|s| s["status"] == "Running");
            if still && (20..1200).contains(&delivered(&target)) {
                // SIGKILL ends a stopped process too.
                children[shard - 1].kill().unwrap();
                killed = Some((shard, id));
                break;
            }
            assert!(Command::new("kill").args(["-CONT", &pid]).status().unwrap().success());
        }
    }
    let (shard, killed) = killed.expect("a shard was killed midway through a job");
    for (k, c) in children.iter_mut().enumerate() {
        let status = c.wait().unwrap();
        if k + 1 != shard {
            assert_eq!(status.code(), Some(0), "shard {}/4", k + 1);
        }
    }
    // The report sees the job whose process died.
    let (code, out, _) = common::mailshift(&[&"batch-report", &"--state", &state, &"--json", &"-", &"-q"]);
    assert_eq!(code, 1);
    let merged: serde_json::Value = serde_json::from_str(&out).unwrap();
    let statuses: Vec<&str> =
        merged["jobs"].as_array().unwrap().iter().map(|j| j["Status"].as_str().unwrap()).collect();
    assert!(statuses.contains(&"Interrupted"), "{statuses:?}");
    assert!(statuses.contains(&"Completed"), "{statuses:?}");

    // The scheduler runs the killed shard again.
    let (code, _, err) = mailshift_testkit::run(&mut run(&format!("{shard}/4")));
    assert_eq!(code, 0, "{err}");
    for (i, id) in plan_ids(&state).iter().enumerate() {
        let st = state_of(&state, id);
        assert_eq!(st["status"], "Completed");
        let target = data.join(format!("out/job{i}"));
        // Every message exactly once.
        assert_once(&ids(&target), &ids(&sources[i]), &target.display().to_string());
        if *id == killed {
            assert_eq!(st["attempts"], 2, "{st}");
            let report = common::read_json(&state.join("jobs").join(id).join("report.json"));
            assert!(common::total(&report, "skipped_duplicate") > 20, "{report}");
        } else {
            // Done once: the rerun skipped what was done, other shards ran theirs once.
            assert_eq!(st["attempts"], 1, "{st}");
        }
    }
    let (code, _, _) = common::mailshift(&[&"batch-report", &"--state", &state, &"-q"]);
    assert_eq!(code, 0);
}

#[test]
fn each_scheduler_index_takes_the_rows_of_its_shard() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let mut csv = String::from("source,target\n");
    for i in 0..40 {
        csv.push_str(&format!("mail/user{i}.mbox,out/user{i}\n"));
    }
    std::fs::write(data.join("jobs.csv"), &csv).unwrap();
    let list = |cmd: &mut Command| {
        let (code, out, err) = mailshift_testkit::run(cmd);
        assert_eq!(code, 0, "{err}");
        listed(&out)
    };
    // The flags: the reference.
    let by_flag: Vec<BTreeSet<(u64, String)>> = (1..=4)
        .map(|i| {
            list(
                Command::new(bin())
                    .args(["batch", "--list", "--state", "st", "--shard", &format!("{i}/4")])
                    .arg(data.join("jobs.csv")),
            )
        })
        .collect();
    let all: BTreeSet<u64> = by_flag.iter().flatten().map(|(r, _)| *r).collect();
    assert_eq!(all, (2..=41).collect());
    assert_eq!(by_flag.iter().map(BTreeSet::len).sum::<usize>(), 40);
    for (k, rows) in by_flag.iter().enumerate() {
        let zero_based = list(
            Command::new(bin())
                .args(["batch", "--list", "--state", "st", "--shard-index", &k.to_string(), "--shard-count", "4"])
                .arg(data.join("jobs.csv")),
        );
        assert_eq!(&zero_based, rows);
    }
    // Kubernetes: the README's manifest, each index as the Job sets it.
    let (completions, command) = kubernetes_job(&data);
    for k in 0..completions {
        let rows = list(Command::new(bin()).args(&command).arg("--list").env("JOB_COMPLETION_INDEX", k.to_string()));
        assert_eq!(rows, by_flag[k as usize], "Kubernetes index {k}");
    }
    // Slurm: the README's script run by bash as sbatch would, per task.
    let (script, array) = slurm_script(&data);
    let script = script.replace("mailshift batch", "mailshift batch --list");
    let path = path_with_mailshift(tmp.path());
    for &id in &array {
        let rows = list(
            Command::new("bash")
                .arg("-c")
                .arg(&script)
                .env("PATH", &path)
                .env("SLURM_ARRAY_JOB_ID", "4242")
                .env("SLURM_ARRAY_TASK_ID", id.to_string())
                .env("SLURM_ARRAY_TASK_MIN", array[0].to_string())
                .env("SLURM_ARRAY_TASK_MAX", array[array.len() - 1].to_string())
                .env("SLURM_ARRAY_TASK_COUNT", array.len().to_string())
                .env("SLURM_ARRAY_TASK_STEP", "1"),
        );
        assert_eq!(rows, by_flag[(id - array[0]) as usize], "Slurm task {id}");
    }
    // GNU parallel: the README's line, each {} as parallel fills it in.
    let line =
        readme_block("bash", "parallel -j").lines().next().unwrap().replace("/data", &data.display().to_string());
    let (cmd, values) = line.split_once(" ::: ").unwrap();
    let cmd = cmd.strip_prefix("parallel -j 4 mailshift ").unwrap();
    for v in values.split_whitespace() {
        let args: Vec<String> = cmd.replace("{}", v).split_whitespace().map(String::from).collect();
        let rows = list(Command::new(bin()).args(&args).arg("--list"));
        assert_eq!(rows, by_flag[v.parse::<usize>().unwrap() - 1], "parallel {v}");
    }
    // Rows added, removed and reordered: the others keep their shard.
    let mut edited = String::from("source,target\n");
    for i in (0..40).rev().filter(|i| i % 5 != 0) {
        edited.push_str(&format!("mail/user{i}.mbox,out/user{i}\n"));
    }
    for i in 40..50 {
        edited.push_str(&format!("mail/user{i}.mbox,out/user{i}\n"));
    }
    std::fs::write(data.join("edited.csv"), &edited).unwrap();
    let edited_all = list(
        Command::new(bin()).args(["batch", "--list", "--state", "st", "--shard", "1/1"]).arg(data.join("edited.csv")),
    );
    let before_all: BTreeSet<String> = by_flag.iter().flatten().map(|(_, id)| id.clone()).collect();
    let kept: BTreeSet<String> =
        edited_all.iter().map(|(_, id)| id.clone()).filter(|id| before_all.contains(id)).collect();
    assert_eq!(kept.len(), 32);
    for (i, rows) in by_flag.iter().enumerate() {
        let before: BTreeSet<String> = rows.iter().map(|(_, id)| id.clone()).filter(|id| kept.contains(id)).collect();
        let after: BTreeSet<String> = list(
            Command::new(bin())
                .args(["batch", "--list", "--state", "st", "--shard", &format!("{}/4", i + 1)])
                .arg(data.join("edited.csv")),
        )
        .into_iter()
        .map(|(_, id)| id)
        .filter(|id| kept.contains(id))
        .collect();
        assert_eq!(before, after, "the rows kept moved in or out of shard {}", i + 1);
    }
    // --list wrote nothing.
    assert!(!data.join("st").exists());
}

#[test]
fn an_invalid_jobs_file_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let src = common::sample("sample.mbox");
    std::fs::write(
        d.join("jobs.csv"),
        format!("{0},out/a\n{0}\n{0},out/b,--no-such-option\n{0},out/a\n", src.display()),
    )
    .unwrap();
    let (code, _, err) = common::mailshift_in(d, &["batch", "jobs.csv", "--state", "state"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("row 2: a row is source,target"), "{err}");
    assert!(err.contains("row 3: invalid options"), "{err}");
    assert!(err.contains("row 4: the same source and target as row 1"), "{err}");
    assert!(!d.join("out").exists() && !d.join("state").exists());
    // Not UTF-8: the row is named.
    std::fs::write(d.join("bad.csv"), b"a.mbox,out/a\nb\xff.mbox,out/b\n").unwrap();
    let (code, _, err) = common::mailshift_in(d, &["batch", "bad.csv", "--state", "state"]);
    assert_eq!(code, 2);
    assert!(err.contains("row 2: not UTF-8"), "{err}");
    // A source that cannot be opened fails its job, not the batch.
    std::fs::write(d.join("jobs.csv"), format!("{},out/a\nmissing.mbox,out/m\n", src.display())).unwrap();
    let (code, out, err) =
        common::mailshift_in(d, &["batch", "jobs.csv", "--state", "state", "--", "--no-fsync", "--to=maildir"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("Completed") && out.contains("Failed"), "{out}");
    assert!(err.contains("row 2 missing.mbox: Failed (missing.mbox: no such file or directory)"), "{err}");
    assert_once(&ids(&d.join("out/a")), &ids(&src), "out/a");
}

/// Exchange's IMAP migration CSV of 20 accounts on a local Dovecot, run as 3
/// shards at once, from each source account into its own mailbox (through
/// a master user, as an admin migrates), each job verified.
#[test]
fn an_exchange_csv_of_twenty_accounts_into_dovecot() {
    use mailshift_testkit::dovecot::{Dovecot, DovecotOptions};
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let server = d.join("server");
    std::fs::create_dir(&server).unwrap();
    let n = 20;
    let src_pw = |i: usize| format!("Src-pw-{i:02}-7f3a");
    let mut users: Vec<(String, String)> = (1..=n).map(|i| (format!("src{i:02}"), src_pw(i))).collect();
    users.extend((1..=n).map(|i| (format!("user{i:02}@example.org"), "unused-dst-pw".to_string())));
    let master_pw = "Master-pw-91c2";
    let opts = DovecotOptions { users, master: Some(("admin".into(), master_pw.into())), ..DovecotOptions::default() };
    let Some(dv) = Dovecot::start(&server, &opts) else { return };
    // Each source account: a few messages in INBOX and Sent, some flagged.
    for i in 1..=n {
        let msgs = generate(&CorpusSpec {
            seed: 7000 + i as u64,
            messages: 3 + i % 5,
            target_bytes: 20_000,
            max_attachment: 1024,
        });
        let mut seen_ids = BTreeSet::new();
        for (k, m) in msgs.iter().enumerate() {
            // One copy of each: the sources hold no repeats of their own.
            if !seen_ids.insert(m.message_id()) {
                continue;
            }
            let flags: &[&str] = if m.flags.seen { &["\\Seen"] } else { &[] };
            dv.append(
                &format!("src{i:02}"),
                if k % 3 == 2 { "Sent" } else { "INBOX" },
                &m.raw,
                flags,
                Some(m.received),
            );
        }
    }
    let mut csv = String::from("EmailAddress,UserName,Password\n");
    for i in 1..=n {
        csv.push_str(&format!("user{i:02}@example.org,src{i:02},{}\n", src_pw(i)));
    }
    std::fs::write(d.join("jobs.csv"), &csv).unwrap();
    std::fs::write(d.join("master.txt"), format!("{master_pw}\n")).unwrap();
    let port = dv.imaps_port();
    let host = dv.host();
    let batch = |shard: &str, extra: &[&str]| {
        let mut c = Command::new(bin());
        c.current_dir(d)
            .env("XDG_STATE_HOME", d.join("xdg"))
            .env_remove("MAILSHIFT_PASSWORD")
            .env_remove("MAILSHIFT_SOURCE_PASSWORD")
            .args(["batch", "jobs.csv", "--state", "state", "--jobs", "2", "--verify", "--shard", shard])
            .args(extra)
            .arg("--source")
            .arg(format!("imaps://{host}:{port}"))
            .arg("--target")
            .arg(format!("imaps://{{EmailAddress}}*admin@{host}:{port}"))
            .arg("--")
            .arg("--tls-ca")
            .arg(dv.ca_pem())
            .args(["--password-file", "master.txt", "--no-fsync"]);
        c
    };
    // A dry run first: it plans every account and writes nothing.
    let before: Vec<_> = (1..=n).map(|i| dv.counts(&format!("user{i:02}@example.org"))).collect();
    let (code, out, err) = mailshift_testkit::run(&mut batch("1/1", &["--dry-run"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("dry run: nothing was written"), "{out}");
    let after: Vec<_> = (1..=n).map(|i| dv.counts(&format!("user{i:02}@example.org"))).collect();
    assert_eq!(before, after, "the dry run changed a mailbox");
    assert!(!d.join("state").exists() && !d.join("xdg").exists(), "the dry run wrote state or a journal");
    let children: Vec<_> = ["1/3", "2/3", "3/3"]
        .iter()
        .map(|s| batch(s, &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap())
        .collect();
    let mut all_output = String::new();
    for (k, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "shard {}/3:\n{text}", k + 1);
        all_output.push_str(&text);
    }
    // Every account holds its source's messages, in the same folders, once.
    for i in 1..=n {
        let (src, dst) = (format!("src{i:02}"), format!("user{i:02}@example.org"));
        assert_eq!(dv.counts(&dst), dv.counts(&src), "{dst}");
        let key = |m: &mailshift_testkit::dovecot::Msg| {
            (m.mailbox.clone(), m.message_id.clone(), m.flags.clone(), m.internal_date)
        };
        let mut a: Vec<_> = dv.messages(&src).iter().map(key).collect();
        let mut b: Vec<_> = dv.messages(&dst).iter().map(key).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{dst}");
    }
    let (code, out, err) = common::mailshift_in(d, &["batch-report", "--state", "state", "--json", "-"]);
    assert_eq!(code, 0, "{err}");
    let merged: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(merged["total"]["completed"], n);
    for job in merged["jobs"].as_array().unwrap() {
        assert!(job["EmailAddress"].as_str().unwrap().ends_with("@example.org"));
        assert!(job["ItemsSynced"].as_u64().unwrap() >= 3, "{job}");
    }
    // Verified: each job's state says so.
    for e in std::fs::read_dir(d.join("state/jobs")).unwrap().flatten() {
        let st = common::read_json(&e.path().join("state.json"));
        assert_eq!(st["verify"], "ok", "{st}");
    }
    // No password in any output, state or report.
    let mut written = all_output.clone() + &out + &err;
    for e in walkdir::WalkDir::new(d.join("state")).into_iter().flatten().filter(|e| e.file_type().is_file()) {
        written.push_str(&String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()));
    }
    for i in 1..=n {
        assert!(!written.contains(&src_pw(i)), "a password was shown");
    }
    assert!(!written.contains(master_pw), "the master password was shown");
    // A shard run again does nothing twice.
    let (code, _, err) = mailshift_testkit::run(&mut batch("2/3", &[]));
    assert_eq!(code, 0, "{err}");
    assert!(err.lines().filter(|l| l.contains(" row ")).all(|l| l.ends_with("already done")), "{err}");
    for i in 1..=n {
        assert_eq!(dv.counts(&format!("user{i:02}@example.org")), dv.counts(&format!("src{i:02}")));
    }
}

#[test]
fn a_dry_run_writes_nothing_and_says_what_would_be_copied() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let sources = generated(&d.join("src"), 3, |i| 5 + i, 2000);
    let mut csv = String::new();
    for (i, s) in sources.iter().enumerate() {
        csv.push_str(&format!("{},out/job{i},--to=maildir\n", s.display()));
    }
    std::fs::write(d.join("jobs.csv"), &csv).unwrap();
    // Half of one target exists already.
    let (code, _, err) = common::mailshift_in(
        d,
        &[
            "convert",
            &sources[0].display().to_string(),
            "out/job0",
            "--to=maildir",
            "--no-fsync",
            "--until",
            "2015-01-01",
        ],
    );
    assert!(code == 0, "{err}");
    let tree = |root: &Path| -> Vec<(PathBuf, u64)> {
        let mut v: Vec<_> = walkdir::WalkDir::new(root)
            .into_iter()
            .flatten()
            .map(|e| (e.path().to_path_buf(), e.metadata().map(|m| m.len()).unwrap_or(0)))
            .collect();
        v.sort();
        v
    };
    let before = tree(d);
    let (code, out, err) = common::mailshift_in(d, &["batch", "jobs.csv", "--state", "state", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(tree(d), before, "the dry run wrote something");
    assert!(out.starts_with("dry run: nothing was written"), "{out}");
    // Its counts are those of the real run that follows.
    let planned: Vec<u64> = out
        .lines()
        .filter(|l| l.contains("Completed"))
        .map(|l| l.split_whitespace().nth(3).unwrap().parse().unwrap())
        .collect();
    let (code, out, err) = common::mailshift_in(d, &["batch", "jobs.csv", "--state", "state", "--", "--no-fsync"]);
    assert_eq!(code, 0, "{err}");
    let done: Vec<u64> = out
        .lines()
        .filter(|l| l.contains("Completed"))
        .map(|l| l.split_whitespace().nth(3).unwrap().parse().unwrap())
        .collect();
    assert_eq!(planned, done);
    assert_eq!(planned.len(), 3);
}
