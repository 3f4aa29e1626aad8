"""What the manifest models accept and reject, from the API docs' rules, and property tests:
any YAML the loader is fed ends in a workspace or in clean diagnostics, never an exception."""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import EMAIL_POLICY
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from ruamel.yaml import YAML

from reconciler.contacts import ContactError, normalize_email, normalize_phone, read_csv
from reconciler.kinds.vendor_blocks import spec_model
from reconciler.providers.email_campaigns.timezones import (
    LocalTimeError,
    from_api,
    is_ambiguous,
    to_api,
)
from reconciler.validate import validate_directory

CONFIG = "providers:\n  mail: {type: email-campaigns, base_url: sandbox}\n" + EMAIL_POLICY


def spec(kind: str, **fields):
    return spec_model(kind).model_validate(fields)


def rejected(kind: str, **fields) -> str:
    with pytest.raises(ValidationError) as info:
        spec(kind, **fields)
    return str(info.value)


# -- phones (E.164, phonenumbers) ------------------------------------------------------------

@pytest.mark.parametrize("raw, e164", [
    ("+33612345678", "+33612345678"),
    (" +1 415 555 2671 ", "+14155552671"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phones_in_e164_are_accepted_and_canonical(raw, e164):
    assert normalize_phone(raw) == e164
    assert spec("ContactGroup", contacts=[{"phone": raw}]).contacts[0].phone == e164


@pytest.mark.parametrize("raw, why", [
    ("0612345678", "not in E.164"),
    ("+1555", "not a valid number"),
    ("+999123456789", "invalid phone number"),
    ("+33 abc", "invalid phone number"),
])
def test_phones_not_in_e164_are_rejected(raw, why):
    with pytest.raises(ContactError, match=why):
        normalize_phone(raw)


# -- emails (email-validator, no DNS) ----------------------------------------------------------

@pytest.mark.parametrize("raw, canonical", [
    ("Ada@Example.COM", "ada@example.com"),
    ("  first.last+tag@sub.example.org ", "first.last+tag@sub.example.org"),
    ("a@xn--bcher-kva.example", "a@bücher.example"),
])
def test_emails_are_accepted_case_insensitively(raw, canonical):
    assert normalize_email(raw) == canonical


@pytest.mark.parametrize("raw", ["plainaddress", "a..b@example.com", "a@localhost",
                                 "a@example.invalid", "a b@example.com", "@example.com",
                                 "a@", "x@@example.com"])
def test_bad_emails_are_rejected(raw):
    with pytest.raises(ContactError, match="invalid email"):
        normalize_email(raw)


_local = st.text(alphabet="abcXYZ09._+-!#'\"@ ä", min_size=0, max_size=12)
_domain = st.sampled_from(["example.com", "EXAMPLE.org", "a.b", "localhost", "x..y.com",
                           "bücher.example", "example.invalid", "-bad.com", "ok-1.example",
                           "1.2.3.4", "[1.2.3.4]", "a_b.com", "xn--bcher-kva.example", ""])


@given(_local, _domain)
@settings(max_examples=400, deadline=None)
def test_email_fast_path_agrees_with_email_validator(local, domain):
    """The cached per-domain fast path accepts and rejects exactly what email-validator does."""
    address = f"{local}@{domain}"
    try:
        expected = validate_email(address.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        expected = None
    try:
        got = normalize_email(address)
    except ContactError:
        got = None
    assert got == expected


# -- senders, SMS text -----------------------------------------------------------------------

@pytest.mark.parametrize("sms_id", ["ABC", "Shop2027", "A1B2C3D4E5F"])
def test_sms_sender_of_3_to_11_letters_or_digits(sms_id):
    assert spec("Sender", sms_id=sms_id).sms_id == sms_id


@pytest.mark.parametrize("sms_id", ["AB", "ABCDEFGHIJKL", "Shop-2027", "Café", "My Shop"])
def test_sms_sender_outside_the_rule_is_rejected(sms_id):
    assert "must be 3 to 11 letters or digits" in rejected("Sender", sms_id=sms_id)


def test_sms_text_between_1_and_1224_characters():
    assert spec("Message", channel="sms", text="x" * 1224).text == "x" * 1224
    assert "needs text" in rejected("Message", channel="sms", text="")
    assert "1225 characters; the limit is 1224" in rejected("Message", channel="sms",
                                                            text="x" * 1225)
    assert "`text` is for SMS" in rejected("Message", channel="email", subject="s", body="b",
                                           text="t")


# -- send times and time zones ------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2027-03-20T09:00:00-04:00", "2027-03-20T13:00:00Z",
                                   "2027-03-20 09:00:00+01:00", "now"])
def test_send_at_must_be_aware_or_now(value):
    assert spec("Campaign", send_at=value).send_at is not None


@pytest.mark.parametrize("value, why", [
    ("2027-03-20T09:00:00", "has no UTC offset"),
    ("2027-03-20", "has no UTC offset"),
    ("next tuesday", "is not a time"),
    ("later", "is not a time"),
])
def test_naive_or_unparsable_send_at_is_one_clear_error(value, why):
    message = rejected("Campaign", send_at=value)
    assert why in message
    assert message.count("send_at") == 1


def test_unknown_iana_zone_is_rejected():
    assert "unknown time zone 'Mars/Olympus'" in rejected("Campaign", timezone="Mars/Olympus")


@pytest.mark.parametrize("iana, api", [("America/New_York", "EST5EDT"),
                                       ("America/Chicago", "CST6CDT"),
                                       ("America/Denver", "MST7MDT"),
                                       ("America/Los_Angeles", "PST8PDT")])
def test_email_campaigns_zones_round_trip(iana, api):
    when = datetime(2027, 7, 4, 9, 30, tzinfo=ZoneInfo(iana))
    start = to_api(when, iana)
    assert start == "2027-07-04 09:30"
    assert from_api(start, api) == when
    assert from_api("2027-07-04T09:30:00", api) == when  # ISO with seconds, as some reads give


def test_email_campaigns_start_date_is_local_to_the_zone_whatever_the_offset_written():
    assert to_api(datetime.fromisoformat("2027-03-20T13:00:00+00:00"),
                  "America/New_York") == "2027-03-20 09:00"


def test_ambiguous_local_time_at_dst_end_is_an_error():
    fall_back = datetime.fromisoformat("2027-11-07T01:30:00-04:00")
    assert is_ambiguous(datetime(2027, 11, 7, 1, 30), ZoneInfo("America/New_York"))
    with pytest.raises(LocalTimeError, match="happens twice"):
        to_api(fall_back, "America/New_York")
    with pytest.raises(LocalTimeError, match="to the minute"):
        to_api(datetime.fromisoformat("2027-03-20T09:00:30-04:00"), "America/New_York")


def _validate_campaign(tmp_path: Path, send_at: str, timezone: str) -> list[str]:
    ws = tmp_path / "ws"
    ws.mkdir(exist_ok=True)
    (ws / "campaignctl.yaml").write_text(CONFIG)
    (ws / "m.yaml").write_text(textwrap.dedent(f"""\
        kind: Sender
        name: s
        provider: mail
        spec: {{email: s@example.com}}
        ---
        kind: Message
        name: m
        provider: mail
        spec: {{channel: email, subject: S, body: "B. Acme Inc., 1 Main St, Springfield. Unsubscribe: https://acme.example/u"}}
        ---
        kind: ContactGroup
        name: g
        provider: mail
        spec: {{contacts: [{{email: a@example.com}}]}}
        ---
        kind: Campaign
        name: c
        provider: mail
        spec: {{message: m, sender: s, contact_groups: [g], send_at: "{send_at}",
                timezone: {timezone}}}
        """))
    _, diags = validate_directory(ws)
    return [d.message for d in diags if d.severity == "error"]


@pytest.mark.parametrize("send_at, timezone, error", [
    ("2027-03-20T09:00:00-04:00", "America/New_York", None),
    ("2027-03-14T03:30:00-04:00", "America/New_York", None),  # spring forward: 03:30 EDT
    ("2027-11-07T01:30:00-05:00", "America/Chicago", "happens twice"),
    ("2027-11-07T01:30:00-05:00", "America/New_York", "happens twice"),  # 01:30 EST
    ("2027-03-20T09:00:00+01:00", "Europe/Paris", "not accepted by email-campaigns"),
    ("2027-03-20T09:00:00+00:00", "UTC", "not accepted by email-campaigns"),
])
def test_email_campaigns_time_rules_at_validate_time(tmp_path, send_at, timezone, error):
    errors = _validate_campaign(tmp_path, send_at, timezone)
    if error is None:
        assert errors == []
    else:
        assert len(errors) == 1 and error in errors[0], errors


# -- CSV streaming ---------------------------------------------------------------------------------

def test_csv_is_read_as_a_stream(tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("email\n" + "".join(f"u{i}@example.com\n" for i in range(1000)))
    rows = read_csv(path)
    assert iter(rows) is rows  # a generator, not a list
    first = next(rows)
    assert first[0] == 2 and first[1].email == "u0@example.com"
    rows.close()


def test_csv_header_problems(tmp_path):
    for text, why in [("", "empty CSV"), ("name,age\nx,1\n", "unknown column(s) 'name', 'age'"),
                      ("first_name\nx\n", "needs an `email` or `phone` column")]:
        path = tmp_path / "c.csv"
        path.write_text(text)
        problems = [row for _, row in read_csv(path)]
        assert len(problems) == 1 and why in problems[0].message


# -- property tests: the loader never raises --------------------------------------------------

def _load(tmp_path: Path, text: str):
    (tmp_path / "campaignctl.yaml").write_text(CONFIG)
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
    return validate_directory(tmp_path)


def _assert_clean(ws, diags) -> None:
    for d in diags:
        text = str(d)
        assert text.startswith(str(d.location.path)) and d.message
        assert "Traceback" not in text
    if not [d for d in diags if d.severity == "error"]:
        assert ws is not None


yaml_text = st.lists(st.sampled_from(list("kindmeprovsc:{}[]-,'\"&*!|>#%@`?\n\t  01.\\")
                                      + ["kind: ", "name: ", "spec:", "\n  ", "---\n",
                                        "provider: mail", "Sender", "Campaign",
                                        "ContactGroup", "!!binary", "&a ", "*a",
                                        "<<: ", "\ufeff", "\x00", "é"]),
                     max_size=80).map("".join)


@given(yaml_text)
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_text_never_raises(tmp_path, text):
    try:
        ws, diags = _load(tmp_path, text)
    except UnicodeEncodeError:
        return  # a lone surrogate cannot be written to a file; nothing to load
    _assert_clean(ws, diags)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=20), st.sampled_from(
                        ["now", "2027-03-20T09:00:00", "2027-03-20T09:00:00-04:00", "+33612345678",
                         "a@example.com", "America/New_York", "email", "sms", "mail"]))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(["email", "phone", "text", "file", "contacts", "entries",
                                     "title", "channel", "send_at", "x"]), inner, max_size=4)),
    max_leaves=12)
specs = st.fixed_dictionaries({}, optional={
    "kind": st.one_of(st.sampled_from(["Sender", "OptOutList", "ContactGroup", "Message",
                                       "Campaign", "Other"]), scalars),
    "name": st.one_of(st.sampled_from(["a", "b", "Bad Name", "x" * 70]), scalars),
    "provider": st.one_of(st.just("mail"), scalars),
    "spec": st.one_of(values, st.dictionaries(
        st.sampled_from(["email", "sms_id", "contacts", "entries", "opt_in", "file", "channel",
                         "subject", "body", "text", "message", "sender", "contact_groups",
                         "send_at", "timezone", "state", "octopush", "email-campaigns"]),
        values, max_size=6)),
    "lifecycle": values,
})


@given(st.lists(st.one_of(specs, values), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_structured_manifests_never_raise(tmp_path, docs):
    yaml = YAML()
    import io
    buf = io.StringIO()
    yaml.dump_all(docs, buf)
    ws, diags = _load(tmp_path, buf.getvalue())
    _assert_clean(ws, diags)
