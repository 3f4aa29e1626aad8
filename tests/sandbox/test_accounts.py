"""The sandbox holds accounts like a vendor does: it refuses credentials it does not
hold (the vendor's 401), keeps each account's objects to itself, and reads bulk CSV files
as the email-campaigns doc says."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from reconciler.sandbox.app import build_app

URL = "http://sandbox.invalid"
SMS = {"text": "Promo STOP au 30101", "purpose": "wholesale",
       "recipients": [{"phone_number": "+33612345678"}]}
ENTRY = [{"sender": "+15550001111", "client": "+33612345678", "campaignName": "spring"}]
FORM = "application/x-www-form-urlencoded"


def call(app, *requests):
    async def main():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url=URL) as c:
            return [await c.request(m, p, **kw) for m, p, kw in requests]
    return asyncio.run(main())


# (vendor, good credentials, request(credentials) -> (method, path, kwargs))
CASES = [
    ("email-campaigns", {"token": "tok-a"},
     lambda c: ("GET", "/email/senderid/", {"headers": {"Authorization": f"Token {c['token']}"}})),
    ("scheduled-campaigns", {"api_key": "key-a"},
     lambda c: ("POST", "/campaign", {"headers": {"Authorization": f"Bearer {c['api_key']}",
                                                  "Content-Type": FORM},
                                      "content": "name=S&domain=4&list=12&when=1900000000"})),
    ("octopush", {"api_login": "ops", "api_key": "key-a"},
     lambda c: ("POST", "/v1/public/sms-campaign/send", {
         "headers": {"api-login": c["api_login"], "api-key": c["api_key"]}, "json": SMS})),
    ("connectly", {"business_id": "biz", "api_key": "key-a"},
     lambda c: ("POST", f"/v1/businesses/{c['business_id']}/send/campaigns", {
         "headers": {"X-API-Key": c["api_key"]}, "json": ENTRY})),
]


@pytest.mark.parametrize("vendor, creds, request_of", CASES, ids=[c[0] for c in CASES])
def test_a_wrong_credential_is_the_vendors_401(tmp_path, vendor, creds, request_of):
    app = build_app(tmp_path, [(vendor, creds)])
    wrong = {k: "nope" if k in ("token", "api_key") else v for k, v in creds.items()}
    builtin = dict.fromkeys(creds, "sandbox")
    good, bad, default = call(app, request_of(creds), request_of(wrong), request_of(builtin))
    assert good.status_code in (200, 201), good.text
    assert default.status_code in (200, 201), default.text  # the built-in account
    assert bad.status_code == 401
    assert "nope" not in bad.text and "message" in bad.json()
    if vendor in ("octopush", "connectly"):
        assert isinstance(bad.json()["code"], int)  # the documented error shape


def test_registered_accounts_persist_and_a_new_app_refuses_what_it_was_not_given(tmp_path):
    app = build_app(tmp_path)
    auth = {"headers": {"Authorization": "Token tok-b"}}
    before, added, after = call(app, ("GET", "/email/senderid/", auth), (
        "POST", "/_sandbox/accounts",
        {"json": {"vendor": "email-campaigns", "credentials": {"token": "tok-b"}}}),
        ("GET", "/email/senderid/", auth))
    assert (before.status_code, added.status_code, after.status_code) == (401, 201, 200)
    [again] = call(build_app(tmp_path), ("GET", "/email/senderid/", auth))
    assert again.status_code == 200
    listed, bad = call(app, ("GET", "/_sandbox/accounts", {}), (
        "POST", "/_sandbox/accounts", {"json": {"vendor": "octopush", "credentials": {
            "api_key": "k"}}}))
    assert "tok-b" not in listed.text and len(listed.json()["accounts"]) == 1
    assert bad.status_code == 400 and "api_login" in bad.json()["message"]


def test_accounts_do_not_see_each_others_objects(tmp_path):
    app = build_app(tmp_path, [("email-campaigns", {"token": "tok-a"}),
                               ("scheduled-campaigns", {"api_key": "key-a"})])
    a = {"Authorization": "Token tok-a"}
    b = {"Authorization": "Token sandbox"}
    created, seen_a, seen_b = call(
        app, ("POST", "/email/senderid/", {"headers": a, "json": {
            "description": "News", "email": "news@acme.example"}}),
        ("GET", "/email/senderid/", {"headers": a}), ("GET", "/email/senderid/", {"headers": b}))
    assert created.status_code == 201 and len(seen_a.json()) == 1 and seen_b.json() == []
    sender = created.json()["$_id"]["$oid"]
    [other] = call(app, ("GET", f"/email/senderid/?_id={sender}", {"headers": b}))
    assert other.status_code == 404

    form = {"Content-Type": FORM}
    [made] = call(app, ("POST", "/campaign", {
        "headers": {**form, "Authorization": "Bearer key-a"},
        "content": "name=S&domain=4&list=12&when=1900000000"}))
    path = f"/campaign/{made.json()['id']}"
    got_a, got_b, del_b = call(
        app, ("GET", path, {"headers": {"Authorization": "Bearer key-a"}}),
        ("GET", path, {"headers": {"Authorization": "Bearer sandbox"}}),
        ("DELETE", path, {"headers": {"Authorization": "Bearer sandbox"}}))
    assert (got_a.status_code, got_b.status_code, del_b.status_code) == (200, 404, 404)


def csv(text: str, **fields: str) -> dict:
    return {"headers": {"Authorization": "Token sandbox"}, "data": fields,
            "files": {"csv_file": ("c.csv", text.encode(), "text/csv")}}


def test_bulk_csv_without_a_header_row_never_loses_its_first_row(tmp_path):
    app = build_app(tmp_path)
    auth = {"headers": {"Authorization": "Token sandbox"}}
    [group] = call(app, ("POST", "/email/contact/", {**auth, "json": {"tag": "g"}}))
    gid = group.json()["$_id"]["$oid"]
    rows = "Ann,ann@x.com\nBob,bob@x.com\n"
    update, replace, listed, optouts, optlist = call(
        app,
        # The doc: bulk update's file "should contain a header row": refused without one.
        ("POST", f"/email/contact/bulk/update/?_id={gid}",
         csv(rows, name_index="0", email_index="1")),
        # Silent elsewhere: a first row holding an email address is a contact.
        ("POST", f"/email/contact/bulk/replace/?_id={gid}",
         csv(rows, name_index="0", email_index="1")),
        ("GET", f"/email/contact/?_id={gid}", auth),
        ("POST", "/email/optout/bulk/add/", csv("gone@x.com\nleft@x.com\n")),
        ("GET", "/email/optout/", auth))
    assert update.status_code == 400 and "header row" in update.json()["message"]
    assert replace.status_code == 200
    assert [c["email"] for c in listed.json()["contacts"]] == ["ann@x.com", "bob@x.com"]
    assert optouts.status_code == 200
    assert sorted(o["email"] for o in optlist.json()) == ["gone@x.com", "left@x.com"]
    # With a header row, as the client writes them, the header is not a contact.
    [with_header] = call(app, ("POST", f"/email/contact/bulk/update/?_id={gid}",
                               csv("name,email\n" + rows, name_index="0", email_index="1")))
    assert with_header.status_code == 200


def test_the_in_process_sandbox_accepts_the_accounts_own_credentials_only(tmp_path):
    from reconciler.sandbox.transport import resolve

    url, transport = resolve("sandbox", tmp_path, "email-campaigns", {"token": "mine"})

    async def main():
        async with httpx.AsyncClient(transport=transport, base_url=url) as c:
            return [(await c.get("/email/senderid/", headers={"Authorization": f"Token {t}"})
                     ).status_code for t in ("mine", "someone-elses")]
    assert asyncio.run(main()) == [200, 401]


def test_two_sandbox_accounts_in_one_workspace_hold_their_own_objects(tmp_path):
    from environments.cli_inprocess import campaignctl

    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "campaignctl.yaml").write_text(
        "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n"
        "  mail-eu: {type: email-campaigns, base_url: sandbox}\n")
    (ws / "senders.yaml").write_text("".join(
        f"---\nkind: Sender\nname: news-{acct}\nprovider: {acct}\n"
        f"spec: {{description: News {acct}, email: news@acme.example}}\n"
        for acct in ("mail", "mail-eu")))
    applied = campaignctl("apply", str(ws), "--auto-approve")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    again = campaignctl("plan", str(ws), "--detailed-exitcode")
    assert again.returncode == 0, again.stdout + again.stderr

    app = build_app(ws / ".campaignctl" / "sandbox",
                    [("email-campaigns", {"token": f"sandbox-{a}"}) for a in ("mail", "mail-eu")])
    seen = call(app, *[("GET", "/email/senderid/", {
        "headers": {"Authorization": f"Token sandbox-{a}"}}) for a in ("mail", "mail-eu")])
    assert [[s["description"] for s in r.json()] for r in seen] == [["News mail"],
                                                                   ["News mail-eu"]]
