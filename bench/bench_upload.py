#!/usr/bin/env python
"""Memory used while adding a large evidence file, end to end through `evidence_add`.

Generates a text file on disk (in chunks, so the input never sits in memory), wraps it in a
Django TemporaryUploadedFile as the upload handler would, and adds it as evidence with the size
limit raised. Runs against a throwaway SQLite database and MEDIA_ROOT, prints the figures and
rewrites its own section of docs/benchmarks.md.

    .venv/bin/python bench/bench_upload.py [--size-mb 100] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from _docs import rewrite_section

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench:upload:start -->", "<!-- bench:upload:end -->"
TARGET_MIB = 32
MIB = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=100, help="size of the generated file in MiB")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="pledgeproof-bench-upload-"))
    try:
        _configure(work, limit_mb=args.size_mb * 2)
        item, officer = _fixture()
        timed = _run(item, officer, work, args.size_mb, label="timed", trace=False)
        traced = _run(item, officer, work, args.size_mb, label="traced", trace=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    growth = timed["hwm_growth"] if timed["hwm_growth"] is not None else timed["maxrss_growth"]
    within = growth <= TARGET_MIB * MIB
    section = _section(args.size_mb, timed, traced, within)
    print(section)
    if not args.no_write:
        _rewrite_docs(section)
        print(f"Updated {DOCS.relative_to(ROOT)}")
    return 0 if within else 1


def _configure(work: Path, *, limit_mb: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ["EVIDENCE_MAX_UPLOAD_MB"] = str(limit_mb)
    os.environ["DEBUG"] = "1"
    os.environ["LOG_LEVEL"] = "WARNING"

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def _fixture():
    from accounts.models import User
    from commitments.models import (
        Commitment,
        Framework,
        FrameworkNode,
        Membership,
        Organisation,
        ReportingPeriod,
    )
    from commitments.services.reports import report_create

    framework = Framework.objects.create(
        key="bench", version="1", title="Benchmark framework", levels=["mitigation"], content_sha256="0" * 64
    )
    FrameworkNode.objects.create(
        framework=framework, node_id="bench.m1", kind="mitigation", reportable=True, title="Mitigation one"
    )
    period = ReportingPeriod.objects.create(
        framework=framework,
        label="2026",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
        due_on=datetime.date(2027, 3, 31),
    )
    organisation = Organisation.objects.create(name="Fictional Benchmark Lab", slug="fictional-benchmark-lab")
    Commitment.objects.create(
        organisation=organisation,
        framework=framework,
        signed_on=datetime.date(2024, 4, 23),
        signatory="A. Person",
    )
    officer = User.objects.create_user("officer@bench.example", "not-a-real-password")
    Membership.objects.create(user=officer, organisation=organisation, role=Membership.Role.OFFICER)
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    return report.items.get(), officer


def _generate(upload, size: int, label: str) -> None:
    """Varied UTF-8 lines (some non-ASCII), written a block at a time."""
    lines = []
    n = 0
    while sum(map(len, lines)) < MIB:
        lines.append(
            f"{label} line {n:08d}: reports made to NCMEC 12; Überprüfung abgeschlossen ✓; "
            f"source: trust & safety case system export {n * 7919 % 104729}\n".encode()
        )
        n += 1
    block = b"".join(lines)
    written = 0
    while size - written >= len(block):
        upload.write(block)
        written += len(block)
    if written < size:
        # ASCII padding, so the exact size does not cut a multi-byte character in half.
        upload.write(b"." * (size - written - 1) + b"\n")
        written = size
    upload.flush()
    upload.size = written


def _run(item, officer, work: Path, size_mb: int, *, label: str, trace: bool) -> dict:
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from commitments.services.evidence import evidence_add

    upload = TemporaryUploadedFile(f"bench-{label}.txt", "text/plain", 0, "utf-8")
    _generate(upload, size_mb * MIB, label)

    gc.collect()
    hwm_reset = _reset_peak_rss()
    rss_before = _proc_status("VmRSS")
    maxrss_before = _maxrss()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    evidence = evidence_add(
        item=item,
        acting_user=officer,
        title=f"Benchmark log ({label})",
        effective_date=datetime.date(2026, 3, 1),
        visibility="restricted",
        upload=upload,
    )
    elapsed = time.perf_counter() - started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    maxrss_after = _maxrss()
    hwm_after = _proc_status("VmHWM") if hwm_reset else None
    upload.close()

    stored = work / "media" / evidence.storage_name
    assert stored.stat().st_size == evidence.size_bytes == size_mb * MIB, "stored size differs"
    return {
        "size": evidence.size_bytes,
        "media_type": evidence.media_type,
        "elapsed": elapsed,
        "traced_peak": traced_peak,
        "maxrss_before": maxrss_before,
        "maxrss_after": maxrss_after,
        "maxrss_growth": maxrss_after - maxrss_before,
        "hwm_growth": (hwm_after - rss_before) if hwm_after is not None and rss_before is not None else None,
    }


def _maxrss() -> int:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _proc_status(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """ru_maxrss is a lifetime high-water mark; Linux can reset VmHWM to the current RSS."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _mib(n: int | None) -> str:
    if n is None:
        return "n/a"
    if abs(n) < MIB:
        return f"{n / 1024:.0f} KiB"
    return f"{n / MIB:.1f} MiB"


def _total_memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM, "
    except OSError:
        pass
    return ""


def _section(size_mb: int, timed: dict, traced: dict, within: bool) -> str:
    today = datetime.date.today().isoformat()
    machine = (
        f"{os.cpu_count()} CPUs ({platform.machine()}), {_total_memory()}"
        f"{platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )
    rate = timed["size"] / MIB / timed["elapsed"]
    verdict = "within" if within else "OVER"
    return "\n".join(
        [
            START,
            "## Evidence upload memory",
            "",
            f"`evidence_add` end to end with a {size_mb} MiB generated UTF-8 text file in a Django",
            "`TemporaryUploadedFile` (the upload limit raised for the run), on a throwaway SQLite database",
            "and MEDIA_ROOT. The file is copied in 64 KiB chunks to a scratch file in MEDIA_ROOT while it",
            "is hashed and sniffed, fsynced, then renamed to `evidence/<sha[:2]>/<sha>`.",
            f"Target: peak memory growth at most {TARGET_MIB} MB. Peak RSS growth is VmHWM after the upload",
            "minus VmRSS before it, with VmHWM reset through /proc/self/clear_refs first; ru_maxrss is the",
            "process's lifetime peak and is shown for completeness.",
            "",
            "| measure | result |",
            "|---|---|",
            f"| file | {_mib(timed['size'])}, sniffed as `{timed['media_type']}` |",
            f"| time (without tracemalloc) | {timed['elapsed']:.2f} s ({rate:.0f} MiB/s) |",
            f"| peak RSS growth (VmHWM reset before the upload) | {_mib(timed['hwm_growth'])} |",
            f"| ru_maxrss before → after | {_mib(timed['maxrss_before'])} → {_mib(timed['maxrss_after'])} "
            f"(+{_mib(timed['maxrss_growth'])}) |",
            f"| peak Python allocations (tracemalloc, second run) | {_mib(traced['traced_peak'])} |",
            f"| verdict | {verdict} the {TARGET_MIB} MB target |",
            "",
            f"Measured {today} on {machine}.",
            "Reproduce: `.venv/bin/python bench/bench_upload.py` (`--no-write` leaves this page alone).",
            END,
        ]
    )


def _rewrite_docs(section: str) -> None:
    rewrite_section(START, END, section)


if __name__ == "__main__":
    sys.exit(main())
