"""File selection and safe opening: regular files only, symlink policy, lossless URIs."""

from __future__ import annotations

import os
import socket

import pytest

from newsingest.transforms.core.file_selection import (
    Unopened,
    escape_glob,
    ignore_rule,
    list_local,
    path_to_uri,
    read_local,
    uri_to_path,
)

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this OS")


def _unopened(path, max_bytes=1000, follow=False) -> Unopened:
    with pytest.raises(Unopened) as caught:
        read_local(str(path), max_bytes, follow)
    return caught.value


@needs_fifo
def test_a_fifo_is_never_opened(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert _unopened(fifo).reason == "not_a_regular_file"  # would block forever if opened


def test_devices_are_not_opened_even_through_a_followed_link(tmp_path):
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    assert _unopened(tmp_path / "zero.txt").reason == "symlink_not_followed"
    followed = _unopened(tmp_path / "zero.txt", follow=True)
    assert followed.reason == "not_a_regular_file" and "character device" in followed.detail


def test_a_socket_is_not_a_regular_file(tmp_path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
    except OSError:
        pytest.skip("cannot bind a UNIX socket here")
    with server:
        assert _unopened(path).reason == "not_a_regular_file"


def test_symlinks_outside_dangling_and_looping(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0")
    (tmp_path / "link.txt").symlink_to(outside)
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "missing.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    not_followed = _unopened(tmp_path / "link.txt")
    assert not_followed.reason == "symlink_not_followed" and str(outside) in not_followed.detail
    assert read_local(str(tmp_path / "link.txt"), 1000, follow_symlinks=True) == b"root:x:0:0"
    assert _unopened(tmp_path / "dangling.txt").reason == "dangling_symlink"
    assert _unopened(tmp_path / "loop.txt").reason == "symlink_loop"


def test_the_size_cap_is_enforced_while_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * 5000)
    assert read_local(str(path), 5000) == b"x" * 5000
    too_large = _unopened(path, max_bytes=4999)
    assert too_large.reason == "too_large" and too_large.size == 5000


def test_ignore_rules_apply_to_folders_and_are_counted(tmp_path):
    root = tmp_path / "in"
    for name in ("a.txt", "_x.txt", ".x", "b.txt.part", "_dir/c.txt", ".git/d.txt", "ok/e.txt"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("text")
    (root / "out" / "articles").mkdir(parents=True)
    (root / "out" / "articles" / "p.parquet").write_bytes(b"PAR1")
    selection = list_local([str(root)], exclude=[str(root / "out")])
    assert [os.path.relpath(f.uri, root) for f in selection.files] == ["a.txt", "ok/e.txt"]
    assert dict(selection.ignored) == {"underscore": 2, "hidden": 2, "temporary": 1, "output": 1}
    assert ignore_rule("_dir") == "underscore" and ignore_rule("x.tmp") == "temporary"


def test_an_explicit_root_is_read_whatever_its_name(tmp_path):
    root = tmp_path / "_inbox"
    root.mkdir()
    (root / "a.txt").write_text("text")
    assert [f.uri for f in list_local([str(root)]).files] == [str(root / "a.txt")]


def test_a_missing_root_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        list_local([str(tmp_path / "nowhere")])


def test_relative_and_absolute_roots_give_one_canonical_uri(tmp_path, monkeypatch):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("text")
    monkeypatch.chdir(tmp_path)
    relative = list_local(["in/./"]).files
    absolute = list_local([str(tmp_path / "in" / "a.txt")]).files
    assert (
        [f.uri for f in relative]
        == [f.uri for f in absolute]
        == [os.path.realpath(tmp_path / "in" / "a.txt")]
    )


@pytest.mark.parametrize(
    "name",
    [b"caf\xe9.txt", b"\xff\xfe.txt", b"100%.txt", b"50%E9.txt", "Zürich.txt".encode()],
    ids=["latin1", "invalid", "percent", "percent-hex", "utf8"],
)
def test_uri_encoding_is_lossless(tmp_path, name):
    folder = os.fsencode(str(tmp_path))
    try:
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(b"body")
    except OSError:
        pytest.skip("this filesystem refuses such names")
    [listed] = list_local([str(tmp_path)]).files
    listed.uri.encode("utf-8")  # always valid text (Parquet, JSON)
    assert os.fsencode(uri_to_path(listed.uri)) == os.path.join(folder, name)
    assert read_local(uri_to_path(listed.uri), 100) == b"body"
    if b"\xe9" in name or b"\xff" in name:
        assert listed.uri.startswith("file://")
    else:
        assert listed.uri == os.fsdecode(os.path.join(folder, name))
    assert path_to_uri(uri_to_path(listed.uri)) == listed.uri


def test_escape_glob_matches_only_the_literal_path():
    assert escape_glob("/d/in[1]/a*b?.txt") == "/d/in[[]1]/a[*]b[?].txt"


def test_read_file_caps_while_reading_even_when_the_listed_size_is_stale(tmp_path):
    """The cap is checked on the bytes read, not only on the listed size (a file that grew,
    or a device reporting size 0), for plain and compressed input."""
    import gzip

    from newsingest.transforms.read import read_file
    from newsingest.transforms.records import FileRef, QuarantineRecord

    plain = tmp_path / "grew.txt"
    plain.write_bytes(b"word " * 1000)
    packed = tmp_path / "grew.txt.gz"
    packed.write_bytes(gzip.compress(os.urandom(3000)))
    for path in (plain, packed):
        outcome = read_file(FileRef(uri=str(path), size=0), max_file_bytes=1000)
        assert isinstance(outcome, QuarantineRecord) and outcome.reason == "too_large", path
        assert outcome.raw_content is None and outcome.size_bytes >= 1000


def test_a_glob_applies_the_ignore_rules_below_its_folder(tmp_path):
    from newsingest.transforms.read import select_inputs

    for name in ("a.txt", "_b.txt", ".c.txt", "d.txt.tmp.txt", "sub/_e/f.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("text")
    selection = select_inputs([str(tmp_path / "**" / "*.txt")])
    names = sorted(os.path.relpath(f.uri, tmp_path) for f in selection.files)
    assert names == ["a.txt", "d.txt.tmp.txt"]
    assert dict(selection.ignored) == {"underscore": 2}  # Python's glob skips dot names
