"""Names a manifest writes for its files hold on Windows too: a name rooted with `\\` (or,
on Windows, with a drive) is refused as absolute, and a name with `\\` separators inside
the workspace reads the same file as with `/` there."""

from __future__ import annotations

import sys

import pytest

from reconciler.workspace_files import FileRefused, confined


def test_a_backslash_rooted_name_is_absolute_everywhere(tmp_path):
    with pytest.raises(FileRefused, match="an absolute path is not allowed"):
        confined("\\Users\\me\\contacts.csv", tmp_path, tmp_path)


@pytest.mark.skipif(sys.platform != "win32", reason="drive letters exist on Windows only")
@pytest.mark.parametrize("name", ["C:contacts.csv", "C:\\contacts.csv", "D:/data/contacts.csv"])
def test_a_drive_is_absolute_on_windows(tmp_path, name):
    with pytest.raises(FileRefused, match="an absolute path is not allowed"):
        confined(name, tmp_path, tmp_path)


@pytest.mark.skipif(sys.platform != "win32", reason="`\\` separates folders on Windows only")
def test_backslash_separators_resolve_inside_the_workspace(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("email\n", encoding="utf-8")
    assert confined("data\\a.csv", tmp_path, tmp_path) == confined("data/a.csv", tmp_path,
                                                                    tmp_path)
