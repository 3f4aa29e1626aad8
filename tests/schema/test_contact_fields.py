"""A contact is the same whether written inline in a manifest or as a CSV row, and a send
carries every personalisation field it has: the contact fields are declared once
(reconciler/contacts.py) and everything else follows them."""

import json

from reconciler.audience import Recipient
from reconciler.contacts import FIELDS, make_contact, read_csv
from reconciler.kinds import ContactEntry
from reconciler.providers.octopush.client import _body

ROW = {"email": "Ann@Example.com", "phone": "+33 6 12 34 56 78", "first_name": "Ann",
       "last_name": "Lee", "param1": "a", "param2": "b", "param3": "c", "param4": "d",
       "param5": "e", "timezone": "Europe/Paris"}


def test_inline_contact_and_csv_row_are_the_same_contact(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(",".join(ROW) + "\n" + ",".join(ROW.values()) + "\n")
    from_csv = [c for _, c in read_csv(path)]
    inline = ContactEntry.model_validate(ROW).contact()
    assert from_csv == [inline] == [make_contact(ROW)]
    assert inline.email == "ann@example.com" and inline.phone == "+33612345678"


def test_the_manifest_schema_lists_the_csv_columns_in_order():
    schema = ContactEntry.model_json_schema()
    assert tuple(schema["properties"]) == FIELDS
    assert schema["additionalProperties"] is False


def test_an_octopush_recipient_carries_every_personalisation_field():
    contact = ContactEntry.model_validate(ROW).contact()
    recipient = {"phone_number": contact.phone, **Recipient(contact.phone, contact).fields()}
    body = _body({"recipients": [recipient], "text": "hi {first_name}"}, frozenset(
        {"recipients", "text"}), "sms")
    sent = json.loads(json.dumps(body))["recipients"][0]
    assert sent == {"phone_number": "+33612345678", "first_name": "Ann", "last_name": "Lee",
                    "param1": "a", "param2": "b", "param3": "c", "param4": "d",
                    "param5": "e"}
