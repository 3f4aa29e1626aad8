"""Invalid manifests, one mistake each, that `campaignctl validate` refuses and the
generated JSON Schemas must refuse too (an editor shows the same problem before anyone
runs a command). Each case is one document added to the valid BASE workspace."""

from __future__ import annotations

CONFIG = """
providers:
  mail: {type: email-campaigns, base_url: sandbox}
  sms: {type: octopush, base_url: sandbox}
  wa: {type: connectly, base_url: sandbox}
  sched: {type: scheduled-campaigns, base_url: sandbox}
"""

BASE = """
kind: Sender
name: news
provider: mail
spec: {email: news@example.com, description: News}
---
kind: Sender
name: sms-from
provider: sms
spec: {sms_id: Acme}
---
kind: Sender
name: wa-from
provider: wa
spec: {phone: "+33612345678"}
---
kind: Message
name: mail-msg
provider: mail
spec: {channel: email, subject: Hello, body: Hi there}
---
kind: Message
name: sms-msg
provider: sms
spec: {channel: sms, text: "Hello! STOP au 36111"}
---
kind: ContactGroup
name: people
provider: mail
spec:
  contacts: [{email: a@example.com}]
---
kind: ContactGroup
name: phones
provider: sms
spec:
  contacts: [{phone: "+33612345678", timezone: Europe/Paris}]
---
kind: ContactGroup
name: wa-people
provider: wa
spec:
  contacts: [{phone: "+33612345679"}]
---
kind: OptOutList
name: stop
provider: mail
spec: {entries: [b@example.com], opt_in: [c@example.com]}
---
kind: Campaign
name: mail-sale
provider: mail
spec:
  message: mail-msg
  sender: news
  contact_groups: [people]
  opt_out_lists: [stop]
  send_at: 2027-03-22T10:00:00-04:00
  timezone: America/New_York
  purpose: transactional
---
kind: Campaign
name: sms-sale
provider: sms
spec:
  message: sms-msg
  sender: sms-from
  contact_groups: [phones]
  send_at: {local: "10:30", date: 2027-03-22}
  octopush: {purpose: alert}
---
kind: Campaign
name: wa-sale
provider: wa
spec:
  sender: wa-from
  contact_groups: [wa-people]
  send_at: 2027-03-22T10:00:00Z
  purpose: transactional
  connectly: {campaign_version: v1}
---
kind: Campaign
name: sched-sale
provider: sched
spec:
  send_at: 2027-03-22T10:00:00+01:00
  purpose: transactional
  scheduled-campaigns: {list: 12, domain: 4}
"""


def _campaign(provider: str, **spec: str) -> str:
    body = "\n".join(f"  {k}: {v}" for k, v in spec.items())
    return f"kind: Campaign\nname: bad\nprovider: {provider}\nspec:\n{body}\n"


MAIL = dict(message="mail-msg", sender="news", contact_groups="[people]",
            send_at="2027-03-22T10:00:00-04:00", timezone="America/New_York",
            purpose="transactional")
SMS = dict(message="sms-msg", sender="sms-from", contact_groups="[phones]",
           send_at="2027-03-22T10:00:00+01:00", octopush="{purpose: alert}")
WA = dict(sender="wa-from", contact_groups="[wa-people]", send_at="now",
          purpose="transactional", connectly="{campaign_version: v1}")
SCHED = dict(send_at="2027-03-22T10:00:00+01:00", purpose="transactional")

#: (case id, the document) -- every one is refused by validate and by the schemas.
INVALID = [
    # Sender
    ("sender-sms-id-too-long", "kind: Sender\nname: bad\nprovider: sms\n"
                               "spec: {sms_id: AcmeMarketing2027}\n"),
    ("sender-sms-id-punctuation", "kind: Sender\nname: bad\nprovider: sms\n"
                                  "spec: {sms_id: Ac-me}\n"),
    ("sender-phone-not-e164", "kind: Sender\nname: bad\nprovider: wa\n"
                              "spec: {phone: '0612345678'}\n"),
    ("sender-bad-email", "kind: Sender\nname: bad\nprovider: mail\n"
                         "spec: {email: news.example.com}\n"),
    ("sender-no-address", "kind: Sender\nname: bad\nprovider: mail\n"
                          "spec: {description: Nobody}\n"),
    ("sender-unknown-field", "kind: Sender\nname: bad\nprovider: mail\n"
                             "spec: {email: x@example.com, colour: red}\n"),
    ("name-with-spaces", "kind: Sender\nname: Spring Sale\nprovider: mail\n"
                         "spec: {email: x@example.com}\n"),
    # OptOutList
    ("optout-bad-entry", "kind: OptOutList\nname: bad\nprovider: mail\n"
                         "spec: {entries: [not-an-address]}\n"),
    ("optout-bad-opt-in", "kind: OptOutList\nname: bad\nprovider: mail\n"
                          "spec: {opt_in: ['someone@']}\n"),
    ("optout-phone-not-e164", "kind: OptOutList\nname: bad\nprovider: sms\n"
                              "spec: {entries: ['(555) 010-9999']}\n"),
    # ContactGroup
    ("contact-bad-email", "kind: ContactGroup\nname: bad\nprovider: mail\n"
                          "spec: {contacts: [{email: ann.example.com}]}\n"),
    ("contact-no-address", "kind: ContactGroup\nname: bad\nprovider: mail\n"
                           "spec: {contacts: [{first_name: Ann}]}\n"),
    ("contact-bad-time-zone", "kind: ContactGroup\nname: bad\nprovider: sms\n"
                              "spec: {contacts: [{phone: '+33612345670', "
                              "timezone: Mars/Olympus_Mons}]}\n"),
    ("contact-phone-not-e164", "kind: ContactGroup\nname: bad\nprovider: sms\n"
                               "spec: {contacts: [{phone: '06 12 34 56 78'}]}\n"),
    # Message
    ("sms-text-over-1224", "kind: Message\nname: bad\nprovider: sms\n"
                           f"spec: {{channel: sms, text: '{'STOP ' * 245}'}}\n"),
    ("sms-empty-text", "kind: Message\nname: bad\nprovider: sms\n"
                       "spec: {channel: sms, text: ''}\n"),
    ("sms-with-subject", "kind: Message\nname: bad\nprovider: sms\n"
                         "spec: {channel: sms, subject: Hi, text: Hello STOP}\n"),
    ("email-without-subject", "kind: Message\nname: bad\nprovider: mail\n"
                              "spec: {channel: email, body: Hi}\n"),
    ("email-without-body", "kind: Message\nname: bad\nprovider: mail\n"
                           "spec: {channel: email, subject: Hi}\n"),
    ("email-body-and-body-file", "kind: Message\nname: bad\nprovider: mail\n"
                                 "spec: {channel: email, subject: Hi, body: Hi, "
                                 "body_file: hi.html}\n"),
    ("email-with-text", "kind: Message\nname: bad\nprovider: mail\n"
                        "spec: {channel: email, subject: Hi, body: Hi, text: Hi}\n"),
    ("message-unknown-channel", "kind: Message\nname: bad\nprovider: mail\n"
                                "spec: {channel: fax, text: Hi}\n"),
    # Campaign (every provider)
    ("send-at-without-offset", _campaign("mail", **{**MAIL, "send_at": "2027-03-22T10:00:00"})),
    ("send-at-date-only", _campaign("sms", **{**SMS, "send_at": "2027-03-22"})),
    ("send-at-unix-time-as-text", _campaign("sms", **{**SMS, "send_at": "'1805000000'"})),
    ("send-at-not-a-time", _campaign("sms", **{**SMS, "send_at": "tomorrow"})),
    ("send-at-local-hour-25", _campaign("sms", **{**SMS, "send_at":
                                                  '{local: "25:00", date: 2027-03-22}'})),
    ("bad-time-zone", _campaign("mail", **{**MAIL, "timezone": "Europe/Pariss"})),
    ("unknown-state", _campaign("mail", **{**MAIL, "state": "launched"})),
    ("unknown-purpose", _campaign("mail", **{**MAIL, "purpose": "promo"})),
    ("octopush-without-purpose", _campaign("sms", **{**SMS, "octopush": "{type: sms_premium}"})),
    ("octopush-batch-too-small", _campaign("sms", **{**SMS, "octopush":
                                                     "{purpose: alert, batch_size: 100}"})),
    ("octopush-unknown-route", _campaign("sms", **{**SMS, "octopush":
                                                   "{purpose: alert, type: sms_cheap}"})),
    ("connectly-without-version", _campaign("wa", **{**WA, "connectly": "{batch_size: 10}"})),
    ("connectly-batch-too-big", _campaign("wa", **{**WA, "connectly":
                                                   "{campaign_version: v1, batch_size: 5000}"})),
    ("scheduled-list-as-text", _campaign("sched", **{**SCHED, "scheduled-campaigns":
                                                     "{list: '12', domain: 4}"})),
    ("scheduled-without-domain", _campaign("sched", **{**SCHED, "scheduled-campaigns":
                                                       "{list: 12}"})),
    ("scheduled-callback-not-http", _campaign("sched", **{
        **SCHED, "scheduled-campaigns": "{list: 12, domain: 4, "
                                        "event_callback: 'ftp://hooks.example.com/cb'}"})),
    ("ignore-changes-unknown-field", _campaign("mail", **MAIL)
     + "lifecycle: {ignore_changes: [colour]}\n"),
]

#: campaignctl.yaml mistakes: (case id, the file) -- refused by validate and by its schema.
INVALID_CONFIGS = [
    ("unknown-provider-type", "providers:\n  mail: {type: mailchimp, base_url: sandbox}\n"),
    ("literal-token", "providers:\n  mail: {type: email-campaigns, "
                      "base_url: 'https://mail.example.com', token: s3cr3t}\n"),
    ("literal-api-key-in-environment",
     "providers:\n  sms: {type: octopush}\nenvironments:\n  prod:\n    providers:\n"
     "      sms: {base_url: 'https://o.example.com', api_login: '${L}', api_key: abc123}\n"),
    ("literal-business-id", "providers:\n  wa: {type: connectly, base_url: sandbox, "
                            "business_id: acme}\n"),
    ("dsn-with-password", "providers: {}\nstate: {backend: postgres, "
                          "dsn: 'postgresql://app:hunter2@db/campaigns'}\n"),
    ("base-url-not-a-url", "providers:\n  mail: {type: email-campaigns, base_url: mail.example}\n"),
    ("setting-of-another-vendor", "providers:\n  mail: {type: email-campaigns, base_url: sandbox,"
                                  " sms_prices: {FR: 0.05}}\n"),
    ("sms-price-for-no-country", "providers:\n  sms: {type: octopush, base_url: sandbox, "
                                 "sms_prices: {XX: 0.05}}\n"),
    ("timeout-zero", "providers:\n  mail: {type: email-campaigns, base_url: sandbox, timeout: 0}\n"),
    ("safety-over-100-percent", "providers: {}\nsafety: {max_delete_percent: 150}\n"),
    ("unknown-state-backend", "providers: {}\nstate: {backend: mysql}\n"),
    ("unknown-top-level-key", "providers: {}\nprovider: {}\n"),
    ("unknown-environment-setting", "providers: {}\nenvironments:\n  prod: {safty: {}}\n"),
]
