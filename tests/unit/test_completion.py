"""`olm-gather completion`: scripts the shells accept, built without the kubernetes client, offering every flag;
the callback stays quiet on failure. Bash runs the script for real; the cluster side is in tests/e2e."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def _complete(script: str, words: list[str], env: dict[str, str] | None = None) -> list[str]:
    """COMPREPLY after bash runs the completion function on `words` (the last one is being completed)."""
    quoted = " ".join(f"'{w}'" for w in words)
    program = f'source /dev/stdin <<<"$SCRIPT"; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; _olm_gather; '
    program += 'printf "%s\\n" "${COMPREPLY[@]}"'
    run = subprocess.run(
        ["bash", "-c", program],
        env={"SCRIPT": script, "PATH": f"{BIN}:/usr/bin:/bin", **(env or {})},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert run.stderr == ""
    return [line for line in run.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def bash_script() -> str:
    run = subprocess.run([BIN / "olm-gather", "completion", "bash"], capture_output=True, text=True, check=True)
    return run.stdout


def test_bash_accepts_the_script_and_completes_flags_and_subcommands(bash_script: str) -> None:
    assert subprocess.run(["bash", "-n"], input=bash_script, text=True, check=False).returncode == 0
    assert _complete(bash_script, ["olm-gather", "--since"]) == ["--since", "--since-time"]
    assert _complete(bash_script, ["olm-gather", "an"]) == ["analyze"]
    assert _complete(bash_script, ["olm-gather", "--format", ""]) == ["table", "json"]
    assert _complete(bash_script, ["olm-gather", "completion", "f"]) == ["fish"]
    assert _complete(bash_script, ["olm-gather", "serve", "--wr"]) == ["--write-kubeconfig"]
    # Every flag of `olm-gather --help` is offered.
    help_text = subprocess.run([BIN / "olm-gather", "--help"], capture_output=True, text=True, check=True).stdout
    offered = set(_complete(bash_script, ["olm-gather", "-"]))
    for flag in ("--kubeconfig", "--context", "-n", "-p", "--log-limit", "--since-time", "--timeout", "--format"):
        assert flag in help_text and flag in offered


def test_contexts_come_from_the_kubeconfig(bash_script: str, tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("contexts: [{name: prod-east, context: {}}, {name: dev, context: {}}]\n")
    words = ["olm-gather", "--kubeconfig", str(kubeconfig), "--context", "pr"]
    assert _complete(bash_script, words) == ["prod-east"]


def test_a_cluster_lookup_that_fails_offers_nothing_and_prints_nothing(bash_script: str, tmp_path: Path) -> None:
    words = ["olm-gather", "--kubeconfig", str(tmp_path / "missing"), "-p", ""]
    assert _complete(bash_script, words) == []


@pytest.mark.parametrize("args", [["completion", "bash"], ["completion", "zsh"], ["completion", "fish"], ["--help"]])
def test_no_kubernetes_client_for_scripts_and_help(args: list[str]) -> None:
    code = (
        "import sys, contextlib, io\n"
        "from olm_gather import _cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        _cli.main({args!r})\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('kubernetes' in sys.modules)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "False"


def test_an_unknown_shell_is_a_usage_error() -> None:
    run = subprocess.run([BIN / "olm-gather", "completion", "tcsh"], capture_output=True, text=True, check=False)
    assert run.returncode == 2 and "invalid choice" in run.stderr


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_runs_the_function_as_bashcompinit_does(tmp_path: Path) -> None:
    script = subprocess.run(
        [BIN / "olm-gather", "completion", "zsh"], capture_output=True, text=True, check=True
    ).stdout
    kubeconfig = tmp_path / "kc"
    kubeconfig.write_text("contexts: [{name: prod-east, context: {}}]\n")
    # bashcompinit calls the function under `emulate sh` (0-based arrays); zsh's compadd then filters by prefix.
    program = (
        'autoload -U compinit && compinit -u; source /dev/stdin <<<"$SCRIPT"; emulate sh -c '
        f"'COMP_WORDS=(olm-gather --kubeconfig {kubeconfig} --context p); COMP_CWORD=4; _olm_gather; "
        'printf "%s\\n" "${COMPREPLY[@]}"\''
    )
    env = {"SCRIPT": script, "PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(["zsh", "-c", program], env=env, capture_output=True, text=True, timeout=30, check=True)
    assert run.stdout.split() == ["prod-east"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes(tmp_path: Path) -> None:
    script = subprocess.run(
        [BIN / "olm-gather", "completion", "fish"], capture_output=True, text=True, check=True
    ).stdout
    (tmp_path / "c.fish").write_text(script)
    program = f'source {tmp_path / "c.fish"}; complete -C "olm-gather --sin"; complete -C "olm-gather an"'
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(["fish", "-c", program], env=env, capture_output=True, text=True, timeout=30, check=True)
    offered = [line.split("\t")[0] for line in run.stdout.splitlines()]
    assert offered == ["--since", "--since-time", "analyze"]


def test_the_cli_dispatches_the_command_the_scripts_call(monkeypatch: pytest.MonkeyPatch) -> None:
    from olm_gather import _cli, _completion

    assert f" {_completion.LOOKUP} " in _completion.script("bash", [])
    called: list[list[str]] = []
    monkeypatch.setattr(_completion, "lookup", lambda argv: called.append(argv) or 0)
    assert _cli.main([_completion.LOOKUP, "namespaces"]) == 0
    assert called == [["namespaces"]]
