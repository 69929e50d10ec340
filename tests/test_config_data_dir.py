"""The server's own data directory (renkou.config.data_dir): where a web upload waits for its check
and commit — per instance, never a folder shared by every program on the machine such as /tmp."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from renkou.config import Settings, data_dir


def test_the_setting_wins(tmp_path):
    s = Settings.from_env({"RENKOU_DATA_DIR": str(tmp_path / "d")})
    assert s.data_dir == str(tmp_path / "d")
    assert data_dir(s, "sqlite:///x.db") == tmp_path / "d"
    assert Settings.from_env({}).data_dir is None


def test_next_to_a_sqlite_file(tmp_path):
    assert data_dir(Settings(), f"sqlite:///{tmp_path / 'county.db'}") == tmp_path / "county.db.data"


@pytest.mark.parametrize("url", ["postgresql+psycopg://renkou:secret@db/renkou", "sqlite://", "sqlite:///:memory:"])
def test_otherwise_one_folder_per_database_in_the_users_data_directory(monkeypatch, tmp_path, url):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    got = data_dir(Settings(), url)
    assert got.parent == tmp_path / "share" / "renkou" and got.name.startswith("data-")
    assert not str(got).startswith(tempfile.gettempdir() + "/renkou")
    assert data_dir(Settings(), "postgresql+psycopg://renkou:secret@db/other") != data_dir(
        Settings(), "postgresql+psycopg://renkou:secret@db/renkou"
    )
    # the password is not part of the name: changing it keeps the folder
    assert data_dir(Settings(), "postgresql+psycopg://renkou:new@db/renkou") == data_dir(
        Settings(), "postgresql+psycopg://renkou:secret@db/renkou"
    )


def test_without_a_home_setting_it_is_under_the_home_directory(monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert data_dir(Settings(), "postgresql://h/db").parent == Path.home() / ".local" / "share" / "renkou"
