"""Staff accounts and signed-in clients for the admin tests."""

from __future__ import annotations

import pytest
from admin.staff import ROLES, FreshClient, make_user, sign_in

# Flask-Admin 2.2's select fields still use (value, label) tuples, which WTForms 3.3 deprecates.
FLASK_ADMIN_WARNINGS = ("ignore:Yielding raw tuples from iter_choices:DeprecationWarning",
                        "ignore:Passing SelectField choices as tuples:DeprecationWarning")


def pytest_collection_modifyitems(config, items):
    here = str(__import__("pathlib").Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            for spec in FLASK_ADMIN_WARNINGS:
                item.add_marker(pytest.mark.filterwarnings(spec))


@pytest.fixture
def app_config(app_config, tmp_path):
    """Cheap argon2 parameters (the tests sign in often) and uploads kept in tmp_path."""
    return {**app_config, "ADMIN_UPLOAD_DIR": str(tmp_path / "admin-imports"),
            # The back office reads the database; files whose tests search turn this back on.
            "SEARCH_SYNC_ON_COMMIT": False,
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS": {
                "argon2__memory_cost": 1024, "argon2__rounds": 1, "argon2__parallelism": 1}}


@pytest.fixture
def fresh_clients(app):
    from directory.extensions import limiter

    app.test_client_class = FreshClient
    limiter.reset()  # the in-memory sign-in counts outlive the app of an earlier test


@pytest.fixture
def staff(app, fresh_clients) -> dict[str, str]:
    """One account per role: role -> email."""
    accounts = {role: f"{role}@example.org" for role in ROLES}
    for role, email in accounts.items():
        make_user(email, role)
    return accounts


@pytest.fixture
def signed_in(app, staff):
    """A factory of test clients signed in as a role."""

    def _client(role: str):
        client = app.test_client()
        response = sign_in(client, staff[role])
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
        return client

    return _client
