"""A report's ledger entries, each with its inclusion proof in the transparency log.

For those who may see the report (the gate's READ, as the web history page asks it). Each entry
reads as the history page shows it to that reader (commitments.selectors_review.report_history):
who, what, and the summary of its payload in words; the payload itself is not given, since it can
hold what the page does not show (an auditor's workpaper, a restricted file's title). The entry's
hash and the previous one's are given, and, for every entry the latest signed checkpoint covers,
its RFC 6962 / RFC 9162 inclusion proof in that checkpoint's tree: with the checkpoint's text and
the log's key, anyone can check that the log holds the entry, and so that no one can remove it
unnoticed. Entries newer than the checkpoint have no proof until the next one is signed.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response

from api.apis.public import SignedCheckpointOutput, checkpoint_representation
from api.filters import OneOfFilter, StrictFilterBackend, StrictFilterSet
from api.schema import READ, problems
from commitments import access
from commitments.access import Action
from commitments.models import LedgerEntry
from commitments.selectors_review import report_history, reports_for_review
from commitments.services.ledger import tree
from commitments.services.ledger.checkpoints import checkpoint_latest
from commitments.vocabulary import LedgerEvent


class InclusionProofOutput(serializers.Serializer):
    leaf_index = serializers.IntegerField(help_text="The entry's sequence - 1: leaves count from 0.")
    tree_size = serializers.IntegerField(help_text="The size of the signed checkpoint's tree.")
    root = serializers.CharField(help_text="The checkpoint's root hash, hex.")
    hashes = serializers.ListField(
        child=serializers.CharField(),
        help_text="The audit path, hex, leaf upwards (RFC 9162 section 2.1.3). The leaf is the entry hash.",
    )


class LedgerEntryOutput(serializers.Serializer):
    sequence = serializers.IntegerField(help_text="The entry's position in the whole ledger, from 1.")
    event = serializers.ChoiceField(choices=LedgerEvent.choices)
    label = serializers.CharField(help_text="The event in words, as the history page names it.")
    time = serializers.DateTimeField(allow_null=True)
    actor = serializers.CharField(help_text="Who acted, as the history page shows them; `system` for no one.")
    node = serializers.CharField(help_text="The item's node id, for an entry about one item.")
    node_title = serializers.CharField()
    summary = serializers.CharField(help_text="What the entry records, as the history page says it.")
    entry_hash = serializers.CharField(help_text="SHA-256(previous hash || payload), hex: the log's leaf.")
    prev_hash = serializers.CharField()
    inclusion_proof = InclusionProofOutput(
        allow_null=True, help_text="Null for an entry the latest signed checkpoint does not cover yet."
    )


@extend_schema_serializer(many=False)  # the page itself: not to be wrapped as a list again
class LedgerPageOutput(serializers.Serializer):
    """A cursor page of entries, with the signed checkpoint their proofs are against."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = LedgerEntryOutput(many=True)
    checkpoint = SignedCheckpointOutput(
        allow_null=True, help_text="The latest signed checkpoint; null before the first."
    )


class LedgerEntryFilter(StrictFilterSet):
    event = OneOfFilter(choices=LedgerEvent.choices, help_text="Only entries of this event.")

    class Meta:
        model = LedgerEntry
        fields = ["event"]


ENTRY_EXAMPLE = {
    "sequence": 1207,
    "event": LedgerEvent.REPORT_SUBMITTED.value,
    "label": LedgerEvent.REPORT_SUBMITTED.label,
    "time": "2026-01-30T09:12:44Z",
    "actor": "officer@northwind.example",
    "node": "",
    "node_title": "",
    "summary": "Revision 1, content sha256 2f1a9c0d4e5b…",
    "entry_hash": "6b1c…",
    "prev_hash": "c0de…",
    "inclusion_proof": {
        "leaf_index": 1206,
        "tree_size": 1234,
        "root": "ab4642…",
        "hashes": ["91fe…", "03aa…"],
    },
}


PAGE_EXAMPLE = {
    "next": "https://pledgeproof.example/api/v1/reports/42/ledger/?cursor=cD0xMjA3",
    "previous": None,
    "results": [ENTRY_EXAMPLE],
    "checkpoint": {
        "text": "pledgeproof.example/log\n1234\nq0ZC…=\n\n— pledgeproof.example/log Az3r…\n",
        "origin": "pledgeproof.example/log",
        "tree_size": 1234,
        "root": "ab4642…",
        "extensions": [],
    },
}


@extend_schema(
    tags=["ledger"],
    responses={200: LedgerPageOutput, **problems(*READ)},
    examples=[OpenApiExample("A page of entries and their proofs", value=PAGE_EXAMPLE, response_only=True)],
)
class ReportLedgerListApi(generics.ListAPIView):
    """The report's ledger entries in order (its history), each with its inclusion proof.

    For anyone who may see the report; to others it is not found, like an id never issued.
    Check a proof as an outside client would: verify `checkpoint.text` with the log's key
    (/log/key, pinned), then RFC 9162's inclusion check of the leaf `entry_hash` at
    `leaf_index` in the tree of `tree_size`, against the checkpoint's root
    (tools/tlog/merkle.py `verify_inclusion` does it).
    """

    serializer_class = LedgerEntryOutput
    filter_backends = [StrictFilterBackend]
    filterset_class = LedgerEntryFilter
    queryset = LedgerEntry.objects.none()  # for the schema; the report's own below
    ordering = ("sequence",)

    def get_queryset(self):
        self.report = access.report_for(
            self.request.user, self.kwargs["pk"], action=Action.READ, queryset=reports_for_review()
        )
        return LedgerEntry.objects.of_report(self.report.pk)

    def list(self, request, *args, **kwargs):
        entries = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        checkpoint = checkpoint_latest()
        size = checkpoint.size if checkpoint is not None else 0
        covered = [entry.sequence - 1 for entry in entries if entry.sequence <= size]
        proofs = tree.tree_inclusion_proofs(indexes=covered, size=size) if covered else {}
        root = bytes(checkpoint.root).hex() if checkpoint is not None else ""
        rows = []
        for row in report_history(report=self.report, entries=entries):
            proof = proofs.get(row.sequence - 1)
            rows.append(
                {
                    **vars(row),
                    "inclusion_proof": None
                    if proof is None
                    else {
                        "leaf_index": row.sequence - 1,
                        "tree_size": size,
                        "root": root,
                        "hashes": [node.hex() for node in proof],
                    },
                }
            )
        page = {
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "results": rows,
            "checkpoint": checkpoint_representation(checkpoint.note) if checkpoint is not None else None,
        }
        return Response(LedgerPageOutput(page).data)


urlpatterns: list = [
    path("reports/<id:pk>/ledger/", ReportLedgerListApi.as_view(), name="report-ledger"),
]
