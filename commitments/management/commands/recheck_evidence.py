from django.core.management.base import BaseCommand, CommandError

from commitments.errors import UploadRefused
from commitments.evidence_storage import StorageUnavailable, check_stored_blob, storage_check
from commitments.selectors import stored_evidence_files

PROGRESS_EVERY = 100


class Command(BaseCommand):
    help = (
        "Re-check every stored evidence file under the current upload rules and list each one that "
        "would now be refused, with the reason. Changes nothing: the operator decides what to do. "
        "Exits with status 0 when every file passes, 1 when any would be refused or is missing."
    )

    def handle(self, *args, **options):
        try:
            storage_check()  # otherwise every file would be reported missing
        except StorageUnavailable as exc:
            raise CommandError(f"{exc} Nothing was checked.") from None
        # One check per stored file and name suffix: identical uploads share a blob, and only
        # the suffix (.csv, .json, .md) changes what the checks ask of it.
        verdicts: dict[tuple[str, str], str | None] = {}
        rows = refused = missing = 0
        for evidence in stored_evidence_files().iterator(chunk_size=500):
            rows += 1
            key = (evidence.storage_name, _suffix(evidence.original_name))
            if key not in verdicts:
                verdicts[key] = self._check(evidence)
                if len(verdicts) % PROGRESS_EVERY == 0:
                    self.stderr.write(f"Checked {len(verdicts):,} files…")
            reason = verdicts[key]
            if reason is None:
                continue
            if reason == _MISSING:
                missing += 1
            else:
                refused += 1
            report = evidence.item.report
            self.stdout.write(
                f"Evidence #{evidence.pk} · {report.organisation.name} · report {report.reference} "
                f"({report.period}) · “{evidence.title}” · sha256 {evidence.sha256}\n    {reason}"
            )
        summary = (
            f"Checked {len(verdicts):,} stored files ({rows:,} evidence rows): "
            f"{refused:,} would now be refused, {missing:,} missing from storage."
        )
        if refused or missing:
            raise CommandError(f"{summary} Nothing was changed.")
        self.stdout.write(self.style.SUCCESS(f"{summary} All pass."))

    def _check(self, evidence) -> str | None:
        try:
            check_stored_blob(evidence.storage_name, name=evidence.original_name)
        except UploadRefused as refusal:
            return str(refusal)
        except FileNotFoundError:
            return _MISSING
        return None


_MISSING = "The file is missing from storage."


def _suffix(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""
