"""The widget's script, configuration and iframe page over HTTP."""

import gzip

import pytest

from directory import models as m
from directory.extensions import db
from directory.widget import embed_code

PARTNER_ORIGIN = "https://partner.example.org"


@pytest.fixture
def partner(app):
    record = m.Partner(key="riverside", name="Riverside Health",
                       allowed_origins=f"{PARTNER_ORIGIN} https://www.partner.example.org",
                       preset_locale="fr", preset_category="sti-testing",
                       theme={"color": "#0a7a3d"}, active=True)
    db.session.add(record)
    db.session.commit()
    return record


def test_script_is_small_dependency_free_javascript(client):
    response = client.get("/widget.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    source = response.get_data()
    assert len(gzip.compress(source, 9)) < 6 * 1024
    for forbidden in (b"localStorage", b"sessionStorage", b"document.cookie", b"import ",
                      b"indexedDB", b"http://", b"https://"):
        assert forbidden not in source.split(b"*/", 1)[1], forbidden


def test_config_gives_presets_and_translated_labels_to_the_partners_own_pages(client, partner):
    response = client.get("/widget/config/riverside.json", headers={"Origin": PARTNER_ORIGIN})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PARTNER_ORIGIN
    config = response.get_json()
    assert config["locale"] == "fr" and config["category"] == "sti-testing"
    assert config["theme"] == {"color": "#0a7a3d"}
    assert config["exit_url"].endswith("/exit")
    overridden = client.get("/widget/config/riverside.json?locale=es&category=shelter",
                            headers={"Origin": PARTNER_ORIGIN}).get_json()
    assert overridden["locale"] == "es" and overridden["category"] == "shelter"


def test_config_is_refused_to_other_sites_and_for_inactive_partners(client, partner):
    refused = client.get("/widget/config/riverside.json",
                         headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    partner.active = False
    db.session.commit()
    assert client.get("/widget/config/riverside.json").status_code == 404
    assert client.get("/embed/riverside").status_code == 404


def test_embed_may_be_framed_only_by_the_partners_origins(client, partner):
    response = client.get("/embed/riverside")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith(
        f"frame-ancestors 'self' {PARTNER_ORIGIN} https://www.partner.example.org")
    assert "X-Frame-Options" not in response.headers
    assert 'data-partner="riverside"' in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    # Every other page still refuses to be framed.
    assert client.get("/api/v1/").headers["X-Frame-Options"] == "DENY"


def test_embed_code_is_one_script_tag(app, partner):
    with app.test_request_context(base_url="https://directory.example"):
        code = str(embed_code(partner))
    assert code == ('<script src="https://directory.example/widget.js" '
                    'data-partner="riverside" data-locale="fr" async></script>')


def test_config_labels_cover_status_contact_and_see_all(client, partner):
    config = client.get("/widget/config/riverside.json",
                        headers={"Origin": PARTNER_ORIGIN}).get_json()
    labels = config["labels"]
    assert labels["see_all"] == "Voir les %(n)s résultats"
    assert "%(shown)s" in labels["showing"] and "%(n)s" in labels["showing"]
    assert labels["open_now"] and labels["closed"] and labels["text_ok"] and labels["tty"]


def test_embed_page_speaks_the_widgets_language(client, partner):
    html = client.get("/embed/riverside", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert '<html lang="fr" dir="ltr">' in html
    assert "Chercher dans le répertoire" in html
