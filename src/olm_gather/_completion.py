"""Shell completion. `olm-gather completion bash|zsh|fish` prints a script built from the argparse parsers
(flags, subcommands, choices); for -n, -p and --context the script calls back `olm-gather __complete
namespaces|packages|contexts [--kubeconfig K] [--context C] [-n NS]`, which asks the cluster and gives up after
LOOKUP_SECONDS of requests, LIMIT_SECONDS in all. Only that callback loads the kubernetes client; a completion
never prints an error.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import threading
import time
from collections.abc import Iterable

import yaml

from olm_gather import _flags

SHELLS = ("bash", "zsh", "fish")
LOOKUP_SECONDS = 2.0
"""How long the cluster may take to answer a lookup."""
LIMIT_SECONDS = 5.0
"""How long a lookup may take at all: loading the kubernetes client alone takes seconds on a busy machine."""
LOOKUP = _flags.COMPLETE

# What a flag's value completes to: a kind of name from the cluster, files, or nothing.
_CLUSTER = {"namespace": "namespaces", "package": "packages", "context": "contexts"}
_FILES = frozenset({"kubeconfig", "output", "report", "write_kubeconfig"})


@dataclasses.dataclass(frozen=True)
class Flag:
    names: tuple[str, ...]
    help: str
    value: str  # "" a switch, "namespaces"/"packages"/"contexts", "file", "choice", "any"
    choices: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Command:
    name: str  # "" for the gather itself
    help: str
    flags: tuple[Flag, ...]
    positional: str  # "" none, "file", or "choice" (then `choices`)
    choices: tuple[str, ...] = ()


def command(name: str, help_text: str, parser: argparse.ArgumentParser) -> Command:
    """The completion model of one parser."""
    flags = []
    positional = ""
    choices: tuple[str, ...] = ()
    for action in parser._actions:  # argparse has no public list of its actions
        if action.help == argparse.SUPPRESS:
            continue
        if not action.option_strings:
            positional, choices = ("choice", tuple(action.choices)) if action.choices else ("file", ())
            continue
        if action.nargs == 0:
            value = ""
        elif action.dest in _CLUSTER:
            value = _CLUSTER[action.dest]
        elif action.dest in _FILES:
            value = "file"
        elif action.choices:
            value = "choice"
        else:
            value = "any"
        help_line = " ".join((action.help or "").split()).split(" (")[0]
        flags.append(Flag(tuple(action.option_strings), help_line, value, tuple(action.choices or ())))
    return Command(name, help_text, tuple(flags), positional, choices)


def script(shell: str, commands: list[Command], *, prog: str = "olm-gather") -> str:
    """The completion script for `shell`, for `prog` and kubectl's plugin name."""
    if shell == "fish":
        return _fish(commands, prog)
    bash = _bash(commands, prog)
    if shell == "zsh":
        # zsh runs the bash function through its bash compatibility layer.
        return f"#compdef {prog} kubectl-olm_gather\nautoload -U +X bashcompinit && bashcompinit\n{bash}"
    return bash


def _words(values: Iterable[object]) -> str:
    return " ".join(str(v) for v in values)


def _bash(commands: list[Command], prog: str) -> str:
    subs = [c.name for c in commands if c.name]
    arms = []
    for c in commands:
        for f in c.flags:
            if not f.value:
                continue  # a switch: the next word is anything
            if f.value == "any":
                reply = "return 0"  # a value to type (a size, a duration): nothing to offer
            elif f.value == "file":
                reply = '_olm_gather_files "$cur"; return 0'
            elif f.value == "choice":
                reply = f'COMPREPLY=($(compgen -W "{_words(f.choices)}" -- "$cur")); return 0'
            else:
                reply = f'COMPREPLY=($(compgen -W "$(_olm_gather_lookup {f.value})" -- "$cur")); return 0'
            patterns = "|".join(f'"{c.name}:{n}"' for n in f.names)
            arms.append(f"        {patterns}) {reply} ;;")
    flag_lists = []
    for c in commands:
        names = _words(n for f in c.flags for n in f.names)
        if c.positional == "file":
            rest = '_olm_gather_files "$cur"'
        elif c.positional == "choice":
            rest = f'COMPREPLY=($(compgen -W "{_words(c.choices)}" -- "$cur"))'
        else:
            rest = "COMPREPLY=()"
        if not c.name:
            rest = f'[[ $COMP_CWORD -eq 1 ]] && words="{_words(subs)} $words"; '
            rest += 'COMPREPLY=($(compgen -W "$words" -- "$cur"))'
            flag_lists.append(f'        "") words="{names}"; {rest} ;;')
        else:
            flag_lists.append(
                f'        {c.name}) [[ $cur == -* ]] && COMPREPLY=($(compgen -W "{names}" -- "$cur")) || {rest} ;;'
            )
    return f"""# {prog} completion for bash; in ~/.bashrc: source <({prog} completion bash)
_olm_gather_lookup() {{
    # Names from the cluster, asked with the --kubeconfig, --context and -n already typed.
    local args=() i
    for ((i = 1; i + 1 < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            --kubeconfig|--context|-n|--namespace) args+=("${{COMP_WORDS[i]}}" "${{COMP_WORDS[i+1]}}") ;;
        esac
    done
    "${{COMP_WORDS[0]}}" {LOOKUP} "$1" "${{args[@]}}" 2>/dev/null
}}
_olm_gather_files() {{
    type compopt >/dev/null 2>&1 && compopt -o filenames
    COMPREPLY=($(compgen -f -- "$1"))
}}
_olm_gather() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}" sub="" words
    COMPREPLY=()
    case "${{COMP_WORDS[1]}}" in
        {"|".join(subs)}) [[ $COMP_CWORD -gt 1 ]] && sub="${{COMP_WORDS[1]}}" ;;
    esac
    case "$sub:$prev" in
{chr(10).join(arms)}
    esac
    case "$sub" in
{chr(10).join(flag_lists)}
    esac
    return 0
}}
complete -F _olm_gather {prog} kubectl-olm_gather
"""


def _fish(commands: list[Command], prog: str) -> str:
    subs = [c.name for c in commands if c.name]
    lines = [
        f"# {prog} completion for fish; in ~/.config/fish/completions/{prog}.fish: {prog} completion fish | source",
        "function __olm_gather_lookup",
        "    set -l words (commandline -opc)",
        "    set -l args",
        "    for i in (seq 2 (math (count $words) - 1))",
        "        switch $words[$i]",
        "            case --kubeconfig --context -n --namespace",
        "                set -a args $words[$i] $words[(math $i + 1)]",
        "        end",
        "    end",
        f"    $words[1] {LOOKUP} $argv[1] $args 2>/dev/null",
        "end",
    ]
    for name in (prog, "kubectl-olm_gather"):
        lines.append(f"complete -c {name} -f")
        for c in commands:
            if c.name:
                cond = f"__fish_seen_subcommand_from {c.name}"
                lines.append(f"complete -c {name} -n __fish_use_subcommand -a {c.name} -d {_fish_quote(c.help)}")
            else:
                cond = f"not __fish_seen_subcommand_from {' '.join(subs)}"
            if c.positional == "file":
                lines.append(f"complete -c {name} -n '{cond}' -F")
            elif c.positional == "choice":
                lines.append(f"complete -c {name} -n '{cond}' -a '{_words(c.choices)}'")
            for f in c.flags:
                parts = [f"complete -c {name} -n '{cond}'"]
                for n in f.names:
                    parts.append(f"-s {n[1:]}" if len(n) == 2 else f"-l {n[2:]}")
                if f.value == "file":
                    parts.append("-r -F")
                elif f.value == "choice":
                    parts.append(f"-x -a '{_words(f.choices)}'")
                elif f.value == "any":
                    parts.append("-x")
                elif f.value:
                    parts.append(f"-x -a '(__olm_gather_lookup {f.value})'")
                parts.append(f"-d {_fish_quote(f.help)}")
                lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- the callback ------------------------------------------------------------------------------------------------


def lookup(argv: list[str]) -> int:
    """`__complete KIND [--kubeconfig K] [--context C] [-n NS]`: names one per line, nothing on any failure,
    within LIMIT_SECONDS. Exits at once, even while a lookup thread still waits on the cluster."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("kind", nargs="?", default="")
    parser.add_argument("--kubeconfig", default="")
    parser.add_argument("--context", default="")
    parser.add_argument("-n", "--namespace", default="")
    args, _ = parser.parse_known_args(argv)
    found: list[list[str]] = []

    def run() -> None:
        with contextlib.suppress(Exception):  # a completion offers nothing rather than an error
            found.append(_names(args.kind, kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(LIMIT_SECONDS)
    names = found[0] if found else []
    sys.stdout.write("".join(f"{n}\n" for n in sorted(set(names))))
    sys.stdout.flush()
    os._exit(0)  # a lookup thread stuck in a credential plugin must not hold the shell


def _names(kind: str, *, kubeconfig: str, context: str, namespace: str) -> list[str]:
    if kind == "contexts":
        return _contexts(kubeconfig)
    if kind not in ("namespaces", "packages"):
        return []
    from olm_gather import _errors, _kube  # noqa: PLC0415 - the kubernetes client only for a cluster lookup
    from olm_gather._kube import _retry  # noqa: PLC0415

    connection = _kube.connect(kubeconfig=kubeconfig, context=context, pool_size=1)
    kube = _kube.Kube(
        connection,
        concurrency=1,
        retry=_retry.RetryPolicy(attempts=1),
        deadline=time.monotonic() + LOOKUP_SECONDS,
    )
    try:
        subscriptions = "/apis/operators.coreos.com/v1alpha1/subscriptions"
        if kind == "packages":
            if namespace:
                subscriptions = f"/apis/operators.coreos.com/v1alpha1/namespaces/{namespace}/subscriptions"
            return [str((s.get("spec") or {}).get("name", "")) for s in kube.list(subscriptions)]
        try:
            return [str(n["metadata"]["name"]) for n in kube.list("/api/v1/namespaces", metadata_only=True)]
        except _errors.ForbiddenError:  # may not list namespaces: those with Subscriptions, which -n selects
            return [str(s["metadata"]["namespace"]) for s in kube.list(subscriptions, metadata_only=True)]
    finally:
        kube.close()


def _contexts(kubeconfig: str) -> list[str]:
    paths = (kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")).split(os.pathsep)
    names = []
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
        except (OSError, yaml.YAMLError):
            continue
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        names += [str(c["name"]) for c in contexts or [] if isinstance(c, dict) and c.get("name")]
    return names
