"""`make run` says where it serves and loads the demo without warning about the index."""

import os
import runpy
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_gunicorn_prints_the_url_it_serves(capsys, monkeypatch):
    monkeypatch.setenv("PORT", "5123")
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.delenv("HOST", raising=False)
    settings = runpy.run_path(os.path.join(ROOT, "gunicorn.conf.py"))
    settings["when_ready"](None)
    assert "http://127.0.0.1:5123/" in capsys.readouterr().out


def test_demo_load_before_the_first_build_does_not_warn(tmp_path, sqlite_template):
    import shutil

    shutil.copy(sqlite_template, tmp_path / "d.db")
    env = dict(os.environ, DIRECTORY_SECRET_KEY="x",
               DIRECTORY_DATABASE_URL=f"sqlite:///{tmp_path / 'd.db'}",
               DIRECTORY_INDEX_DIR=str(tmp_path / "index"))
    with open(os.path.join(ROOT, "Makefile")) as handle:
        makefile = handle.read()
    demo_line = next(line for line in makefile.splitlines() if "demo --if-empty" in line)
    assert "DIRECTORY_SEARCH_SYNC_ON_COMMIT=false" in demo_line
    env["DIRECTORY_SEARCH_SYNC_ON_COMMIT"] = "false"
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "directory", "demo",
                           "--if-empty"], env=env, cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "index not ready" not in done.stdout + done.stderr
    assert "Loaded demo data" in done.stdout
