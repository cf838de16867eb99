"""Contract tests: Microsoft's own Python Graph SDK (msgraph-sdk) drives the keydesk emulator.

An independent client: if the emulator's wire format drifted from Graph's (paging links,
polymorphic method types, reference bodies, error envelopes, action responses), these SDK calls
would fail to deserialize or would raise. Covered: paging users with $top and odata_next_link,
reading a user by UPN, PATCH accountEnabled, revokeSignInSessions, authentication methods
(list, typed delete, Temporary Access Pass), dismissing a risky user, group membership by
$ref, filtered sign-ins, JSON batching (the SDK's BatchRequestContent, plus a raw $batch for
dependsOn), and Graph's ODataError for a duplicate member and for a synced user's password.
"""

from __future__ import annotations

import asyncio

import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.audit_logs.sign_ins.sign_ins_request_builder import SignInsRequestBuilder
from msgraph.generated.identity_protection.risky_users.dismiss.dismiss_post_request_body import DismissPostRequestBody
from msgraph.generated.models.microsoft_authenticator_authentication_method import (
    MicrosoftAuthenticatorAuthenticationMethod,
)
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_authentication_method import PasswordAuthenticationMethod
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.phone_authentication_method import PhoneAuthenticationMethod
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.risk_level import RiskLevel
from msgraph.generated.models.risk_state import RiskState
from msgraph.generated.models.temporary_access_pass_authentication_method import (
    TemporaryAccessPassAuthenticationMethod,
)
from msgraph.generated.models.user import User
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

from conftest import upn


def run(coroutine):
    return asyncio.run(coroutine)


def test_pages_through_every_user(emulator):
    async def body():
        client = emulator.client()
        query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(top=50, select=["id", "displayName"])
        page = await client.users.get(request_configuration=RequestConfiguration(query_parameters=query))
        ids, pages = [], 0
        while page is not None:
            pages += 1
            assert len(page.value) <= 50
            ids.extend(user.id for user in page.value)
            if not page.odata_next_link:
                break
            page = await client.users.with_url(page.odata_next_link).get()
        counting = RequestConfiguration()
        counting.headers.add("ConsistencyLevel", "eventual")
        total = await client.users.count.get(request_configuration=counting)
        return ids, pages, total

    ids, pages, total = run(body())
    assert len(ids) == len(set(ids)), "no user twice"
    assert len(ids) == total, f"every user once: {len(ids)} of {total}"
    assert total >= 300 and pages == -(-total // 50)


def test_reads_a_user_by_upn_with_select(emulator):
    async def body():
        client = emulator.client()
        plain = await client.users.by_user_id(upn("AlexW")).get()
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "displayName", "accountEnabled", "department"]
        )
        selected = await client.users.by_user_id(upn("AdeleV")).get(
            request_configuration=RequestConfiguration(query_parameters=query)
        )
        return plain, selected

    plain, selected = run(body())
    assert plain.display_name == "Alex Wilber"
    assert plain.user_principal_name.lower() == upn("AlexW").lower()
    assert plain.account_enabled is None, "accountEnabled is not in the default property set"
    assert selected.account_enabled is False
    assert selected.department == "Sales"


def test_patch_account_enabled_and_revoke_sessions(emulator):
    async def body():
        client = emulator.client()
        user = client.users.by_user_id(upn("LidiaH"))
        await user.patch(User(account_enabled=False))
        query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["accountEnabled", "signInSessionsValidFromDateTime"]
        )
        config = RequestConfiguration(query_parameters=query)
        disabled = await user.get(request_configuration=config)
        revoked = await user.revoke_sign_in_sessions.post()
        after = await user.get(request_configuration=config)
        await user.patch(User(account_enabled=True))
        enabled = await user.get(request_configuration=config)
        return disabled, revoked, after, enabled

    disabled, revoked, after, enabled = run(body())
    assert disabled.account_enabled is False
    assert revoked.value is True
    assert after.sign_in_sessions_valid_from_date_time > disabled.sign_in_sessions_valid_from_date_time
    assert enabled.account_enabled is True


def test_lists_methods_and_deletes_through_typed_collections(emulator):
    async def body():
        client = emulator.client()
        authentication = client.users.by_user_id(upn("TomB")).authentication
        methods = (await authentication.methods.get()).value
        phone = next(m for m in methods if isinstance(m, PhoneAuthenticationMethod))
        authenticator = next(m for m in methods if isinstance(m, MicrosoftAuthenticatorAuthenticationMethod))
        # The default method (the authenticator) goes last: Graph refuses it while others remain.
        with pytest.raises(ODataError) as refused:
            await authentication.microsoft_authenticator_methods.by_microsoft_authenticator_authentication_method_id(
                authenticator.id
            ).delete()
        await authentication.phone_methods.by_phone_authentication_method_id(phone.id).delete()
        await authentication.microsoft_authenticator_methods.by_microsoft_authenticator_authentication_method_id(
            authenticator.id
        ).delete()
        left = (await authentication.methods.get()).value
        return methods, refused.value, left

    methods, refused, left = run(body())
    assert any(isinstance(m, PasswordAuthenticationMethod) for m in methods)
    assert len(methods) == 3
    assert refused.response_status_code == 400
    assert refused.error.code == "badRequest"
    assert len(left) == 1 and isinstance(left[0], PasswordAuthenticationMethod)


def test_creates_a_temporary_access_pass_shown_only_once(emulator):
    async def body():
        client = emulator.client()
        taps = client.users.by_user_id(upn("JoniS")).authentication.temporary_access_pass_methods
        created = await taps.post(TemporaryAccessPassAuthenticationMethod(lifetime_in_minutes=60, is_usable_once=True))
        listed = (await taps.get()).value
        return created, listed

    created, listed = run(body())
    assert created.temporary_access_pass and len(created.temporary_access_pass) >= 8
    assert created.lifetime_in_minutes == 60 and created.is_usable_once is True
    assert [t.id for t in listed] == [created.id]
    assert listed[0].temporary_access_pass is None


def test_dismisses_a_risky_user(emulator):
    async def body():
        client = emulator.client()
        diego = await client.users.by_user_id(upn("DiegoS")).get()
        before = await client.identity_protection.risky_users.by_risky_user_id(diego.id).get()
        await client.identity_protection.risky_users.dismiss.post(DismissPostRequestBody(user_ids=[diego.id]))
        after = await client.identity_protection.risky_users.by_risky_user_id(diego.id).get()
        return before, after

    before, after = run(body())
    assert before.risk_level == RiskLevel.High and before.risk_state == RiskState.AtRisk
    assert after.risk_state == RiskState.Dismissed
    assert after.risk_level == RiskLevel.None_


async def group_and_user(client, group_name: str, local: str):
    from msgraph.generated.groups.groups_request_builder import GroupsRequestBuilder

    query = GroupsRequestBuilder.GroupsRequestBuilderGetQueryParameters(filter=f"displayName eq '{group_name}'")
    groups = await client.groups.get(request_configuration=RequestConfiguration(query_parameters=query))
    assert len(groups.value) == 1
    user = await client.users.by_user_id(upn(local)).get()
    return groups.value[0].id, user.id


def test_adds_and_removes_a_group_member(emulator):
    async def body():
        client = emulator.client()
        group_id, sarah = await group_and_user(client, "Finance-Admins", "SarahL")
        group = client.groups.by_group_id(group_id)
        reference = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{sarah}")
        await group.members.ref.post(reference)
        with_sarah = [m.id for m in (await group.members.get()).value]
        await group.members.by_directory_object_id(sarah).ref.delete()
        without = [m.id for m in (await group.members.get()).value]
        return sarah, with_sarah, without

    sarah, with_sarah, without = run(body())
    assert sarah in with_sarah
    assert sarah not in without


def test_duplicate_member_is_an_odata_error(emulator):
    async def body():
        client = emulator.client()
        group_id, lee = await group_and_user(client, "IT Support", "LeeG")
        reference = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{lee}")
        with pytest.raises(ODataError) as raised:
            await client.groups.by_group_id(group_id).members.ref.post(reference)
        return raised.value

    error = run(body())
    assert error.response_status_code == 400
    assert error.error.code == "Request_BadRequest"
    assert "already exist" in error.error.message
    assert error.error.inner_error is not None


def test_synced_user_password_change_is_an_odata_error(emulator):
    async def body():
        client = emulator.client()
        profile = PasswordProfile(password="Xq9!vT2#pLm", force_change_password_next_sign_in=True)
        with pytest.raises(ODataError) as raised:
            await client.users.by_user_id(upn("GradyA")).patch(User(password_profile=profile))
        return raised.value

    error = run(body())
    assert error.response_status_code == 400
    assert error.error.code == "Request_BadRequest"
    assert "on-premises mastered" in error.error.message


def test_reads_sign_ins_with_a_filter(emulator):
    async def body():
        client = emulator.client()
        query = SignInsRequestBuilder.SignInsRequestBuilderGetQueryParameters(
            filter=f"userPrincipalName eq '{upn('AlexW').lower()}' and status/errorCode eq 50053", top=100
        )
        return await client.audit_logs.sign_ins.get(request_configuration=RequestConfiguration(query_parameters=query))

    page = run(body())
    assert page.value, "AlexW has 50053 sign-ins"
    for sign_in in page.value:
        assert sign_in.status.error_code == 50053
        assert sign_in.user_principal_name == upn("AlexW").lower()
        assert sign_in.ip_address
    dates = [s.created_date_time for s in page.value]
    assert dates == sorted(dates, reverse=True), "newest first"


def test_batch_with_the_sdks_batch_request_content(emulator):
    """The SDK's own batch classes (msgraph-core's BatchRequestContent and client.batch)."""

    async def body():
        client = emulator.client()
        requests = {
            "1": client.users.by_user_id(upn("AlexW")).to_get_request_information(),
            "2": client.users.by_user_id("00000000-0000-0000-0000-000000000000").to_get_request_information(),
            "3": client.groups.to_get_request_information(),
        }
        items = [BatchRequestItem(request_information=info, id=key) for key, info in requests.items()]
        content = BatchRequestContent({item.id: item for item in items})
        return await client.batch.post(batch_request_content=content)

    response = run(body())
    statuses = response.get_response_status_codes()
    assert statuses == {"1": 200, "2": 404, "3": 200}, statuses
    # msgraph-core 1.5.2 reads item bodies with get_bytes_value() (base64 only), so JSON item bodies
    # (Graph's and the emulator's) come back as None and response_body() cannot parse them: the
    # SDK check stops at statuses and headers; the bodies are checked in the raw $batch test.
    first = response.get_response_by_id("1")
    assert first.headers and "json" in first.content_type


def test_batch_depends_on_with_a_raw_request(emulator):
    """dependsOn through plain HTTP: msgraph-core serializes it as "depends_on", which Graph ignores."""
    with emulator.raw() as http:
        lidia = http.get(f"/users/{upn('LidiaH')}").json()["id"]
        batch = {
            "requests": [
                {"id": "1", "method": "GET", "url": "/users/00000000-0000-0000-0000-000000000000"},
                {"id": "2", "dependsOn": ["1"], "method": "POST", "url": f"/users/{lidia}/revokeSignInSessions",
                 "headers": {"Content-Type": "application/json"}, "body": {}},
                {"id": "3", "method": "PATCH", "url": f"/users/{lidia}",
                 "headers": {"Content-Type": "application/json"}, "body": {"jobTitle": "Staff Engineer"}},
                {"id": "4", "dependsOn": ["3"], "method": "GET", "url": f"/users/{lidia}?$select=jobTitle"},
            ]
        }
        answer = http.post("/$batch", json=batch)
    assert answer.status_code == 200, answer.text
    items = {item["id"]: item for item in answer.json()["responses"]}
    assert items["1"]["status"] == 404
    assert items["2"]["status"] == 424
    assert items["3"]["status"] == 204
    assert items["4"]["status"] == 200 and items["4"]["body"]["jobTitle"] == "Staff Engineer"
