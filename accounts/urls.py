from django.urls import path

from accounts import second_factor_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("second-factor/", second_factor_views.second_factor_verify_view, name="second_factor_verify"),
    path("second-factor/set-up/", second_factor_views.second_factor_enrol_view, name="second_factor_enrol"),
    path("second-factor/recovery-codes/", second_factor_views.recovery_codes_view, name="recovery_codes"),
    path("second-factor/reset/", second_factor_views.second_factor_reset_view, name="second_factor_reset"),
    path("security/", second_factor_views.security_view, name="security"),
    path(
        "security/recovery-codes/",
        second_factor_views.recovery_codes_regenerate_view,
        name="recovery_codes_regenerate",
    ),
    path(
        "security/turn-off/", second_factor_views.second_factor_turn_off_view, name="second_factor_turn_off"
    ),
    path("invitations/", views.invite, name="invite"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
]
