"""Reading a gathered tree: a directory, a .tar.gz (with or without a top folder) and a map give the same
findings, with or without gather.json; hostile names and links stay outside."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from olm_gather import _errors, _layout
from olm_gather._analyze import (
    DirTree,
    MemoryTree,
    UnreadableTreeError,
    _tree,
    analyze,
    open_tree,
    read_archive,
    to_json,
)
from tests.unit import analyze_trees as trees


def write_dir(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def write_tar(path: Path, files: dict[str, bytes], prefix: str = "") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_dir_tar_and_no_gather_json_give_identical_findings(tmp_path: Path):
    files = trees.sample_tree()
    assert _layout.GATHER_JSON in files
    reference = to_json(analyze(files))
    directory = write_dir(tmp_path / "must-gather.local.1", files)
    archive = write_tar(tmp_path / "out.tar.gz", files, prefix="must-gather.local.1/")
    # Another tool's tree: no gather.json and no olm-gather `version` (an olm-gather tree without it is unfinished).
    bare = {k: v for k, v in files.items() if k not in (_layout.GATHER_JSON, _layout.VERSION)}
    bare_dir = write_dir(tmp_path / "bare", bare)
    bare_tar = write_tar(tmp_path / "bare.tar.gz", bare)
    for source in (directory, archive, bare_dir, bare_tar, str(archive)):
        assert to_json(analyze(source)) == reference, source
    assert to_json(analyze(bare)) == reference
    assert '"rule": "deployment-unavailable"' in reference


def test_archive_prefix_is_detected(tmp_path: Path):
    files = trees.Scenario.healthy().files()
    tree = read_archive(write_tar(tmp_path / "a.tar.gz", files, prefix="must-gather.local.1/quay-io-olm-gather/"))
    assert tree.prefix == "must-gather.local.1/quay-io-olm-gather/"
    assert set(tree.paths()) == set(files)
    plain = read_archive(write_tar(tmp_path / "b.tar.gz", files, prefix="./"))
    assert plain.prefix == ""
    assert set(plain.paths()) == set(files)


def test_an_archive_stopped_before_any_object_keeps_its_record(tmp_path: Path):
    # What `olm-gather -o run.tar.gz` leaves when SIGTERM comes before the first object: only its own files.
    record = b'{"incomplete": true, "incompleteReason": "interrupted"}'
    files = {_layout.VERSION: b"olm-gather\n0.1.0\n", _layout.GATHER_JSON: record, _layout.TIMESTAMP: b"x\n"}
    tree = read_archive(write_tar(tmp_path / "run.tar.gz", files, prefix="run/"))
    assert tree.prefix == "run/"
    assert analyze(tree).incomplete == "interrupted"


def test_directory_with_oc_adm_must_gather_image_folder(tmp_path: Path):
    files = trees.Scenario.healthy().files()
    write_dir(tmp_path / "quay-io-image-sha256-abc", files)
    (tmp_path / "event-filter.html").write_text("<html></html>")
    tree = DirTree(tmp_path)
    assert tree.prefix == "quay-io-image-sha256-abc/"
    assert tree.read(_layout.namespace_path("ns1")) == files[_layout.namespace_path("ns1")]
    assert analyze(tree).operators[0].package == "foo-operator"


def test_hostile_archive_names_are_skipped(tmp_path: Path):
    files = trees.Scenario.healthy().files()
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name in ("../escape.yaml", "/etc/passwd.yaml", "namespaces/../../x.yaml"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tar.addfile(info, io.BytesIO(b"a: 1"))
        link = tarfile.TarInfo("namespaces/ns1/core/link.yaml")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tar.addfile(link)
    tree = read_archive(path)
    assert set(tree.paths()) == set(files)
    assert tree.read("../escape.yaml") is None


def test_symlinks_in_a_directory_are_not_followed(tmp_path: Path):
    files = trees.Scenario.healthy().files()
    root = write_dir(tmp_path / "tree", files)
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    os.symlink(secret, root / "namespaces" / "ns1" / "leak.yaml")
    tree = DirTree(root)
    assert "namespaces/ns1/leak.yaml" not in tree.paths()
    assert tree.read("namespaces/ns1/leak.yaml") is None
    assert tree.read("../secret.yaml") is None


def test_log_tail_is_the_same_from_every_reader(tmp_path: Path):
    files = trees.crashloop().files()
    log = _layout.log_path(namespace="ns1", pod=trees.crashloop().pod_name, container="manager", previous=True)
    files[log] = b"x" * (_tree.LOG_TAIL_BYTES * 2) + b"\n" + files[log]
    from_dir = DirTree(write_dir(tmp_path / "d", files)).read(log)
    from_tar = read_archive(write_tar(tmp_path / "t.tar.gz", files)).read(log)
    from_map = MemoryTree(files).read(log)
    assert from_dir == from_tar == from_map
    assert from_map is not None
    assert len(from_map) == _tree.LOG_TAIL_BYTES
    assert to_json(analyze(files)) == to_json(analyze(tmp_path / "d"))


def test_unparseable_yaml_becomes_a_warning_not_a_crash():
    files = trees.Scenario.healthy().files()
    files["namespaces/ns1/operators.coreos.com/installplans/broken.yaml"] = b"status: [unclosed\n"
    analysis = analyze(files)
    broken = [f for f in analysis.tree_findings if f.rule == "unreadable-file"]
    assert broken
    assert broken[0].evidence[0].path.endswith("broken.yaml")
    assert [f.rule for f in analysis.findings if f.package] == ["healthy"]


def test_empty_tree_says_there_is_nothing_to_diagnose():
    analysis = analyze({})
    assert analysis.operators == ()
    assert [f.rule for f in analysis.findings] == ["no-subscription"]


def test_open_tree_refuses_what_is_not_a_tree(tmp_path: Path):
    with pytest.raises(UnreadableTreeError, match="no such directory or archive"):
        open_tree(tmp_path / "missing")
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tar at all")
    with pytest.raises(UnreadableTreeError, match="not a readable tar archive"):
        open_tree(junk)


def test_unreadable_tree_is_a_config_error_with_exit_code_2(tmp_path: Path):
    with pytest.raises(_errors.ConfigError) as caught:
        open_tree(tmp_path / "missing.tar.gz")
    assert caught.value.exit_code == 2


def test_the_analysis_copy_of_a_gather_reads_as_what_was_written():
    """The copy a gather keeps for its own analysis (one spool file, by offset) gives the findings and log tails
    of the tree the writer received."""
    import yaml

    from olm_gather import _output, _redact, _sink

    files = trees.crashloop().files() | trees.sample_tree()
    log = _layout.log_path(namespace="ns1", pod=trees.crashloop().pod_name, container="manager", previous=True)
    files[log] = b"x" * (_tree.LOG_TAIL_BYTES * 2) + b"\n" + files[log]
    writer = _sink.MemoryWriter()
    out = _output.Output(writer, copy_for_analysis=True)
    for path, data in sorted(files.items()):
        loaded = yaml.safe_load(data) if path.endswith(".yaml") else None
        if isinstance(loaded, dict):
            out.put_object(path, _redact.redact(loaded))
        elif path.endswith(".log"):
            out.put_log(path, _redact.filter_log(io.BytesIO(data)))
        else:
            out.put_text(path, data)
    copy = _tree.SpooledTree(*out.analysis_copy(), source="<copy>")
    written = MemoryTree(writer.files)
    assert copy.paths() == written.paths()
    assert copy.read(log) == written.read(log)
    assert copy.read(log) is not None and len(copy.read(log) or b"") == _tree.LOG_TAIL_BYTES
    assert to_json(analyze(copy)) == to_json(analyze(written))
    assert '"rule": "deployment-unavailable"' in to_json(analyze(copy))
    out.close()
