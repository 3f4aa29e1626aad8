"""The report's page: one self-contained HTML document (inline CSS and SVG, no script),
whose Content-Security-Policy forbids every request: nothing is fetched when a reviewer
opens it from a CI artifact, even if a value in the plan slipped past the escaping."""

from __future__ import annotations

from string import Template

#: No script, no connection, no remote style, font or image; frames only from srcdoc.
POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:; "
          "form-action 'none'; base-uri 'none'")

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--ok:#1a7f37;
--okbg:#dafbe1;--bad:#cf222e;--badbg:#ffebe9;--warnbg:#fff8c5;--accent:#0969da}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:var(--fg);
background:var(--bg);margin:0 auto;padding:16px 24px;max-width:1400px}
h1{font-size:22px;margin:0 0 8px}h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid
var(--line);padding-bottom:4px}h3{font-size:16px;margin:0 0 8px}h4{font-size:13px;margin:12px
0 4px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--soft);
padding:1px 4px;border-radius:4px}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:12px ui-monospace,Menlo,Consolas,monospace;
background:var(--soft);padding:8px;border-radius:6px;margin:4px 0}
pre.body{font:14px/1.5 Georgia,serif;background:#fff;border:1px solid var(--line);padding:12px}
pre.sms{font:14px/1.5 -apple-system,Helvetica,Arial,sans-serif;background:#e9f5e9;
border-radius:14px;max-width:420px}
mark{background:#ffd33d;outline:1px solid #bf8700}
table{border-collapse:collapse;margin:4px 0}th,td{border:1px solid var(--line);
padding:3px 8px;text-align:left;vertical-align:top}caption{text-align:left;color:var(--muted);
font-size:12px}table.kv th{background:var(--soft);font-weight:600}
table.grid{width:100%}table.grid tr:nth-child(even){background:var(--soft)}
td.empty{color:var(--bad);font-style:italic}
.muted{color:var(--muted)}.summary{font-size:16px;font-weight:600}
.verdict{background:var(--warnbg);padding:6px 10px;border-radius:6px}
.verdict.ok{background:var(--okbg)}
.alert{border-radius:8px;padding:4px 14px;margin:8px 0;border:1px solid var(--line)}
.alert h2{border:0;margin:8px 0 4px;font-size:16px}
.stop{background:var(--badbg);border-color:var(--bad)}.drift{background:#ddf4ff}
.warn{background:var(--warnbg)}p.warn{padding:4px 8px;border-radius:6px}
article.send{border:1px solid var(--line);border-radius:10px;padding:12px 16px;margin:12px 0;
background:#fff;min-width:0}
.side{display:grid;grid-template-columns:repeat(var(--n),minmax(0,1fr));gap:12px}
.side article.send{margin:0}
section.locales{margin:12px 0;padding:12px;border-radius:10px;background:var(--soft)}
.locale{background:var(--accent);color:#fff;border-radius:10px;padding:0 8px;font-size:12px}
.op{font-size:12px;border:1px solid var(--line);border-radius:10px;padding:0 8px;
font-weight:400}.irrev{font-size:12px;color:var(--bad);font-weight:600}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:4px 0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.tag{background:var(--fg);color:#fff;border-radius:4px;padding:0 6px;font-size:12px}
.cost{font-size:15px;font-weight:600}
iframe.html-body{width:100%;height:360px;border:1px solid var(--line);border-radius:6px;
background:#fff;resize:vertical}
figure.chart{margin:8px 0;overflow-x:auto}
svg.timeline{font:12px -apple-system,Helvetica,Arial,sans-serif;display:block;width:100%;
height:auto;max-width:600px}.side svg.timeline{font-size:17px}
svg .zone{fill:var(--fg)}svg.defs{position:absolute}svg .day{fill:#eaeef2}svg .open{fill:#4ac26b}
svg .none{fill:#b6e3ff}svg .wave line{stroke:#0550ae;stroke-width:2}
svg .wave circle{fill:#0550ae}svg .bad line{stroke:var(--bad);stroke-width:2}
svg .bad circle{fill:var(--bad)}
.legend{font-size:12px;color:var(--muted)}.sw{display:inline-block;width:12px;height:12px;
vertical-align:middle;margin:0 2px 0 10px;border-radius:2px}.sw.open{background:#4ac26b}
.sw.none{background:#b6e3ff}.sw.wave{background:#0550ae}.sw.bad{background:var(--bad)}
details.action{border-bottom:1px solid var(--line);padding:4px 0}
details.action summary{cursor:pointer}
.op-refuse summary,.op-refuse{color:var(--bad)}
"""

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="$policy">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$css</style>
</head>
<body>
$body
</body>
</html>
""")


def page(title: str, body: str) -> str:
    """`title` escaped already; `body` the report's markup."""
    return PAGE.substitute(policy=POLICY, title=title, css=CSS, body=body)
