"""scripts/setup_system.sh: quiet when the Debian packages are there, installs them as
root, and otherwise stops with one line naming the command to run."""

import os
import shutil
import stat
import subprocess
import tempfile

import pytest

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "scripts", "setup_system.sh")
ABSENT = "keras-margin-test-absent-package"


def _run(script, env, user_command=()):
    return subprocess.run([*user_command, "bash", script], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def readable_script():
    """A copy of the script that any user can read (the checkout may not be)."""
    folder = tempfile.mkdtemp()
    os.chmod(folder, 0o755)
    try:
        yield shutil.copy(SCRIPT, folder)
    finally:
        shutil.rmtree(folder)


def _as_unprivileged_user():
    """Runs a command as `nobody` when this process is root, else as this user."""
    if os.geteuid() != 0:
        return ()
    return ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")


def test_a_non_root_user_is_told_the_one_command_to_run(readable_script):
    env = {"KERAS_MARGIN_SYSTEM_PACKAGES": f"bash {ABSENT}",
           "KERAS_MARGIN_UNPACKED_PACKAGES": f"{ABSENT}-data:/nonexistent/file"}
    result = _run(readable_script, env, _as_unprivileged_user())
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert f"missing Debian packages: {ABSENT} {ABSENT}-data;" in lines[0]
    assert f"run: sudo {readable_script}" in lines[0]
    assert f"apt-get install -y --no-install-recommends {ABSENT};" in lines[0]
    assert f"apt-get download {ABSENT}-data && dpkg -x {ABSENT}-data_*.deb /" in lines[0]
    assert " bash" not in lines[0]  # installed, so not named


def test_nothing_is_done_when_everything_is_present(readable_script):
    env = {"KERAS_MARGIN_SYSTEM_PACKAGES": "bash dpkg",
           "KERAS_MARGIN_UNPACKED_PACKAGES": f"bash-data:{shutil.which('bash')}"}
    result = _run(readable_script, env, _as_unprivileged_user())
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_root_installs_the_missing_packages_and_unpacks_the_others(tmp_path):
    # Stand-ins for root's tools: `id` says root, apt-get and dpkg record their calls.
    bin_folder, log, unpacked = tmp_path / "bin", tmp_path / "calls", tmp_path / "unpacked"
    bin_folder.mkdir()
    tools = {
        "id": "echo 0",
        "dpkg-query": "exit 1",  # nothing is installed
        "apt-get": f'echo "apt-get $*" >> {log}; [ "$1" != download ] || touch "$3"_1.0_all.deb',
        "dpkg": f'echo "dpkg $*" >> {log}; touch {unpacked}',
    }
    for name, body in tools.items():
        path = bin_folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    result = _run(SCRIPT, {"PATH": f"{bin_folder}:{os.environ['PATH']}",
                   "KERAS_MARGIN_SYSTEM_PACKAGES": f"{ABSENT} {ABSENT}-2",
                   "KERAS_MARGIN_UNPACKED_PACKAGES": f"{ABSENT}-data:{unpacked}"})
    assert result.returncode == 0, result.stderr
    assert log.read_text().splitlines() == [
        "apt-get update -qq",
        f"apt-get install -y -qq --no-install-recommends {ABSENT} {ABSENT}-2",
        f"apt-get download -qq {ABSENT}-data",
        f"dpkg -x {ABSENT}-data_1.0_all.deb /",
    ]


def test_the_script_installs_every_font_package_of_the_glyphs_dataset():
    from keras_margin.data.sources import glyph_fonts

    with open(SCRIPT) as file:
        default_list = file.read().split("KERAS_MARGIN_SYSTEM_PACKAGES-", 1)[1].split("}", 1)[0]
    assert set(glyph_fonts.FONT_PACKAGES) <= set(default_list.replace("\\", " ").strip('"').split())
