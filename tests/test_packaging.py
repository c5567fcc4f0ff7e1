"""pyproject.toml ships every package of the tree: a folder left out of `packages` is missing from the wheel."""

from __future__ import annotations

import tomllib

from whytag_testing import REPO

NOT_SHIPPED = {"tests", "bench", "docs", "build", "dist"}


def test_every_package_folder_is_listed_and_every_listed_one_exists() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"whytag": "."}
    tops = [top for top in REPO.iterdir() if top.is_dir() and top.name not in NOT_SHIPPED and top.name[0] != "."]
    folders = [init.parent.relative_to(REPO) for top in tops for init in top.rglob("__init__.py")]
    shipped = {"whytag"} | {".".join(("whytag", *folder.parts)) for folder in folders}
    listed = set(config["packages"])
    assert listed == shipped, (f"pyproject.toml packages: add {sorted(shipped - listed)}, "
                               f"drop {sorted(listed - shipped)}")
