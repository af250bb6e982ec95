#!/usr/bin/env python
"""Signed PDF rendering: the audit report against WeasyPrint alone, and the program summary at scale.

Builds a throwaway SQLite database (migrate, load_frameworks, a local signing key,
`seed_scale --orgs 200 --periods 4`; --reuse keeps it in var/bench-pdf/), adds one fictional
organisation whose verified report has 21 items and 60 evidence entries, all through the
services, then measures in fresh child processes:

- audit report: our whole rendering (`artifact_render`: build the context and manifest, render
  PDF/A-3b with WeasyPrint, sign with pyHanko, hash, store, ledger entry) against WeasyPrint alone
  rendering the same HTML with the same options; the median of --rounds interleaved runs each.
  Target: ours at most 1.3 × WeasyPrint alone.
- program summary of the period at 200 organisations: wall time and the process's peak memory
  (ru_maxrss, everything the process ever held, Django included). Targets: under 60 s and 1 GB.

Prints the figures and rewrites its own section of docs/benchmarks.md.

    .venv/bin/python bench/bench_pdf.py [--orgs 200] [--periods 4] [--rounds 5] [--reuse] [--no-write]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _docs import machine_text, rewrite_section  # noqa: E402
from _seeded import bench_work, prepare_seeded  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
REUSE_DIR = ROOT / "var" / "bench-pdf"
START, END = "<!-- bench:pdf:start -->", "<!-- bench:pdf:end -->"
AUDIT_TARGET_RATIO = 1.3
SUMMARY_TARGET_SECONDS = 60
SUMMARY_TARGET_BYTES = 1024**3
AUDIT_ORG = "Fictional Audit Bench Lab"
EVIDENCE_COUNT = 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--periods", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved audit-report runs; medians count")
    parser.add_argument("--reuse", action="store_true", help=f"keep the seeded database in {REUSE_DIR}")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    parser.add_argument("--child", choices=["fixture", "audit", "summary"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args)

    with bench_work(REUSE_DIR, reuse=args.reuse, orgs=args.orgs, periods=args.periods) as work:
        env = _environment(work)
        seeded = prepare_seeded(
            work, env, orgs=args.orgs, periods=args.periods, before_seeding=("init_signing_key",)
        )
        _run_child(env, "fixture", args)
        audit = _run_child(env, "audit", args)
        summary = _run_child(env, "summary", args)

    section = _section(audit, summary, seeded, args)
    print(section)
    if not args.no_write:
        rewrite_section(START, END, section)
        print(f"Updated {DOCS.relative_to(ROOT)}")
    met = (
        audit["ratio"] <= AUDIT_TARGET_RATIO
        and summary["seconds"] < SUMMARY_TARGET_SECONDS
        and summary["peak_bytes"] < SUMMARY_TARGET_BYTES
    )
    return 0 if met else 1


def _environment(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"sqlite:///{work / 'bench.sqlite3'}",
        MEDIA_ROOT=str(work / "media"),
        PLEDGEPROOF_SIGNING_DIR=str(work / "signing"),
        DEBUG="1",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        PDF_RENDER_ON_PUBLISH="0",  # seeding publishes hundreds of reports; PDFs are measured below
    )
    for name in ("CACHE_URL", "CELERY_BROKER_URL", "PLEDGEPROOF_SIGNING_KEY", "PLEDGEPROOF_SIGNING_CERT"):
        env.pop(name, None)
    env.pop("PLEDGEPROOF_SIGNING_CHAIN", None)
    return env


def _run_child(env: dict[str, str], what: str, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--child", what, "--rounds", str(args.rounds)]
    result = subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- child processes -------------------------------------------------------------------------------------


def _child(args: argparse.Namespace) -> int:
    import django

    django.setup()
    result = {"fixture": _child_fixture, "audit": _child_audit, "summary": _child_summary}[args.child](args)
    print(json.dumps(result))
    return 0


def _latest_period():
    from commitments.models import ReportingPeriod

    return ReportingPeriod.objects.filter(framework__key="sbd").order_by("-starts_on", "-pk").first()


def _child_fixture(args: argparse.Namespace) -> dict:
    """One verified report with 21 items and 60 evidence entries, through the services (once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import User
    from commitments.models import Commitment, Evidence, Membership, Organisation, ReportStatus
    from commitments.services.evidence import evidence_add
    from commitments.services.reports import MetricInput, item_update, report_create
    from commitments.services.reviews import comment_add
    from demo.walk import People, every_item_verified, report_walk

    if Organisation.objects.filter(name=AUDIT_ORG).exists():
        return {"created": False}
    period = _latest_period()
    organisation = Organisation.objects.create(name=AUDIT_ORG, slug="fictional-audit-bench-lab")
    Commitment.objects.create(
        organisation=organisation,
        framework=period.framework,
        signed_on=datetime.date(2024, 4, 23),
        signatory="A. Person",
    )
    officer = User.objects.create_user("officer@audit-bench.example", "not-a-real-password")
    Membership.objects.create(user=officer, organisation=organisation, role=Membership.Role.OFFICER)
    reviewer = User.objects.create_user(
        "reviewer@audit-bench.example", "not-a-real-password", platform_role=User.PlatformRole.REVIEWER
    )
    report = report_create(organisation=organisation, period=period, acting_user=officer)
    items = list(
        report.items.select_related("node").prefetch_related("node__metrics").order_by("node__position")
    )
    for item in items:
        item_update(
            item=item,
            acting_user=officer,
            expected_version=item.version,
            status="implemented",
            narrative=(
                f"**{item.node.title}**: policy adopted, enforced and measured.\n\n"
                "- owner: trust & safety\n- review: quarterly"
            ),
            metrics={
                m.key: MetricInput(value=12, data_source="Case system export")
                for m in item.node.metrics.all()
            },
        )
    for n in range(EVIDENCE_COUNT):
        item = items[n % len(items)]
        restricted = n % 2 == 1
        common = {
            "item": item,
            "acting_user": officer,
            "title": f"{'Internal' if restricted else 'Public'} evidence {n + 1} for {item.node.node_id}",
            "effective_date": datetime.date(2026, 1, 1) + datetime.timedelta(days=n),
            "visibility": Evidence.Visibility.RESTRICTED if restricted else Evidence.Visibility.PUBLIC,
        }
        if n % 3 == 0:
            evidence_add(**common, url=f"https://example.test/evidence/{n}")
        else:
            text = f"Evidence document {n}\n" + "Measured outcome line.\n" * 200
            evidence_add(**common, upload=SimpleUploadedFile(f"evidence-{n}.txt", text.encode()))

    def comments(report):
        for item in report.items.select_related("node"):
            comment_add(
                item=item, acting_user=reviewer, body=f"Checked the evidence for {item.node.node_id}."
            )

    report = report_walk(
        report,
        to=ReportStatus.VERIFIED,
        by=People(officer=officer, reviewer=reviewer),
        review=comments,
        verdict=every_item_verified("Documents seen and consistent."),
    )
    return {"created": True, "report": report.pk}


def _peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def _weasyprint_alone(artifact) -> float:
    """WeasyPrint rendering the same HTML with the same options (tagged PDF/A-3b on PDF 1.7, the
    manifest attached); our finisher (reports/pdf/render.py) counts as ours."""
    from weasyprint import HTML, Attachment

    from commitments.services.ledger import canonical_json
    from reports.pdf.documents import document_build
    from reports.pdf.render import PDF_VARIANT, PDF_VERSION, STATIC_BASE, StaticOnlyFetcher
    from reports.pdf.signing import signing_material

    document = document_build(artifact, signer_fingerprint=signing_material().signer_fingerprint)
    manifest = canonical_json(document.manifest).encode()
    fetcher = StaticOnlyFetcher()
    started = time.perf_counter()
    HTML(string=document.html, base_url=STATIC_BASE, url_fetcher=fetcher).write_pdf(
        pdf_variant=PDF_VARIANT,
        pdf_version=PDF_VERSION,
        pdf_tags=True,
        attachments=[
            Attachment(string=manifest, name="manifest.json", relationship="Data", url_fetcher=fetcher)
        ],
    )
    return time.perf_counter() - started


def _ours(kind: str, **target) -> tuple[float, object]:
    from reports.pdf.services import artifact_render, artifact_request

    artifact = artifact_request(kind=kind, acting_user=None, queue=False, **target)
    started = time.perf_counter()
    artifact = artifact_render(artifact.pk)
    seconds = time.perf_counter() - started
    if artifact.status != "ready":
        raise SystemExit(f"{artifact.document_id} failed: {artifact.failure_reason}")
    return seconds, artifact


def _child_audit(args: argparse.Namespace) -> dict:
    from commitments.models import ProgressReport

    report = ProgressReport.objects.get(organisation__name=AUDIT_ORG)
    ours, alone, artifact = [], [], None
    _ours("audit", report=report)  # warm-up: imports, fonts, template loading
    for _ in range(args.rounds):
        seconds, artifact = _ours("audit", report=report)
        ours.append(seconds)
        alone.append(_weasyprint_alone(artifact))
    return {
        "ours": statistics.median(ours),
        "alone": statistics.median(alone),
        "ratio": statistics.median(ours) / statistics.median(alone),
        "ours_all": ours,
        "alone_all": alone,
        "pages": _pages(artifact),
        "size": artifact.size_bytes,
        "items": report.items.count(),
        "evidence": sum(item.evidence.count() for item in report.items.all()),
        "peak_bytes": _peak_bytes(),
    }


def _child_summary(args: argparse.Namespace) -> dict:
    from commitments.models import Commitment

    period = _latest_period()
    started = time.perf_counter()
    seconds, artifact = _ours("summary", period=period)
    total = time.perf_counter() - started
    return {
        "seconds": total,
        "render_seconds": seconds,
        "peak_bytes": _peak_bytes(),
        "pages": _pages(artifact),
        "size": artifact.size_bytes,
        "organisations": Commitment.objects.filter(framework=period.framework).count(),
        "period": period.label,
    }


def _pages(artifact) -> int:
    from pypdf import PdfReader

    from reports.pdf.services import artifact_open

    with artifact_open(artifact) as handle:
        return len(PdfReader(handle).pages)


# --- report ---------------------------------------------------------------------------------------------


def _section(audit: dict, summary: dict, seeded: dict, args: argparse.Namespace) -> str:
    mib = 1024 * 1024
    ok = lambda met: "met" if met else "NOT met"  # noqa: E731
    runs = lambda values: ", ".join(f"{v:.2f}" for v in values)  # noqa: E731
    return f"""{START}
## Signed PDF reports (issue 5)

Measured {datetime.date.today().isoformat()} by `bench/bench_pdf.py --rounds {args.rounds}` on
{machine_text()}; SQLite, seeded with `seed_scale --orgs {args.orgs} --periods {args.periods}`
({"reused" if seeded["reused"] else f"{seeded['seconds']:.0f} s"}). Each figure comes from a fresh process.

| Figure | Result | Target | |
|---|---|---|---|
| Audit report ({audit["items"]} items, {audit["evidence"]} evidence entries, {audit["pages"]} pages, {audit["size"] / 1024:.0f} KiB): our rendering, median | {audit["ours"]:.2f} s | | |
| WeasyPrint alone, same HTML and options, median | {audit["alone"]:.2f} s | | |
| **Ours ÷ WeasyPrint alone** | **{audit["ratio"]:.2f}** | ≤ {AUDIT_TARGET_RATIO} | {ok(audit["ratio"] <= AUDIT_TARGET_RATIO)} |
| Program summary, {summary["organisations"]} organisations, period {summary["period"]} ({summary["pages"]} pages, {summary["size"] / 1024:.0f} KiB): wall time | **{summary["seconds"]:.1f} s** | < {SUMMARY_TARGET_SECONDS} s | {ok(summary["seconds"] < SUMMARY_TARGET_SECONDS)} |
| Program summary: peak memory of the process (ru_maxrss) | **{summary["peak_bytes"] / mib:.0f} MiB** | < 1 GiB | {ok(summary["peak_bytes"] < SUMMARY_TARGET_BYTES)} |

"Our rendering" is `artifact_render`: build the context and manifest from the database, render
PDF/A-3b with the manifest attached, sign (PAdES certification), hash, store, append the ledger
entry. Runs (s): ours {runs(audit["ours_all"])}; WeasyPrint alone {runs(audit["alone_all"])}.
{END}"""


if __name__ == "__main__":
    sys.exit(main())
