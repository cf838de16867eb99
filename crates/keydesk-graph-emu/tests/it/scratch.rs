use crate::harness::*;
#[tokio::test]
async fn dump() {
    let emu = Emu::start().await;
    let mut out = String::new();
    for path in [
        "/users/AlexW@contoso.onmicrosoft.com",
        "/users/AlexW@contoso.onmicrosoft.com?$select=accountEnabled,onPremisesSyncEnabled,signInActivity",
        "/groups?$select=displayName,groupTypes,securityEnabled,mailEnabled,onPremisesSyncEnabled,resourceProvisioningOptions",
        "/directoryRoles",
        "/servicePrincipals?$select=displayName,appId,verifiedPublisher,appOwnerOrganizationId,publisherName",
        "/users/TomB@contoso.onmicrosoft.com/authentication/methods",
        "/users/JohannaL@contoso.onmicrosoft.com/authentication/methods",
        "/identityProtection/riskyUsers",
        "/oauth2PermissionGrants",
        "/auditLogs/directoryAudits?$top=5",
        "/auditLogs/signIns?$top=3",
    ] {
        let r = emu.get(path).await;
        out.push_str(&format!("== {path} {}\n{}\n", r.status, serde_json::to_string_pretty(&r.body).unwrap()));
    }
    for local in ["AlexW", "JohannaL", "DiegoS"] {
        let s = emu.sign_ins_of(local).await;
        out.push_str(&format!("== signins {local} {}\n", s.len()));
        for x in s.iter().take(40) {
            out.push_str(&format!("{} {} {} {} {} {:?} {}\n", x["createdDateTime"], x["status"]["errorCode"], x["ipAddress"], x["location"]["countryOrRegion"], x["appDisplayName"], x["deviceDetail"]["operatingSystem"], x["deviceDetail"]["browser"]));
        }
    }
    std::fs::write("/tmp/dump.txt", out).unwrap();
}
