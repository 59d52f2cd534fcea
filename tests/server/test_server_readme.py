"""The README documents every setting, flag and variable."""

from __future__ import annotations

from pathlib import Path

from server.settings import options

README = Path(__file__).parents[2] / "README.md"


def test_readme_lists_every_setting() -> None:
    text = README.read_text()
    for option in options().values():
        assert f"| `{option.flag}`" in text, option.flag
        assert f"`{option.env}`" in text, option.env
