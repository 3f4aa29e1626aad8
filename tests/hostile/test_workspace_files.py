"""Workspace confinement of files named by manifests."""

from __future__ import annotations

import os

import pytest

from reconciler.workspace_files import FileRefused, bounded_lines, confined, open_csv


@pytest.fixture
def ws(tmp_path):
    root = tmp_path / "ws"
    (root / "groups").mkdir(parents=True)
    (root / "data").mkdir()
    (root / "data" / "a.csv").write_text("email\n")
    (tmp_path / "outside.csv").write_text("email\n")
    return root


@pytest.mark.posix
def test_relative_names_inside_the_workspace_resolve(ws):
    assert confined("../data/a.csv", ws / "groups", ws) == (ws / "data" / "a.csv").resolve()
    os.symlink("../data/a.csv", ws / "groups" / "link.csv")  # a link that stays inside
    assert confined("link.csv", ws / "groups", ws) == (ws / "data" / "a.csv").resolve()


@pytest.mark.parametrize("name, says", [
    ("../../outside.csv", "`..` leads out"),
    ("../data/../../outside.csv", "`..` leads out"),
    ("/etc/passwd", "an absolute path is not allowed"),
    ("~/x.csv", "an absolute path is not allowed"),
    ("a\x00b", "NUL"),
    ("é" * 300, "file name too long"),
    ("", "non-empty string"),
])
def test_names_that_leave_the_workspace_are_refused(ws, name, says):
    with pytest.raises(FileRefused, match=says):
        confined(name, ws / "groups", ws)


@pytest.mark.posix
def test_a_symlink_out_is_refused_after_resolving(ws, tmp_path):
    os.symlink(tmp_path / "outside.csv", ws / "groups" / "out.csv")
    os.symlink(tmp_path, ws / "groups" / "up")  # a folder link out
    for name in ("out.csv", "up/outside.csv"):
        with pytest.raises(FileRefused, match="a symbolic link leads out"):
            confined(name, ws / "groups", ws)


@pytest.mark.posix
def test_only_regular_files_are_opened(ws):
    os.mkfifo(ws / "data" / "pipe.csv")
    with pytest.raises(FileRefused, match="named pipe"):
        open_csv(ws / "data" / "pipe.csv")
    with pytest.raises(FileRefused, match="a directory"):
        open_csv(ws / "data")


def test_a_csv_line_past_the_limit_is_an_error_without_reading_it_whole(ws):
    path = ws / "data" / "long.csv"
    path.write_text("email\n" + "x" * 1000 + "\n")
    with open_csv(path) as fh, pytest.raises(Exception, match="longer than 100 characters"):
        list(bounded_lines(fh, 100))
