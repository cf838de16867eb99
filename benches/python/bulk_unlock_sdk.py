"""The baseline for keydesk's bulk-unlock benchmark: a plain sequential script written with
Microsoft's Python Graph SDK (msgraph-sdk), doing the same job per user as keydesk: read the
user, re-enable the account, read it back to verify.

Usage: bulk_unlock_sdk.py BASE_URL TENANT_ID CLIENT_ID CLIENT_SECRET USERS_FILE
Prints one JSON object: {"users": N, "seconds": S, "verified": V}.
"""
import asyncio
import json
import sys
import time

import httpx
from kiota_abstractions.authentication import (AccessTokenProvider, AllowedHostsValidator,
                                               BaseBearerTokenAuthenticationProvider)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.user import User
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder


class StaticToken(AccessTokenProvider):
    def __init__(self, token, hosts):
        self._token, self._validator = token, AllowedHostsValidator(hosts)

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self._token if self._validator.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self):
        return self._validator


async def main(base, tenant, client_id, secret, users_file):
    token = httpx.post(f"{base}/{tenant}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        "scope": "https://graph.microsoft.com/.default"}).json()["access_token"]
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token, ["127.0.0.1"])))
    adapter.base_url = f"{base}/v1.0"
    client = GraphServiceClient(request_adapter=adapter)
    users = [line.strip() for line in open(users_file) if line.strip()]
    select = RequestConfiguration(query_parameters=UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
        select=["id", "accountEnabled", "onPremisesSyncEnabled"]))
    verified = 0
    started = time.monotonic()
    for upn in users:
        user = await client.users.by_user_id(upn).get(request_configuration=select)
        if user.account_enabled is False and not user.on_premises_sync_enabled:
            await client.users.by_user_id(user.id).patch(User(account_enabled=True))
        check = await client.users.by_user_id(user.id).get(request_configuration=select)
        verified += check.account_enabled is True
    print(json.dumps({"users": len(users), "seconds": time.monotonic() - started, "verified": verified}))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
