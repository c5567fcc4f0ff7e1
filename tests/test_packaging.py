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


def test_the_wheel_holds_the_shipped_model_sets_and_the_notice(tmp_path):
    """pip builds the wheel from a copy of the tracked tree (tests and bench excluded from the wheel by the config)."""
    import shutil
    import subprocess
    import sys
    import zipfile

    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    source = tmp_path / "source"
    for name in tracked:
        if (REPO / name).is_file() and not name.startswith(("tests/", "bench/")):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path / "dist"), str(source)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("whytag-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    from whytag.reasoning.shipped import shipped_names

    assert "genres" in shipped_names()
    for model_set in shipped_names():
        assert f"whytag/ontology/models/{model_set}.card.ttl" in names
        assert f"whytag/ontology/models/{model_set}.rules.ttl.xz" in names
    assert any(name.endswith("licenses/NOTICE") or name.endswith("/NOTICE") for name in names)
    assert not any(name.startswith(("whytag/tests/", "whytag/bench/")) for name in names)
