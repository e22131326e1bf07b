"""The namespace layout: every folder reachable only as singlewindow.<folder>, the
standard library's `platform` never hidden, and a wheel that carries everything."""

import shutil
import subprocess
import sys
import zipfile

import pytest

from helpers import REPO


def test_no_init_in_platform_folder():
    assert not (REPO / "platform" / "__init__.py").exists()
    for folder in ("tenants", "billing", "provisioning", "themes"):
        assert not (REPO / folder / "__init__.py").exists()


def test_standard_platform_module_imports_from_the_repository_root():
    """gunicorn, rq, flask and `python -m pytest` put the root on sys.path."""
    code = ("import sys; sys.path.insert(0, '.'); import platform, uuid; "
            "print(platform.python_version()); import singlewindow.platform.app")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ".".join(map(str, sys.version_info[:3]))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # setuptools stages files in ./build and would reuse stale ones: start and end clean.
    shutil.rmtree(REPO / "build", ignore_errors=True)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
            cwd=REPO, capture_output=True, text=True, timeout=300)
    finally:
        shutil.rmtree(REPO / "build", ignore_errors=True)
    assert result.returncode == 0, result.stderr[-3000:]
    [path] = out.glob("singlewindow-*.whl")
    return path


def test_wheel_contains_code_data_templates_and_migrations(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "singlewindow/platform/app.py",
        "singlewindow/platform/catalogue/elements.json",
        "singlewindow/platform/reference/data/hs/harmonized-system.csv.gz",
        "singlewindow/platform/reference/data/unlocode/code-list-2.csv.gz",
        "singlewindow/platform/reference/data/PROVENANCE.md",
        "singlewindow/platform/reference/data/LICENSE-unlocode.txt",
        "singlewindow/platform/migrations/env.py",
        "singlewindow/platform/migrations/script.py.mako",
        "singlewindow/platform/templates/layout.html",
        "singlewindow/platform/static/app.css",
        "singlewindow/platform/demo/data/shipments.csv",
        "singlewindow/tenants/models.py",
        "singlewindow/tenants/templates/admin/agencies.html",
        "singlewindow/billing/plans.json",
        "singlewindow/provisioning/countries/ke.json",
        "singlewindow/provisioning/countries/shanghai.json",
        "singlewindow/themes/harbour/templates/layout.html",
        "singlewindow/themes/harbour/static/harbour.css",
        "singlewindow/platform/simulator/scenario.json",
    ):
        assert expected in names, f"{expected} is missing from the wheel"
    assert any(n.startswith("singlewindow/platform/migrations/versions/") and n.endswith(".py")
               and "__init__" not in n for n in names)
    assert "singlewindow/platform/__init__.py" not in names
    assert not any(n.startswith(("platform/", "tenants/", "tests/")) for n in names)


def test_wheel_imports_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = ("import platform, singlewindow.platform.app as a, singlewindow.provisioning.service as p;"
            f" print(platform.system(), a.__file__.startswith({str(target)!r}),"
            " p.available_templates())")
    # A clean interpreter started elsewhere, with only the unpacked wheel added to its path.
    code = f"import sys; sys.path.insert(0, {str(target)!r}); " + code
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "True" in result.stdout and "'ke'" in result.stdout and "'shanghai'" in result.stdout
