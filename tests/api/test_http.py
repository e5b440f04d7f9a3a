"""Search endpoint, CORS, conditional requests and rate limits, over the real app."""

import uuid

import pytest
from factories import make_service, uid

from directory import create_app
from directory.extensions import db


@pytest.fixture
def listing(app, index):
    return make_service()


@pytest.fixture
def new_app(app_config):
    """``new_app(**settings)``: another app (a worker) on the test's database, cleaned up after."""
    made = []

    def make(**settings):
        made.append(create_app({**app_config, **settings}))
        return made[-1]

    yield make
    for extra in made:
        with extra.app_context():
            db.session.remove()
            db.engine.dispose()


def test_search_get_and_post_in_french_with_facets(client, listing, conforms):
    body = conforms(client.get("/api/v1/search?q=ligne%20de%20crise&locale=fr"), "/search")
    hit = body["contents"][0]
    assert hit["name"] == "Ligne de crise Harbour pour femmes" and not hit["fallback"]
    assert hit["url"].endswith(f"/fr/services/{listing.id}")
    assert "flag" in body["facets"]
    posted = client.post("/api/v1/search", json={"q": "ligne de crise", "locale": "fr",
                                                  "flag": ["crisis_line"], "facets": False})
    assert conforms(posted, "/search", "post")["total_items"] == 1
    assert posted.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in posted.headers


def test_post_search_needs_no_csrf_token(new_app, listing):
    other = new_app(WTF_CSRF_ENABLED=True)
    response = other.test_client().post("/api/v1/search", json={"q": "crisis"})
    assert response.status_code == 200


@pytest.mark.parametrize("payload,field", [
    ({"q": 5}, "q"), ({"flag": ["not-a-flag"]}, "flag"), ({"sort": "distance"}, "near"),
    ({"lat": 49}, "lat"), ({"per_page": 0}, "per_page"), ({"locale": "klingon"}, "locale"),
])
def test_search_errors_are_clear_json(client, listing, conforms, payload, field):
    response = client.post("/api/v1/search", json=payload)
    assert response.status_code == 400
    assert conforms(response, "/search", "post")["field"] == field
    not_json = client.post("/api/v1/search", data="q=x",
                           content_type="application/x-www-form-urlencoded")
    assert not_json.status_code == 400 and not_json.get_json()["field"] == "body"


def test_cors_allows_any_origin_without_credentials(client, listing):
    response = client.get("/api/v1/services", headers={"Origin": "https://partner.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.options("/api/v1/search", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Content-Type" in preflight.headers["Access-Control-Allow-Headers"]


def test_etag_and_last_modified_answer_304_until_something_changes(client, listing):
    url = f"/api/v1/services/{listing.id}"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    from directory import operations
    from directory.extensions import db

    with operations.acting_as("t"):
        operations.update_service(listing.id, {"name": "Harbour Crisis Line (renamed)"})
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "renamed" in changed.get_json()["name"]


def test_rate_limit_is_json_and_a_forged_forwarded_for_does_not_reset_it(new_app):
    client = new_app(RATELIMIT_API="3 per minute").test_client()
    for _ in range(3):
        assert client.get("/api/v1/").status_code == 200
    blocked = client.get("/api/v1/", headers={"X-Forwarded-For": "203.0.113.9"})
    assert blocked.status_code == 429
    assert blocked.get_json()["status"] == 429 and "Retry-After" in blocked.headers
    # Another address is counted on its own.
    other = client.get("/api/v1/", environ_overrides={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 200


def test_rate_limit_is_shared_through_redis_by_two_workers(new_app):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, socket_timeout=0.5).ping()
    except Exception:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    shared = {"RATELIMIT_API": "4 per minute", "REDIS_URL": "redis://127.0.0.1:6379/15",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    workers = [new_app(**shared).test_client() for _ in range(2)]
    statuses = [workers[i % 2].get("/api/v1/", environ_overrides={"REMOTE_ADDR": address})
                .status_code for i in range(6)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_api_sets_no_cookie_and_tight_headers(client, listing):
    response = client.get(f"/api/v1/services/{listing.id}?locale=fr")
    assert "Set-Cookie" not in response.headers
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert "Accept-Language" in response.headers["Vary"]
    assert client.get(f"/api/v1/services/{uid()}").headers["Cache-Control"] == "no-store"
