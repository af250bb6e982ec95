"""A throwaway database seeded at scale through the services, shared by the benchmarks that need one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def bench_work(reuse_dir: Path, *, reuse: bool, orgs: int, periods: int) -> Iterator[Path]:
    """The directory a bench seeds its database in: kept in `reuse_dir` for the next run with
    --reuse, else a scratch directory (pledgeproof-bench-NAME-*) removed afterwards."""
    if reuse:
        yield reuse_dir / f"orgs{orgs}-periods{periods}"
        return
    scratch = Path(tempfile.mkdtemp(prefix=f"pledgeproof-{reuse_dir.name}-"))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
