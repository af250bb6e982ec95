"""The public transparency log, mounted at /log/ by config.urls (issue 13).

The checkpoint, tile and key paths are those of c2sp.org/tlog-tiles and are pinned by witnesses:
keep them stable. The checkpoint's origin line names this prefix (PLEDGEPROOF_LOG_ORIGIN).
"""

from django.urls import path

from commitments.views import log as views

app_name = "log"
urlpatterns = [
    path("checkpoint", views.checkpoint_view, name="checkpoint"),
    path("key", views.key_view, name="key"),
    path("tile/<path:tile>", views.tile_view, name="tile"),  # <L>/<N>[.p/<W>], parsed by the view
    path("artifact/<str:sha256>", views.artifact_entry_view, name="artifact"),  # Pledgeproof's addition
    path("proof/inclusion/<str:sequence>", views.inclusion_proof_view, name="inclusion"),
    path("proof/consistency", views.consistency_proof_view, name="consistency"),
]
