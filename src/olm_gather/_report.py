"""report.html: the analysis of a gathered tree as one self-contained page, written at the root of the source.

It shows the operators and their verdicts, the findings with relative links to their evidence files, and a
timeline of every gathered event. The page needs nothing else: inline CSS, no script, no font, no image and a
Content-Security-Policy that forbids loading anything, so it opens the same from a customer's tarball on a
laptop with no network. Everything read from the tree is untrusted and goes through `html.escape`; links are
built only from the tree's own (already sanitised) paths, percent-encoded, so they stay relative.
Links are relative to the source's root: the gathered directory, or the folder an archive is extracted into
(so they include the archive's top folder, `Tree.prefix`), which is where report.html belongs.
It never writes the file: the caller does.
"""

from __future__ import annotations

import html
import os
import urllib.parse
from collections.abc import Iterable, Mapping

from olm_gather import _layout, _version
from olm_gather._analyze import _doc, _model, _objects, _tree

_CSS = """
:root { color-scheme: light; --fg: #1d2430; --muted: #5b6472; --line: #d9dee6; --bg: #f6f7f9;
  --err: #b42318; --err-bg: #fee4e2; --warn: #93370d; --warn-bg: #fef0c7; --ok: #067647; --ok-bg: #dcfae6;
  --info: #175cd3; --info-bg: #d1e9ff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  background: var(--bg); }
header { background: #1d2430; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 20px; font-weight: 600; }
header p { margin: 0; color: #c5cbd5; }
main { padding: 8px 28px 40px; max-width: 1400px; }
h2 { font-size: 17px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 22px 0 8px; }
.summary { display: flex; gap: 10px; margin-top: 12px; flex-wrap: wrap; }
.summary span { padding: 3px 10px; border-radius: 12px; font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top;
  overflow-wrap: break-word; }
td.wrap { overflow-wrap: anywhere; }
td.object { overflow-wrap: anywhere; min-width: 15em; }
td.nowrap { white-space: nowrap; }
th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
td.num { white-space: nowrap; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700;
  text-transform: uppercase; letter-spacing: .02em; white-space: nowrap; }
.error, .failing { color: var(--err); background: var(--err-bg); }
.warning { color: var(--warn); background: var(--warn-bg); }
.info, .healthy { color: var(--ok); background: var(--ok-bg); }
.neutral { color: var(--info); background: var(--info-bg); }
.finding { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--line);
  border-radius: 4px; padding: 10px 14px; margin: 8px 0; }
.finding.sev-error { border-left-color: var(--err); }
.finding.sev-warning { border-left-color: #dc6803; }
.finding.sev-info { border-left-color: var(--ok); }
.finding .title { font-weight: 600; margin-left: 6px; }
.finding p { margin: 6px 0; }
.finding ul { margin: 4px 0 6px; padding-left: 18px; }
.finding li { margin: 2px 0; overflow-wrap: anywhere; }
.next { color: var(--fg); }
.next b { color: var(--muted); }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
code { background: #eef1f5; padding: 0 4px; border-radius: 3px; }
pre { background: #f1f3f6; padding: 6px 8px; margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.value { color: var(--muted); }
a { color: #175cd3; text-decoration: none; }
a:hover { text-decoration: underline; }
tr.Warning td { background: #fffaeb; }
.muted { color: var(--muted); }
footer { color: var(--muted); padding: 0 28px 24px; font-size: 12px; }
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def render_html(analysis: _model.Analysis, tree: _tree.Tree | Mapping[str, bytes] | str | os.PathLike[str]) -> str:
    """The whole report page. `tree` is the analysed tree: it supplies the events and says which evidence
    files exist, so only those become links (relative to the source root, where report.html goes)."""
    tree = _tree.open_tree(tree)
    index = _objects.Index.of(tree)
    errors, warnings = analysis.count(_model.Severity.ERROR), analysis.count(_model.Severity.WARNING)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        "<title>olm-gather report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>OLM operator diagnosis</h1>",
        f"<p>{_e(_gathered_line(tree))}</p>",
        '<div class="summary">',
        f'<span class="neutral">{len(analysis.operators)} operator{_s(len(analysis.operators))}</span>',
        f'<span class="{"error" if errors else "healthy"}">{errors} error{_s(errors)}</span>',
        f'<span class="{"warning" if warnings else "healthy"}">{warnings} warning{_s(warnings)}</span>',
        "</div></header><main>",
    ]
    parts += _operators_section(analysis)
    parts += _findings_section(analysis, tree)
    parts += _timeline_section(index, tree)
    parts.append("</main>")
    parts.append(
        f"<footer>Written by olm-gather {_e(_version.__version__)} from the files of this tree alone; links open "
        "the evidence files next to this report.</footer>"
    )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _operators_section(analysis: _model.Analysis) -> list[str]:
    out = ['<section id="operators"><h2>Operators</h2>']
    if not analysis.operators:
        out.append('<p class="muted">The tree holds no Subscription.</p></section>')
        return out
    out.append(
        "<table><thead><tr><th>Package</th><th>Namespace</th><th>Subscription state</th><th>InstallPlan</th>"
        "<th>CSV</th><th>Ready</th><th>Verdict</th></tr></thead><tbody>"
    )
    for i, row in enumerate(analysis.operators):
        verdict = f'<span class="badge {row.verdict.value}">{_e(row.verdict.value)}</span>'
        if row.cause:
            verdict += f" {_e(row.cause)}"
        out.append(
            "<tr>"
            f'<td class="nowrap"><a href="#op-{i}">{_e(row.package or row.subscription)}</a></td>'
            f'<td class="nowrap">{_e(row.namespace)}</td>'
            f"<td>{_e(row.subscription_state or '-')}</td>"
            f"<td>{_e(row.install_plan or '-')}{_phase(row.install_plan_phase)}</td>"
            f"<td>{_e(row.csv or '-')}{_phase(row.csv_phase)}</td>"
            f'<td class="num">{_e(row.deployments_ready or "-")}</td>'
            f"<td>{verdict}</td>"
            "</tr>"
        )
    out.append("</tbody></table>")
    for row in analysis.operators:
        if row.must_gather_image:
            out.append(
                f'<p class="must-gather">{_e(row.package)}/{_e(row.namespace)} has its own must-gather: '
                f"<code>{_e(row.must_gather_command)}</code></p>"
            )
    out.append("</section>")
    return out


def _phase(phase: str) -> str:
    return f' <span class="muted">({_e(phase)})</span>' if phase else ""


def _findings_section(analysis: _model.Analysis, tree: _tree.Tree) -> list[str]:
    out = ['<section id="findings"><h2>Findings</h2>']
    for i, row in enumerate(analysis.operators):
        out.append(
            f'<h3 id="op-{i}">{_e(row.package)} <span class="muted">in {_e(row.namespace)}, Subscription '
            f"{_e(row.subscription)}</span></h3>"
        )
        out += [_finding(f, tree) for f in analysis.findings_for(row)]
    if analysis.tree_findings:
        out.append('<h3 id="tree">About the tree</h3>')
        out += [_finding(f, tree) for f in analysis.tree_findings]
    out.append("</section>")
    return out


def _finding(finding: _model.Finding, tree: _tree.Tree) -> str:
    sev = finding.severity.value
    items = "".join(f"<li>{_evidence(ev, tree)}</li>" for ev in finding.evidence)
    return (
        f'<div class="finding sev-{sev}">'
        f'<span class="badge {sev}">{_e(sev)}</span><span class="title">{_e(finding.title)}</span>'
        f"<p>{_e(finding.message)}</p>"
        + (f"<ul>{items}</ul>" if items else "")
        + (f'<p class="next"><b>Next step:</b> {_e(finding.next_step)}</p>' if finding.next_step else "")
        + "</div>"
    )


def _evidence(ev: _model.Evidence, tree: _tree.Tree) -> str:
    out = _file_link(ev.path, tree)
    if ev.field:
        out += f" <code>{_e(ev.field)}</code>"
    if ev.value:
        if "\n" in ev.value:
            out += f"<pre>{_e(ev.value)}</pre>"
        else:
            out += f' = <span class="value">{_e(ev.value)}</span>'
    return out


def _file_link(path: str, tree: _tree.Tree, *, text: str = "") -> str:
    """A relative link to a tree file (its path as text unless given), or the path alone if the tree lacks it."""
    if path in tree:
        href = urllib.parse.quote(tree.prefix + path)
        return f'<a href="{_e(href)}" title="{_e(path)}">{_e(text or path)}</a>'
    return f"<code>{_e(path)}</code>"


def _timeline_section(index: _objects.Index, tree: _tree.Tree) -> list[str]:
    events = sorted(index.events(), key=_objects.event_sort_key)
    out = [f'<section id="events"><h2>Events timeline <span class="muted">({len(events)})</span></h2>']
    if not events:
        out.append('<p class="muted">The tree holds no events.</p></section>')
        return out
    out.append(
        "<table><thead><tr><th>Time</th><th>Namespace</th><th>Type</th><th>Reason</th><th>Object</th>"
        "<th>Message</th><th>Count</th><th>File</th></tr></thead><tbody>"
    )
    for ev in events:
        kind, name = _objects.event_object(ev)
        ev_type = _doc.text(ev.get("type"))
        css = "Warning" if ev_type == "Warning" else ""
        out.append(
            f'<tr class="{css}">'
            f'<td class="num">{_e(_objects.event_time(ev))}</td>'
            f'<td class="nowrap">{_e(ev.namespace)}</td>'
            f'<td class="nowrap">{_e(ev_type)}</td>'
            f'<td class="nowrap">{_e(_doc.text(ev.get("reason")))}</td>'
            f'<td class="object">{_e(kind)}/{_e(name)}</td>'
            f'<td class="wrap">{_e(_objects.event_message(ev))}</td>'
            f'<td class="num">{_objects.event_count(ev)}</td>'
            f'<td class="nowrap">{_file_link(ev.path, tree, text=ev.path.rsplit("/", 1)[-1])}</td>'
            "</tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _gathered_line(tree: _tree.Tree) -> str:
    """Where the tree came from and, from its `timestamp` file if any, when it was gathered."""
    stamp = (tree.read(_layout.TIMESTAMP) or b"").decode("utf-8", errors="replace").split("\n")
    stamp = [line.strip() for line in stamp if line.strip()]
    when = f", gathered {stamp[0]}" + (f" to {stamp[-1]}" if len(stamp) > 1 else "") if stamp else ""
    return f"Tree {os.path.basename(tree.source.rstrip('/')) or tree.source}{when}"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def evidence_paths(analysis: _model.Analysis) -> Iterable[str]:
    """Every file a finding points at, for checks that the links resolve."""
    return sorted({ev.path for f in analysis.findings for ev in f.evidence})
