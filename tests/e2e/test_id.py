"""The ID client against the real server: a storefront's token round trip and anonymous sign-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from omneo import ID, AsyncID, AuthenticationError, NotFoundError, Omneo, PermissionDeniedError, ValidationError
from omneo.shopify import customer_signature, storage_key, verify_customer_signature
from tests.conftest import TenantInfo

SHOPIFY_CUSTOMER = "820982911946154508"


def id_url(tenant: TenantInfo) -> str:
    return f"{tenant.server.url}/id/api/v1"


def sale(total: str, **extra: object) -> dict[str, object]:
    return {
        "transacted_at": "2025-06-15 14:32:00",
        "timezone": "Australia/Melbourne",
        "total": total,
        "items": [{"name": "Linen Shirt", "quantity": 1, "price_current": total, "price_sell": total}],
        **extra,
    }


def test_a_storefront_session(client: Omneo, tenant: TenantInfo) -> None:
    customer = client.profiles.create(
        {"email": "shopper@example.com", "identities": [{"handle": "shopify", "identifier": SHOPIFY_CUSTOMER}]}
    )
    client.transactions.create(sale("120.00", profile_id=customer.id))
    client.transactions.create(sale("30.00", profile_id=customer.id, transacted_at="2025-07-01 09:00:00"))
    client.reward_definitions.create(
        {
            "name": "Welcome",
            "handle": "welcome",
            "value": "15",
            "type": "activation",
            "period": 30,
            "absolute_expiry": None,
        }
    )
    client.rewards.create({"profile_id": customer.id, "reward_definition_handle": "welcome"})

    # server side: the storefront backend mints a token for the logged-in Shopify customer
    with ID(tenant=tenant.handle, omneo_api_token=tenant.token, base_url=id_url(tenant), max_retries=0) as backend:
        minted = backend.auth.request_auth_token(id=SHOPIFY_CUSTOMER, id_handle="shopify")
    assert minted.token and minted.exp is not None

    # browser side: only the ID token
    with ID(
        tenant=tenant.handle, id_token=minted.token, id_token_expiry=minted.exp, base_url=id_url(tenant), max_retries=0
    ) as me:
        assert me.auth.get_profile_id() == customer.id and not me.auth.is_token_expired()
        profile = me.profile.get()
        assert profile.id == customer.id and profile.email == "shopper@example.com"
        assert me.profile.update({"first_name": "Shelly"}).first_name == "Shelly"

        comms = me.profile.subscribe("email")
        assert comms is not None and comms.email_promo is True and comms.email_optout is False
        assert me.profile.is_subscribed(me.profile.attributes.comms.get(), "email")
        me.profile.unsubscribe("sms", toggle_opt_out=True)
        assert me.profile.attributes.comms.get().sms_optout is True

        transactions = me.profile.transactions.list()
        assert [tx.total for tx in transactions] == [Decimal("30.00"), Decimal("120.00")]
        assert me.profile.transactions.get(transactions.data[0].id).profile_id == customer.id
        aggregations = me.profile.aggregations.list()
        assert aggregations.spend_all == Decimal("150.00") and aggregations.shop_count == 2

        address = me.profile.addresses.create(
            {"address_line_1": "1 Shop St", "city": "Melbourne", "postcode": "3000", "country": "AU"}
        )
        assert [a.id for a in me.profile.addresses.list()] == [address.id]
        identity = me.profile.identities.get("shopify")
        assert identity.identifier == SHOPIFY_CUSTOMER

        # rewards and balances, and redeeming part of them
        assert [r.value_remaining for r in me.profile.rewards.list()] == [Decimal("15.00")]
        assert me.profile.balances.get().reward_balance == Decimal("15.00")
        redeemed = me.profile.redeem(Decimal("5"))
        assert redeemed.total == Decimal("5.00") and redeemed.balances is not None
        assert redeemed.balances.reward_balance == Decimal("10.00")
        assert [e.dollar_value for e in me.profile.ledgers.list().data] == [Decimal("-5.00"), Decimal("15.00")]
        assert me.profile.redemptions.list().data[0].total == Decimal("5.00")

        # the same exception classes as the admin client; what id-api.md does not list is a plain 404
        with pytest.raises(NotFoundError) as missing:
            me.call("GET", "/profiles/me/rewards/definitions/secret")
        assert missing.value.body["message"]
        with pytest.raises(PermissionDeniedError):
            me.call("POST", "/profiles/me/tiers/assign", body={"tier": "gold"})
        with pytest.raises(ValidationError):
            me.profile.update({"profile_id": "someone-else"})
        with pytest.raises(PermissionDeniedError):
            me.profile.create({"email": "second@example.com"})

        me.reset()
        assert me.id_token == "" and me.auth.is_token_expired() and me.auth.get_profile_id() is None
        with pytest.raises(AuthenticationError):
            me.profile.get()
    assert client.profiles.get(customer.id).first_name == "Shelly"


def test_anonymous_sign_up_then_a_profile_token(client: Omneo, tenant: TenantInfo) -> None:
    backend = ID(tenant=tenant.handle, omneo_api_token=tenant.token, base_url=id_url(tenant), max_retries=0)
    anonymous = backend.auth.request_auth_token()
    visitor = ID(tenant=tenant.handle, id_token=anonymous.token, base_url=id_url(tenant), max_retries=0)
    assert visitor.auth.get_profile_id() == "null"
    with pytest.raises(NotFoundError):
        visitor.profile.get()

    created = visitor.profile.create(
        {"email": "newbie@example.com", "first_name": "Nina", "comms_attributes": {"email_promo": True}}
    )
    assert created.id and created.first_name == "Nina"
    # signing up again with the same email only fills comms never set, and reveals nothing stored
    again = visitor.profile.create(
        {"email": "NEWBIE@example.com", "first_name": "Other", "comms_attributes": {"sms_promo": True}}
    )
    assert again.id is None and again.first_name is None
    stored = client.profiles.get(created.id)
    assert stored.first_name == "Nina" and stored.attributes is not None

    # the backend then mints a profile token for the new customer
    fresh = backend.auth.request_auth_token(id=created.id)
    assert backend.id_token == fresh.token and backend.id_token_expiry == fresh.exp
    assert backend.auth.get_profile_id() == created.id
    assert backend.profile.get().email == "newbie@example.com"
    comms = backend.profile.attributes.comms.get()
    assert comms.email_promo is True and comms.sms_promo is True
    backend.close()
    visitor.close()


async def test_async_id_client(client: Omneo, tenant: TenantInfo) -> None:
    customer = client.profiles.create({"email": "async@example.com"})
    async with AsyncID(
        tenant=tenant.handle, omneo_api_token=tenant.token, base_url=id_url(tenant), max_retries=0
    ) as me:
        await me.auth.request_auth_token(id=customer.id)
        assert me.auth.get_profile_id() == customer.id
        assert (await me.profile.get()).id == customer.id
        page = await me.profile.transactions.list()
        assert page.data == []
        assert (await me.call("GET", "/profiles/me"))["data"]["id"] == customer.id
        with pytest.raises(NotFoundError):
            await me.profile.addresses.get(999999)


def test_shopify_helpers() -> None:
    signature = customer_signature(int(SHOPIFY_CUSTOMER), "hush")
    assert signature == "9015cf86b215416b8a39f01fe8130fb58d39aff17847cd0cca3ec09552ea3c84"
    assert customer_signature(SHOPIFY_CUSTOMER, b"hush") == signature
    assert verify_customer_signature(SHOPIFY_CUSTOMER, signature.upper(), "hush")
    assert not verify_customer_signature(SHOPIFY_CUSTOMER, signature, "other")
    assert storage_key(SHOPIFY_CUSTOMER) == f"shapes:omneo:shapestoken:{SHOPIFY_CUSTOMER}"
