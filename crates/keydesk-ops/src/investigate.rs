//! Investigating a possibly compromised account through the guard: the policy decides who may
//! read a user's security evidence (`investigate_compromise`), the evidence is collected
//! through Graph and preserved as a snapshot file whose SHA-256 goes into the audit log before
//! anything can change, and the detections and verdict come from keydesk-investigate.
//! Containment ([`crate::contain`]) is a separate, separately authorized change.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use keydesk_guard::{Authorization, Completion, Guard, PlannedChange, Request};
use keydesk_investigate::output::EvidenceRef;
use keydesk_investigate::{
    CollectOptions, Config, Evidence, EvidenceSnapshot, Investigation, Timestamp, Window,
};
use keydesk_policy::Action;
use serde_json::json;

use crate::guarded::{Actor, guard_error};
use crate::{Error, Ops, Result, facts, resolve};

/// What an investigation found, and where its evidence is.
#[derive(Debug)]
pub struct Investigated {
    /// The user's UPN (lower case).
    pub upn: String,
    /// The evidence as collected.
    pub snapshot: EvidenceSnapshot,
    /// The typed evidence.
    pub evidence: Evidence,
    /// Findings and verdict.
    pub investigation: Investigation,
    /// The snapshot file and its SHA-256.
    pub evidence_ref: EvidenceRef,
    /// The audit record of the preserved evidence (its sequence number).
    pub evidence_record: i64,
}

/// Collects, preserves and investigates `query`'s evidence for `window` (ending at `now`),
/// writing the snapshot into `evidence_dir`.
pub async fn investigate(
    ops: &Ops,
    guard: &Guard,
    actor: &Actor,
    query: &str,
    window: Window,
    evidence_dir: &Path,
    config: &Config,
) -> Result<Investigated> {
    let user = resolve::user(&ops.graph, query).await?;
    let upn = resolve::upn(&user).to_lowercase();
    let days = (window.to.millis() - window.from.millis()) / Timestamp::DAY;
    let request = Request {
        principal: actor.principal.clone(),
        resource: facts::user_resource(ops, &user).await?,
        plan: PlannedChange {
            action: Action::InvestigateCompromise,
            target: Some(upn.clone()),
            summary: format!(
                "collect and preserve {upn}'s sign-ins, risk, methods, directory audits and grants for the last {days} days"
            ),
            steps: vec![(
                "preserve_evidence".into(),
                format!("{} to {}", window.from, window.to),
            )],
        },
        origin: actor.origin,
        on_behalf_of: actor.on_behalf_of.clone(),
        profile_fields: Vec::new(),
    };
    let approved = match guard.authorize(&request).await.map_err(guard_error)? {
        Authorization::Approved(approved) => Arc::new(approved),
        Authorization::Pending { decision, .. } | Authorization::Denied { decision } => {
            return Err(Error::refused(
                keydesk_policy::explain(&decision).trim_end().to_string(),
                "a Security Administrator or Global Administrator investigates compromises",
            ));
        }
    };
    let collected = collect(ops, &user.id, &upn, window, evidence_dir).await;
    let (snapshot, evidence_ref) = match collected {
        Ok(found) => found,
        Err(error) => {
            crate::guarded::complete(guard, approved, &Err(Error::refused(error.to_string(), "")))
                .await;
            return Err(error);
        }
    };
    // Preserved before anything else happens: the record binds the file's hash to the intent.
    let record = guard
        .record_evidence(
            &approved,
            json!({
                "snapshot": evidence_ref.path,
                "sha256": evidence_ref.sha256,
                "sign_ins": snapshot.sign_ins.len(),
                "queries": snapshot.queries.len(),
                "gaps": snapshot.gaps,
            }),
        )
        .await
        .map_err(guard_error)?;
    let evidence = snapshot.to_evidence();
    let investigation = keydesk_investigate::investigate(&evidence, window, config);
    let approved = match Arc::try_unwrap(approved) {
        Ok(approved) => approved,
        Err(_) => return Err(Error::InvalidInput("the authorization was shared".into())),
    };
    let completion = Completion {
        status: keydesk_audit::OutcomeStatus::Done,
        summary: format!(
            "{upn}: {} ({} findings)",
            investigation.verdict.verdict.as_str(),
            investigation.findings.len()
        ),
        details: json!({
            "verdict": investigation.verdict.verdict.as_str(),
            "findings": investigation.findings.iter().map(|f| f.kind.as_str()).collect::<Vec<_>>(),
            "sha256": evidence_ref.sha256,
        }),
        graph_request_ids: Vec::new(),
    };
    if let Err(error) = guard.complete(approved, completion).await {
        tracing::error!(%error, "the investigation's outcome could not be recorded");
    }
    Ok(Investigated {
        upn,
        snapshot,
        evidence,
        investigation,
        evidence_ref,
        evidence_record: record.seq,
    })
}

async fn collect(
    ops: &Ops,
    user_id: &str,
    upn: &str,
    window: Window,
    evidence_dir: &Path,
) -> Result<(EvidenceSnapshot, EvidenceRef)> {
    let snapshot = keydesk_investigate::collect_evidence(
        &ops.graph,
        user_id,
        &CollectOptions::for_window(window),
        window.to,
    )
    .await
    .map_err(|e| Error::refused(format!("collecting the evidence failed: {e}"), "try again"))?;
    std::fs::create_dir_all(evidence_dir).map_err(|e| {
        Error::refused(
            format!("cannot create {}: {e}", evidence_dir.display()),
            "check the data directory",
        )
    })?;
    let path = snapshot_path(evidence_dir, upn);
    let sha256 = keydesk_investigate::write_snapshot(&path, &snapshot).map_err(|e| {
        Error::refused(
            format!("the evidence snapshot could not be written: {e}"),
            "nothing was changed; check the data directory",
        )
    })?;
    Ok((
        snapshot,
        EvidenceRef {
            path: path.display().to_string(),
            sha256,
        },
    ))
}

/// `evidence/<upn>-<UTC time>.json`, never an existing file.
fn snapshot_path(dir: &Path, upn: &str) -> PathBuf {
    let stamp = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
        .replace([':', '.'], "");
    let safe: String = upn
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '@' || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut path = dir.join(format!("{safe}-{stamp}.json"));
    let mut n = 1;
    while path.exists() {
        n += 1;
        path = dir.join(format!("{safe}-{stamp}-{n}.json"));
    }
    path
}
