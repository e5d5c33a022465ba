"""The analysis for people (a rich table, then the findings) and for machines (JSON).

Everything from the cluster goes into rich `Text` objects, never into markup strings, so a message holding
`[bold]` or `[link=...]` prints as written. It never decides anything: that is the rules' job.
"""

from __future__ import annotations

import json

import rich.console
import rich.table
import rich.text

from olm_gather._analyze import _model

_STYLE = {
    _model.Severity.ERROR: "bold red",
    _model.Severity.WARNING: "yellow",
    _model.Severity.INFO: "green",
}
_VERDICT_STYLE = {
    _model.Verdict.FAILING: "bold red",
    _model.Verdict.WARNING: "yellow",
    _model.Verdict.HEALTHY: "green",
}


def to_json(analysis: _model.Analysis) -> str:
    """The operators and findings as indented JSON, for `--format json`."""
    return json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False) + "\n"


def render_terminal(analysis: _model.Analysis, console: rich.console.Console) -> None:
    """One table row per operator with its verdict, then every finding with evidence and next step."""
    if analysis.incomplete:
        console.print(
            rich.text.Text(f"incomplete gather ({analysis.incomplete}): findings only cover what it holds", "bold red")
        )
    if analysis.operators:
        console.print(operator_table(analysis))
    for row in analysis.operators:
        if row.must_gather_image:
            line = rich.text.Text(f"{row.package}/{row.namespace} has its own must-gather: ", style="bold")
            line.append(row.must_gather_command, style="")
            console.print(line)
    for row in analysis.operators:
        for finding in analysis.findings_for(row):
            _print_finding(console, finding)
    for finding in analysis.tree_findings:
        _print_finding(console, finding)
    errors, warnings = analysis.count(_model.Severity.ERROR), analysis.count(_model.Severity.WARNING)
    console.print(
        rich.text.Text(
            f"{len(analysis.operators)} operator(s), {errors} error(s), {warnings} warning(s)",
            style="bold red" if errors else ("yellow" if warnings else "green"),
        )
    )


def operator_table(analysis: _model.Analysis) -> rich.table.Table:
    table = rich.table.Table(title="Operators", title_justify="left")
    for header in ("Package", "Namespace", "State", "InstallPlan", "CSV", "Ready", "Verdict"):
        table.add_column(header, overflow="fold")
    for row in analysis.operators:
        verdict = rich.text.Text(row.verdict.value, style=_VERDICT_STYLE[row.verdict])
        if row.cause:
            verdict.append(f": {row.cause}")
        table.add_row(
            rich.text.Text(row.package),
            rich.text.Text(row.namespace),
            rich.text.Text(row.subscription_state or "-"),
            rich.text.Text(
                " ".join(x for x in (row.install_plan, row.install_plan_phase and f"({row.install_plan_phase})") if x)
                or "-"
            ),
            rich.text.Text(" ".join(x for x in (row.csv, row.csv_phase and f"({row.csv_phase})") if x) or "-"),
            rich.text.Text(row.deployments_ready or "-"),
            verdict,
        )
    return table


def _print_finding(console: rich.console.Console, finding: _model.Finding) -> None:
    head = rich.text.Text()
    head.append(f"{finding.severity.value.upper():7}", style=_STYLE[finding.severity])
    if finding.package or finding.namespace:
        head.append(f" {finding.package}/{finding.namespace}", style="bold")
    head.append(f" {finding.message}")
    console.print(head)
    for ev in finding.evidence:
        line = rich.text.Text("        ")
        line.append(ev.path, style="cyan")
        if ev.field:
            line.append(f": {ev.field}")
        if ev.value:
            value = ev.value if "\n" not in ev.value else "\n" + _indent(ev.value, 12)
            line.append(f" = {value}", style="dim")
        console.print(line)
    if finding.next_step:
        step = rich.text.Text("        next: ", style="bold")
        step.append(finding.next_step, style="")
        console.print(step)


def _indent(text: str, width: int) -> str:
    return "\n".join(" " * width + line for line in text.splitlines())
