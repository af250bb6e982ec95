# Reviewer queue, the review page of a report and its actions, and a report's history. (Issue 3.)
from django.urls import path

from commitments.views import review

_report = "review/reports/<id:report_id>/"
_item = _report + "items/<id:item_id>/"

urlpatterns: list = [
    path("review/", review.review_queue_view, name="review_queue"),
    path(_report, review.report_review_view, name="report_review"),
    path(_report + "start/", review.review_start_view, name="review_start"),
    path(_report + "verify/", review.review_verify_view, name="review_verify"),
    path(_report + "request-changes/", review.review_request_changes_view, name="review_request_changes"),
    path(_item + "verdict/", review.review_item_verdict_view, name="review_item_verdict"),
    path(_item + "comments/", review.review_item_comment_view, name="review_item_comment"),
    path(_item + "response/", review.review_item_response_view, name="review_item_response"),
    path("reports/<id:report_id>/history/", review.report_history_view, name="report_history"),
]
