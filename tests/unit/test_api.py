import argparse
import io
import tarfile

import pytest

import olm_gather
from olm_gather import _flags


def test_public_surface_is_pinned() -> None:
    assert sorted(olm_gather.__all__) == sorted(
        [
            "LAYOUT_VERSION",
            "APIError",
            "ConfigError",
            "UnreachableError",
            "DirectoryWriter",
            "ForbiddenError",
            "GatherProblem",
            "GatheredObject",
            "InspectConfig",
            "InspectResult",
            "Inspector",
            "MemoryWriter",
            "NotFoundError",
            "OlmGatherError",
            "OlmNotInstalledError",
            "Progress",
            "TarGzWriter",
            "TarStreamWriter",
            "UnauthorizedError",
            "Writer",
            "__version__",
            "add_flags",
            "click_options",
            "config_from_click",
            "config_from_flags",
            "new",
        ]
    )
    for name in olm_gather.__all__:
        assert getattr(olm_gather, name) is not None


def test_flags_build_the_config() -> None:
    parser = argparse.ArgumentParser()
    olm_gather.add_flags(parser)
    args = parser.parse_args(["-p", "etcd", "-n", "ops", "--log-limit", "512Ki", "--since", "1h30m", "--context", "c"])
    writer = olm_gather.MemoryWriter()
    config = olm_gather.config_from_flags(args, writer=writer)
    assert (config.package, config.namespace, config.context) == ("etcd", "ops", "c")
    assert config.log_limit_bytes == 512 * 1024 and config.since_seconds == 5400 and config.writer is writer


@pytest.mark.parametrize(("text", "value"), [("4Mi", 4 << 20), ("100", 100), ("2K", 2000), ("1Gi", 1 << 30)])
def test_sizes(text: str, value: int) -> None:
    assert _flags.parse_size(text) == value


@pytest.mark.parametrize("bad", ["", "4 megs", "-1"])
def test_bad_sizes(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _flags.parse_size(bad)


def test_click_variant() -> None:
    import click
    from click.testing import CliRunner

    seen = {}

    @click.command()
    @olm_gather.click_options
    def cmd(**kwargs: object) -> None:
        seen["config"] = olm_gather.config_from_click(**kwargs)

    result = CliRunner().invoke(cmd, ["-p", "etcd", "--since", "10m"])
    assert result.exit_code == 0, result.output
    assert seen["config"].package == "etcd" and seen["config"].since_seconds == 600
    result = CliRunner().invoke(cmd, ["--since-time", "2026-01-02T17:04:05+02:00"])
    assert result.exit_code == 0, result.output
    assert seen["config"].since_time == "2026-01-02T15:04:05Z" and seen["config"].since_seconds == 0
    assert CliRunner().invoke(cmd, ["--since-time", "yesterday"]).exit_code == 2


# Go's time.Duration.String() forms, which `oc adm must-gather --since` passes on in $MUST_GATHER_SINCE.
@pytest.mark.parametrize(
    ("text", "seconds"), [("1s", 1), ("1h0m0s", 3600), ("1.5s", 2), ("500ms", 1), ("2d", 172800), ("1h30m", 5400)]
)
def test_durations(text: str, seconds: int) -> None:
    assert _flags.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-01-02T15:04:05Z", "2026-01-02T15:04:05Z"),
        ("2026-01-02T17:04:05.25+02:00", "2026-01-02T15:04:05.250000Z"),
        ("2026-01-02t15:04:05z", "2026-01-02T15:04:05Z"),
    ],
)
def test_since_time(text: str, utc: str) -> None:
    assert _flags.parse_time(text) == utc


@pytest.mark.parametrize("bad", ["2026-01-02", "2026-01-02T15:04:05", "yesterday", "1h"])
def test_bad_since_time(bad: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        _flags.parse_time(bad)


def test_since_and_since_time_exclude_each_other() -> None:
    with pytest.raises(olm_gather.ConfigError, match="exclude each other"):
        olm_gather.new(since_seconds=60, since_time="2026-01-02T15:04:05Z")


def test_new_rejects_unknown_options() -> None:
    with pytest.raises(olm_gather.ConfigError):
        olm_gather.new(packge="typo")


def test_writers_write_the_same_files(tmp_path) -> None:
    files = {"version": b"olm-gather\n1\n", "namespaces/a/a.yaml": b"kind: Namespace\n"}
    directory = olm_gather.DirectoryWriter(tmp_path / "dir")
    archive = olm_gather.TarGzWriter(tmp_path / "out.tar.gz")
    stream = io.BytesIO()
    streamed = olm_gather.TarStreamWriter(stream)
    memory = olm_gather.MemoryWriter()
    for writer in (directory, archive, streamed, memory):
        for path, data in files.items():
            if path == "version":
                writer.write(path, data)
            else:
                writer.write_stream(path, io.BytesIO(data), len(data))
        writer.close()
    assert memory.files == files
    on_disk = {
        str(p.relative_to(tmp_path / "dir")): p.read_bytes() for p in (tmp_path / "dir").rglob("*") if p.is_file()
    }
    assert on_disk == files
    with tarfile.open(tmp_path / "out.tar.gz") as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar if m.isfile()} == {
            f"out/{k}": v for k, v in files.items()
        }
    stream.seek(0)
    with tarfile.open(fileobj=stream) as tar:
        assert {m.name: tar.extractfile(m).read() for m in tar if m.isfile()} == {
            f"must-gather/{k}": v for k, v in files.items()
        }
