//! The loader: both export shapes, records split across read blocks, malformed records skipped,
//! malformed files refused, and no panic on arbitrary input (property test).

use keydesk_investigate::load::{load_hunt_slice, load_sign_ins_slice};
use proptest::prelude::*;

const RECORD: &str = r#"{"id":"a","createdDateTime":"2025-06-01T10:00:00.1234567Z","userPrincipalName":"Ana@Contoso.Example","status":{"errorCode":50126},"ipAddress":"1.2.3.4","location":{"city":"Munich","countryOrRegion":"DE","geoCoordinates":{"latitude":48.1,"longitude":11.5}}}"#;

#[test]
fn both_shapes_load() {
    let bare = format!("[{RECORD}]");
    let (records, stats) = load_sign_ins_slice(bare.as_bytes()).expect("bare array");
    assert_eq!((records.len(), stats.records, stats.skipped), (1, 1, 0));
    assert_eq!(&*records[0].user_principal_name, "ana@contoso.example");
    assert_eq!(records[0].error_code(), 50126);
    assert_eq!(
        records[0].created_date_time.to_rfc3339(),
        "2025-06-01T10:00:00.123Z"
    );
    let page = format!(
        r#"{{"@odata.context":"x","other":[{{"id":"not a record"}}],"value":[{RECORD},{RECORD}],"@odata.nextLink":"y"}}"#
    );
    let (records, stats) = load_sign_ins_slice(page.as_bytes()).expect("page");
    assert_eq!((records.len(), stats.records), (2, 2));
}

#[test]
fn bad_records_are_skipped_and_counted() {
    let text = format!(
        r#"[{RECORD}, {{"id":"b"}}, {{"id":5,"createdDateTime":"2025-06-01T10:00:00Z","status":"weird","location":[1,2],"isInteractive":"true","autonomousSystemNumber":"3320"}}, 7, "x"]"#
    );
    let (records, stats) = load_sign_ins_slice(text.as_bytes()).expect("loads");
    assert_eq!(stats.records, 3);
    assert_eq!(stats.skipped, 1, "the record without a time");
    assert_eq!(records.len(), 2);
    let odd = records
        .iter()
        .find(|r| &*r.id == "5")
        .expect("lenient record");
    assert_eq!(odd.is_interactive, Some(true));
    assert_eq!(odd.autonomous_system_number, Some(3320));
}

#[test]
fn not_an_export_is_refused() {
    for text in [
        "",
        "   ",
        "42",
        "{\"a\":1}",
        "[{\"id\":\"a\"",
        "[] []",
        "{\"value\":[{}]",
    ] {
        assert!(
            load_sign_ins_slice(text.as_bytes()).is_err(),
            "{text:?} must be refused"
        );
    }
    assert!(load_sign_ins_slice(b"[]").is_ok());
    assert!(load_sign_ins_slice(b"{\"value\":[]}").is_ok());
}

#[test]
fn records_spanning_blocks_load() {
    // More than one 8 MiB read block, with escapes and a key split anywhere.
    let record = RECORD.replace(
        "\"ipAddress\"",
        "\"userAgent\":\"a \\\"quoted\\\" \\\\ agent } ] {\",\"ipAddress\"",
    );
    let count = 60_000;
    let mut text = String::from("{\"value\":[");
    for i in 0..count {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&record.replace("\"id\":\"a\"", &format!("\"id\":\"r{i}\"")));
    }
    text.push_str("]}");
    assert!(text.len() > 8 << 20);
    let (records, stats) = load_hunt_slice(text.as_bytes()).expect("loads");
    assert_eq!(
        (records.len(), stats.records, stats.skipped),
        (count, count, 0)
    );
    assert_eq!(
        records[0]
            .user_agent
            .as_deref()
            .map(|u| u.contains("quoted")),
        Some(true)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = load_sign_ins_slice(&bytes);
        let _ = load_hunt_slice(&bytes);
    }

    #[test]
    fn mutated_exports_never_panic(cut in 0usize..600, insert in "[\\[\\]{}\",:\\\\a-z0-9 ]{0,8}") {
        let text = format!("{{\"value\":[{RECORD},{RECORD}]}}");
        let cut = cut.min(text.len());
        let mut mutated = text.as_bytes()[..cut].to_vec();
        mutated.extend_from_slice(insert.as_bytes());
        mutated.extend_from_slice(&text.as_bytes()[cut..]);
        if let Ok((records, stats)) = load_sign_ins_slice(&mutated) {
            prop_assert!(records.len() <= stats.records);
        }
    }
}
