"""A throwaway database seeded at scale through the services, shared by the benchmarks that need one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=ROOT, env=env)


def prepare_seeded(
    work: Path, env: dict[str, str], *, orgs: int, periods: int, before_seeding: tuple[str, ...] = ()
) -> dict:
    """Migrate, load the frameworks, run the `before_seeding` commands and seed_scale in `work`,
    unless a marker there says a database was seeded already (--reuse). Returns the seconds
    seeding took and whether the database was reused."""
    marker = work / "seeded"
    if marker.exists():
        print(f"Reusing the seeded database in {work}")
        return {"seconds": float(marker.read_text()), "reused": True}
    work.mkdir(parents=True, exist_ok=True)
    (work / "bench.sqlite3").unlink(missing_ok=True)
    shutil.rmtree(work / "media", ignore_errors=True)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_frameworks", "-v0")
    for command in before_seeding:
        manage(env, command)
    print(f"Seeding {orgs} organisations × {periods} periods through the services...")
    started = time.monotonic()
    manage(env, "seed_scale", "--orgs", str(orgs), "--periods", str(periods), "--force")
    seconds = time.monotonic() - started
    marker.write_text(f"{seconds:.1f}")
    return {"seconds": seconds, "reused": False}
