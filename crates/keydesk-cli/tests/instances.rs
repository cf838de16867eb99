//! Two `keydesk serve` instances on one PostgreSQL database share approvals, the audit chain and
//! the durable job queue. A bulk unlock job is submitted on one instance, its list approved by a
//! second operator on the other, and queued; one instance is killed with SIGKILL while it holds
//! items. The survivor takes the dead instance's items over once their leases run out: every user
//! ends enabled, each written exactly once, and the audit chain verifies (an intent the dead
//! instance left open is reported as interrupted, not as tampering).
//!
//! Sign-in: both instances share `KEYDESK_SESSION_KEY`, which signs session cookies, so the test
//! issues the two operators' sessions with that key (as the demo sign-in or an SSO front end
//! would); the instances still read each person's roles from the directory for every call.
//!
//! Needs `KEYDESK_TEST_POSTGRES_URL` (scripts/postgres.sh prints one; scripts/test.sh sets it);
//! without it the test prints a notice and passes without running.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use keydesk_testkit::postgres::FreshDatabase;
use keydesk_testkit::tenant::DisabledUsers;
use serde_json::{Value, json};

const USERS: usize = 48;
const SESSION_KEY: &str = "instances-test-session-key-0123456789abcdef";

/// A running `keydesk serve`.
struct Instance {
    child: Child,
    url: String,
    worker: String,
    _home: tempfile::TempDir,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(env: &[(String, String)]) -> Instance {
    let home = tempfile::tempdir().expect("temp dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_keydesk"));
    command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("KEYDESK_HOME", home.path())
        .env("KEYDESK_SESSION_KEY", SESSION_KEY)
        .env("KEYDESK_JOB_LEASE_SECONDS", "3")
        .env("KEYDESK_HOURLY_BUDGET", "100000")
        .env("KEYDESK_RATE_LIMIT", "1000")
        .env_remove("KEYDESK_VERIFICATION_MODE")
        .env_remove("KEYDESK_WEBHOOK_URL")
        .env_remove("KEYDESK_API_AUDIENCE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("keydesk serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    // The worker's id is on stderr; the URL is stdout's first line.
    let worker = Arc::new(Mutex::new(None::<String>));
    let found = worker.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("keydesk job worker ") {
                let id = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                *found.lock().expect("lock") = Some(id);
            }
            eprintln!("[serve] {line}");
        }
    });
    let mut url = String::new();
    BufReader::new(stdout)
        .read_line(&mut url)
        .expect("the URL on stdout");
    let url = url.trim().to_string();
    assert!(url.starts_with("http://"), "serve printed {url:?}");
    let started = Instant::now();
    let worker = loop {
        if let Some(id) = worker.lock().expect("lock").clone() {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no job worker announced"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    Instance {
        child,
        url,
        worker,
        _home: home,
    }
}

/// A session for `upn`, signed with the instances' shared key: (cookie header, CSRF token).
fn session(upn: &str) -> (String, String) {
    let key = keydesk_server::SessionKey::from_secret(SESSION_KEY).expect("key");
    let session = keydesk_server::auth::Session::new(upn, "test");
    (
        format!("keydesk_session={}", key.issue(&session)),
        session.csrf,
    )
}

async fn call(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    who: &(String, String),
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http
        .request(method, url)
        .header("cookie", &who.0)
        .header("x-csrf-token", &who.1);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the instance answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

/// Sends `signal` (`-STOP`, `-CONT`) to `child`.
fn signal(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success(), "kill {signal} {}", child.id());
}

/// Every record of the audit log, in order (an empty list while it cannot be read).
async fn all_records(store: &dyn keydesk_audit::AuditStore) -> Vec<keydesk_audit::AuditRecord> {
    let mut records = Vec::new();
    let mut page = keydesk_audit::Page::first();
    while let Ok(batch) = store.records(page).await {
        let Some(last) = batch.last() else { break };
        page = keydesk_audit::Page::after(last.seq);
        records.extend(batch);
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_a_bulk_job_and_a_killed_one_loses_nothing() {
    let Ok(base) = std::env::var("KEYDESK_TEST_POSTGRES_URL") else {
        eprintln!(
            "instances: SKIPPED: set KEYDESK_TEST_POSTGRES_URL (scripts/postgres.sh prints one; scripts/test.sh sets it)"
        );
        return;
    };
    let database = FreshDatabase::create(&base, "keydesk_instances").await;
    let database_url = database.url().to_string();

    // A tenant with USERS disabled cloud accounts and some latency, so the job takes seconds.
    let DisabledUsers {
        emulator,
        running,
        targets,
        audits_before,
        mut env,
    } = DisabledUsers::start(USERS, 40).await;
    env.push(("KEYDESK_DATABASE_URL".into(), database_url.clone()));

    let mut a = start(&env);
    let b = start(&env);
    assert_ne!(a.worker, b.worker);
    let http = reqwest::Client::new();
    let domain = emulator.domain();
    let megan = session(&format!("MeganB@{domain}"));
    let patti = session(&format!("PattiF@{domain}"));
    let job_request = json!({"kind": "bulk_unlock", "users": targets});

    // MeganB submits on A: the list needs a second approver's approval first.
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v1/jobs", a.url),
        &megan,
        Some(job_request.clone()),
    )
    .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["status"], "pending_approval", "{body}");
    let approval = body["approval"]["id"].as_str().expect("an id").to_string();

    // Not by herself; PattiF approves on B (the approval lives in the shared database).
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v1/approvals/{approval}/approve", b.url),
        &megan,
        None,
    )
    .await;
    assert_eq!(status, 422, "four eyes: {body}");
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v1/approvals/{approval}/approve", b.url),
        &patti,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // The same request on A now queues the job.
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v1/jobs", a.url),
        &megan,
        Some(job_request.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let job = body["job"]["id"].as_str().expect("a job id").to_string();
    assert_eq!(body["job"]["approval"], approval.as_str());
    assert_eq!(body["job"]["total"], USERS);
    // Submitting it again while it runs answers with the same job.
    let (status, body) = call(
        &http,
        reqwest::Method::POST,
        &format!("{}/api/v1/jobs", b.url),
        &megan,
        Some(job_request.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["job"]["id"], job.as_str());
    // Employees see no jobs.
    let adele = session(&format!("AdeleV@{domain}"));
    let (status, _) = call(
        &http,
        reqwest::Method::GET,
        &format!("{}/api/v1/jobs/{job}", b.url),
        &adele,
        None,
    )
    .await;
    assert_eq!(status, 403);

    // Kill A with SIGKILL once some items are done and while A holds items, preferably right
    // after it wrote the audit intent for one of them (mid-change). A is frozen (SIGSTOP) while
    // its state is read, so what it holds cannot change between the reading and the kill.
    let audit = keydesk_audit::open(&database_url)
        .await
        .expect("the audit log opens");
    let started = Instant::now();
    let (held_by_a, killed_mid_change) = loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the job never got going"
        );
        signal(&a.child, "-STOP");
        let (status, body) = call(
            &http,
            reqwest::Method::GET,
            &format!("{}/api/v1/jobs/{job}", b.url),
            &megan,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let items = body["items"].as_array().cloned().unwrap_or_default();
        let finished = items
            .iter()
            .filter(|i| !matches!(i["status"].as_str(), Some("queued" | "running")))
            .count();
        assert!(
            finished < USERS,
            "the job finished before an instance could be killed: {body}"
        );
        let held: Vec<String> = items
            .iter()
            .filter(|i| i["status"] == "running" && i["claimedBy"] == a.worker.as_str())
            .filter_map(|i| i["input"].as_str().map(str::to_string))
            .collect();
        let mid_change = if held.is_empty() {
            false
        } else {
            let mut open: BTreeMap<uuid::Uuid, String> = BTreeMap::new();
            for record in all_records(audit.as_ref()).await {
                match record.event.kind {
                    keydesk_audit::EventKind::Intent => {
                        open.insert(
                            record.id,
                            record
                                .event
                                .target
                                .clone()
                                .unwrap_or_default()
                                .to_lowercase(),
                        );
                    }
                    keydesk_audit::EventKind::Outcome => {
                        if let Some(intent) = record.event.intent_id {
                            open.remove(&intent);
                        }
                    }
                    _ => {}
                }
            }
            open.values().any(|target| held.contains(target))
        };
        // Mid-change if it comes; otherwise while A holds items, before half the job is done.
        if finished >= 6 && !held.is_empty() && (mid_change || finished >= USERS / 2) {
            a.child.kill().expect("SIGKILL");
            let _ = a.child.wait();
            break (held, mid_change);
        }
        signal(&a.child, "-CONT");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    drop(audit);
    eprintln!(
        "killed {} holding {} items{}: {held_by_a:?}",
        a.worker,
        held_by_a.len(),
        if killed_mid_change {
            ", one with its audit intent written and no outcome"
        } else {
            ""
        }
    );

    // The survivor finishes the job, including the dead instance's items.
    let started = Instant::now();
    let body = loop {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the job never finished on the survivor"
        );
        let (status, body) = call(
            &http,
            reqwest::Method::GET,
            &format!("{}/api/v1/jobs/{job}", b.url),
            &megan,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        if body["status"] == "finished" {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let counts = &body["counts"];
    assert_eq!(
        counts["done"].as_u64().unwrap_or(0) + counts["nothing_to_do"].as_u64().unwrap_or(0),
        USERS as u64,
        "every item done or found done: {body}"
    );
    let items = body["items"].as_array().expect("items");
    for input in &held_by_a {
        let item = items
            .iter()
            .find(|i| i["input"] == input.as_str())
            .expect("the item");
        assert_eq!(
            item["claimedBy"],
            b.worker.as_str(),
            "the survivor took {input} over: {item}"
        );
        assert!(item["attempts"].as_i64().unwrap_or(0) >= 2, "{item}");
    }

    // The tenant: everyone enabled, each written exactly once.
    let (enabled, writes) = emulator.with_tenant(|tenant| {
        let enabled = targets
            .iter()
            .filter(|upn| tenant.user(upn).is_ok_and(|u| u.user.account_enabled))
            .count();
        let ids: BTreeMap<String, String> = targets
            .iter()
            .filter_map(|upn| {
                tenant
                    .user(upn)
                    .ok()
                    .map(|u| (u.user.id.clone(), upn.clone()))
            })
            .collect();
        let mut writes: BTreeMap<String, usize> = BTreeMap::new();
        for audit in &tenant.directory_audits[audits_before..] {
            if matches!(
                audit.activity_display_name.as_str(),
                "Update user" | "Enable account"
            ) {
                for target in &audit.target_resources {
                    if let Some(upn) = ids.get(&target.id) {
                        *writes.entry(upn.clone()).or_default() += 1;
                    }
                }
            }
        }
        (enabled, writes)
    });
    assert_eq!(enabled, USERS, "every listed user is enabled");
    for upn in &targets {
        assert_eq!(
            writes.get(upn).copied().unwrap_or(0),
            1,
            "{upn} was written exactly once across both instances"
        );
    }

    // keydesk's records: at most one "done" outcome per user, and the chain verifies.
    let store = keydesk_audit::open(&database_url)
        .await
        .expect("the audit log opens");
    let records = all_records(store.as_ref()).await;
    let mut done: BTreeMap<String, usize> = BTreeMap::new();
    let mut intents: BTreeSet<uuid::Uuid> = BTreeSet::new();
    let mut closed: BTreeSet<uuid::Uuid> = BTreeSet::new();
    for record in &records {
        match record.event.kind {
            keydesk_audit::EventKind::Intent => {
                intents.insert(record.id);
            }
            keydesk_audit::EventKind::Outcome => {
                if let Some(intent) = record.event.intent_id {
                    closed.insert(intent);
                }
                if record
                    .event
                    .outcome
                    .as_ref()
                    .is_some_and(|o| o.status == keydesk_audit::OutcomeStatus::Done)
                {
                    *done
                        .entry(
                            record
                                .event
                                .target
                                .clone()
                                .unwrap_or_default()
                                .to_lowercase(),
                        )
                        .or_default() += 1;
                }
            }
            _ => {}
        }
    }
    for upn in &targets {
        assert!(
            done.get(upn).copied().unwrap_or(0) <= 1,
            "{upn} has more than one done outcome"
        );
    }
    let open: BTreeSet<uuid::Uuid> = intents.difference(&closed).copied().collect();
    eprintln!(
        "job counts {counts}; {} audit records, {} intents left open by the killed instance",
        records.len(),
        open.len()
    );
    let verify_home = tempfile::tempdir().expect("temp dir");
    let verify = Command::new(env!("CARGO_BIN_EXE_keydesk"))
        .args(["audit", "verify", "--json"])
        .env("KEYDESK_HOME", verify_home.path())
        .env("KEYDESK_DATABASE_URL", &database_url)
        .output()
        .expect("verify runs");
    let report: Value = serde_json::from_slice(&verify.stdout).unwrap_or_else(|_| {
        panic!(
            "verify printed JSON: {}",
            String::from_utf8_lossy(&verify.stderr)
        )
    });
    assert_eq!(report["problems"], json!([]), "{report}");
    assert_eq!(
        report["records_checked"].as_u64(),
        Some(records.len() as u64),
        "no record lost"
    );
    let reported: BTreeSet<uuid::Uuid> = report["intents_without_outcome"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|i| serde_json::from_value::<uuid::Uuid>(i["id"].clone()).ok())
        .collect();
    assert_eq!(
        reported, open,
        "exactly the interrupted intents are reported"
    );

    drop(b);
    drop(store);
    running.shutdown().await.expect("shutdown");
    drop(database);
}
