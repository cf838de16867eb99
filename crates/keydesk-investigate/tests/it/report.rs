//! The report: hostile data is escaped in HTML and Markdown, the HTML is self-contained, and the
//! JSON carries the verdict, findings and actions.

use keydesk_investigate::model::{Evidence, Location, SignIn, Status};
use keydesk_investigate::report::{ActionTaken, ReportInput, build, render_html, render_markdown};
use keydesk_investigate::{Config, Timestamp, Window, investigate};

fn hostile_evidence() -> Evidence {
    let mut evidence = Evidence::default();
    evidence.user.user_principal_name = "eve@contoso.example".to_owned();
    let evil = "<script>alert(1)</script>|**x**";
    for k in 0..12 {
        evidence.sign_ins.push(SignIn {
            id: format!("id-{k}-{evil}").into(),
            created_date_time: Timestamp(1_748_800_000_000 + k * 20_000),
            user_principal_name: "eve@contoso.example".into(),
            ip_address: Some("203.0.113.9".into()),
            user_agent: Some(format!("python-requests {evil}").into()),
            app_display_name: Some(evil.into()),
            location: Location {
                city: Some(evil.into()),
                country_or_region: Some("XX".into()),
                ..Location::default()
            },
            status: Status {
                error_code: Some(50126),
                ..Status::default()
            },
            ..SignIn::default()
        });
    }
    evidence
}

#[test]
fn hostile_input_is_escaped() {
    let evidence = hostile_evidence();
    let window = Window::last_days(Timestamp(1_748_900_000_000), 3);
    let result = investigate(&evidence, window, &Config::standard());
    assert!(!result.findings.is_empty());
    let actions = [ActionTaken {
        at: window.to,
        action: "revoke_sessions".to_owned(),
        target: "<b>eve</b>".to_owned(),
        operator: "megan".to_owned(),
        result: "succeeded".to_owned(),
        audit_record: "seq 42 / sha256 ab12".to_owned(),
    }];
    let input = ReportInput {
        case_id: "<case>",
        generated_at: window.to,
        investigation: &result,
        evidence: &evidence,
        plan: None,
        actions: &actions,
        evidence_files: &[],
    };
    let html = render_html(&input);
    assert!(!html.contains("<script"), "script tag escaped");
    assert!(!html.contains("<b>eve"));
    assert!(html.contains("&lt;script&gt;"));
    for external in ["http://", "https://", "src=", "<link", "@import"] {
        let allowed = external == "http://"
            && html.matches(external).count() == html.matches("http://www.w3.org/2000/svg").count();
        assert!(
            !html.contains(external) || allowed,
            "external reference {external}"
        );
    }
    let md = render_markdown(&input);
    assert!(!md.contains("<script"));
    assert!(
        md.contains("\\|\\*\\*x\\*\\*"),
        "pipes and emphasis escaped"
    );
    let report = build(&input);
    assert_eq!(report.actions.len(), 1);
    let json = serde_json::to_value(&report).expect("serializes");
    assert_eq!(json["verdict"]["verdict"], result.verdict.verdict.as_str());
    assert_eq!(json["actions"][0]["audit_record"], "seq 42 / sha256 ab12");
}

#[test]
fn investigate_json_shape() {
    let evidence = hostile_evidence();
    let window = Window::last_days(Timestamp(1_748_900_000_000), 3);
    let result = investigate(&evidence, window, &Config::standard());
    let output = keydesk_investigate::InvestigateOutput::new(&result, Vec::new(), None);
    let json = serde_json::to_value(&output).expect("json");
    assert_eq!(json["user"], "eve@contoso.example");
    assert!(
        json["window"]["from"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(json["verdict"].is_string());
    let first = &json["findings"][0];
    for key in ["kind", "severity", "summary", "signins"] {
        assert!(first.get(key).is_some(), "finding has {key}: {first}");
    }
}
