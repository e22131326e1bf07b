"""The README's first command, as a user runs it: `singlewindow demo` on the embedded
default, twice on the same database."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="the demo always runs on the embedded default; the SQLite run of the suite covers it")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_runs_end_to_end_and_again(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(SINGLEWINDOW_INSTANCE=str(tmp_path / "instance"),
               SIMULATOR_URL=f"http://127.0.0.1:{free_port()}",
               PASSWORD_HASH_METHOD="pbkdf2:sha256:1000")
    exe = Path(sys.executable).with_name("singlewindow")
    first = subprocess.run([str(exe), "demo"], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=240)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    out = first.stdout
    assert "ke: 9 declared now" in out and "shanghai: 10 declared now" in out
    assert out.count("every one has its final answer") == 2
    assert "RELEASED" in out and "why: Arms and ammunition need an export licence decision" in out
    assert "usage ledger: declarations submitted: 10" in out  # 9 samples + 1 control row
    assert "BAD-07 refused: item 1, hs_code: 380897 does not exist" in out
    assert "http://ke.localhost:5000/" in out and "demo-password" in out
    second = subprocess.run([str(exe), "demo"], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=240)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert "ke: 0 declared now, 9 already declared earlier, 0 refused" in second.stdout
    assert "usage ledger: declarations submitted: 10" in second.stdout  # nothing twice
