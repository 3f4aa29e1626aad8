"""A day of pull requests on one campaign repository (git branches of one repository, one
PostgreSQL state, the vendors on the sandbox over real HTTP), as the generated workflows run
it: each pull request's plan job saves a reviewed plan; on merge, the apply job applies that
file on the merged main.

- A and B are planned from the same main. A is merged; B's plan on that main (A merged, not
  applied) is refused: A's change is named as not yet applied.
- A's reviewed plan is applied; B is merged; B's reviewed plan applies on the merged main,
  with B's writes only (counted at the sandbox).
- C is planned; D, which changes the CSV of the group C's campaign sends to, is merged and
  applied first; C's reviewed plan is then refused, naming the action and the file.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
from conftest import (
    EXAMPLE_ENV,
    EXAMPLE_IDS,
    EXAMPLE_SECRETS,
    example_on_real_accounts,
    run_cli,
    sandbox_accounts,
)

TOKEN = "mail-token-day-of-prs"

SUMMER_SALE = """\
kind: Campaign
name: summer-sale
provider: mail
spec:
  title: Summer sale 2027
  message: spring-sale-email
  sender: newsletter
  contact_groups: [newsletter-subscribers]
  opt_out_lists: [unsubscribed]
  send_at: 2027-06-01T09:00:00-04:00
  timezone: America/New_York
"""

SUPPORT = """\
kind: Sender
name: support
provider: mail
spec:
  description: Acme Support
  email: support@acme.example
---
kind: ContactGroup
name: beta-testers
provider: mail
spec:
  title: Beta testers
  contacts:
    - {email: bea@example.com, first_name: Bea}
    - {email: ben@example.com, first_name: Ben}
"""

AUTUMN_SALE = SUMMER_SALE.replace("summer-sale", "autumn-sale").replace(
    "Summer sale", "Autumn sale").replace("2027-06-01", "2027-09-01")


def git(repo: Path, *args: str) -> str:
    r = subprocess.run(["git", "-c", "user.name=Dev", "-c", "user.email=dev@acme.example",
                        "-c", "init.defaultBranch=main", *args], cwd=repo,
                       capture_output=True, text=True, check=True)
    return r.stdout


class Repository:
    """The campaign repository: `campaigns/` at its root, branches per pull request."""

    def __init__(self, root: Path, vendor_url: str):
        self.root = root / "origin"
        self.root.mkdir(parents=True)
        git(self.root, "init", "-q")
        example_on_real_accounts(self.root / "campaigns", vendor_url, postgres=True)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-qm", "the example workspace")
        self.checkouts = 0
        self.tmp = root

    def branch(self, name: str, files: dict[str, str], base: str = "main") -> None:
        """A pull request's branch: `files` (path in campaigns/ -> text) committed on it."""
        git(self.root, "checkout", "-q", "-b", name, base)
        for path, text in files.items():
            (self.root / "campaigns" / path).write_text(text)
        git(self.root, "add", "-A")
        git(self.root, "commit", "-qm", f"pull request {name}")
        git(self.root, "checkout", "-q", "main")

    def merge(self, name: str) -> None:
        git(self.root, "merge", "-q", "--no-ff", "-m", f"Merge pull request {name}", name)

    def checkout(self, ref: str) -> Path:
        """A fresh clone at `ref` (what a CI job checks out); returns its workspace."""
        self.checkouts += 1
        clone = self.tmp / f"checkout-{self.checkouts}"
        subprocess.run(["git", "clone", "-q", str(self.root), str(clone)], check=True)
        git(clone, "checkout", "-q", ref)
        return clone / "campaigns"


def test_reviewed_plans_apply_after_other_merges_and_refuse_when_their_inputs_moved(
        tmp_path, sandbox_server, postgres_dsn):
    env = {**dict.fromkeys(EXAMPLE_SECRETS, TOKEN), **EXAMPLE_IDS,
           "CAMPAIGNCTL_STATE_DSN": postgres_dsn, "CAMPAIGNCTL_ENV": EXAMPLE_ENV}

    def cli(*args: str):
        r = run_cli(*args, env=env)
        assert "Traceback" not in r.stderr, r.stderr
        return r

    def writes() -> list[tuple[str, str]]:
        journal = httpx.get(sandbox_server.url + "/_sandbox/requests", timeout=30).json()
        return [(e["method"], e["path"]) for e in journal if e["method"] not in ("GET", "HEAD")]

    def clear_journal() -> None:
        httpx.delete(sandbox_server.url + "/_sandbox/requests", timeout=30)

    def plan_job(ref: str, name: str) -> Path:
        """The pull request's plan job: `plan -o` on its head, the file kept as artifact."""
        saved = tmp_path / f"plan-{name}.json"
        r = cli("plan", str(repo.checkout(ref)), "-o", str(saved), "--detailed-exitcode")
        assert r.returncode == 2, r.stdout + r.stderr
        return saved

    repo = Repository(tmp_path, sandbox_server.url)
    first = repo.checkout("main")
    sandbox_accounts(first, env, EXAMPLE_ENV)
    assert cli("apply", str(first), "--auto-approve").returncode == 0

    repo.branch("pr-a", {"summer.yaml": SUMMER_SALE})
    repo.branch("pr-b", {"support.yaml": SUPPORT})
    plan_a, plan_b = plan_job("pr-a", "a"), plan_job("pr-b", "b")
    reviewed_b = {a["address"] for a in json.loads(plan_b.read_text())["actions"]
                  if a["op"] not in ("warn", "refuse")}
    assert reviewed_b == {"Sender/support", "ContactGroup/beta-testers"}

    # A is merged; B's plan applied before A's is refused, naming A's change.
    repo.merge("pr-a")
    clear_journal()
    r = cli("apply", str(plan_b), "--workspace", str(repo.checkout("main")))
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("Campaign/summer-sale: not yet applied: create (not in the account), merged in "
            "the manifests but not in this plan") in r.stderr, r.stderr
    assert "nothing was changed" in r.stderr and writes() == []

    # A's apply job; then B is merged, and B's reviewed plan applies on the merged main.
    r = cli("apply", str(plan_a), "--workspace", str(repo.checkout("main")))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 done, 0 failed, 0 skipped" in r.stdout
    repo.merge("pr-b")
    clear_journal()
    r = cli("apply", str(plan_b), "--workspace", str(repo.checkout("main")))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 done, 0 failed, 0 skipped" in r.stdout
    # B's two creates: the sender, the group and its contacts; nothing of A's campaign.
    assert writes() == [("POST", "/email/senderid/"), ("POST", "/email/contact/"),
                        ("POST", "/email/contact/bulk/replace/")]
    senders = httpx.get(sandbox_server.url + "/email/senderid/", timeout=30,
                        headers={"Authorization": f"Token {TOKEN}"}).json()
    assert "support@acme.example" in {s["email"] for s in senders}
    r = cli("plan", str(repo.checkout("main")), "--detailed-exitcode")
    assert r.returncode == 0, r.stdout + r.stderr  # main is applied: nothing left

    # C is planned; D grows the group C's campaign sends to, and is merged and applied.
    repo.branch("pr-c", {"autumn.yaml": AUTUMN_SALE})
    plan_c = plan_job("pr-c", "c")
    subscribers = (repo.root / "campaigns" / "subscribers.csv").read_text()
    repo.branch("pr-d", {"subscribers.csv": subscribers + "fay@example.com,Fay,Wong\n"})
    plan_d = plan_job("pr-d", "d")
    repo.merge("pr-d")
    assert cli("apply", str(plan_d), "--workspace", str(repo.checkout("main"))).returncode == 0
    repo.merge("pr-c")
    clear_journal()
    r = cli("apply", str(plan_c), "--workspace", str(repo.checkout("main")))
    assert r.returncode == 1, r.stdout + r.stderr
    assert ("Campaign/autumn-sale: changed inputs since the review: file subscribers.csv"
            in r.stderr), r.stderr
    assert "Campaign/autumn-sale: recipients 5 -> 6 (group grew)" in r.stderr
    assert "the workspace changed since the plan was saved" in r.stderr
    assert writes() == []
