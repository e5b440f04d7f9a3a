"""The guided start ("What happened?"): each path ends in the right help with its time limits,
searches filtered by the right categories, and the answers stay out of URLs, cookies and
storage. Bad or missing answers get the question again with a 400, never a 500."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ANSWER_VALUES = {"assault", "sex", "home", "pregnancy", "friend", "yes", "no", "72h", "5d",
                 "later", "unsure"}


def _post(client, locale="en", **answers):
    response = client.post(f"/{locale}/start", data=answers)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    return response, response.get_data(as_text=True)


def _main(html):
    return html[html.index("<main"):html.index("</main>")]


def _searches(html):
    """The categories the results page's search buttons filter by, in order."""
    return re.findall(r'action="/\w+/search"><input type="hidden" name="category" value="([\w-]+)"',
                      html)


def _urls(html):
    return re.findall(r'(?:href|action)="([^"]*)"', html)


def test_first_step_asks_what_happened(client, demo):
    response = client.get("/en/start")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "<h1>What happened?</h1>" in html
    assert "What would you like help with?" in html
    for value in ("assault", "sex", "home", "pregnancy", "friend"):
        assert f'name="topic" value="{value}"' in html
    assert 'method="post" action="/en/start"' in html
    # The first step has no Back and no Start again; the other languages lead to their first step.
    assert ">Back<" not in html and "Start again" not in html
    assert 'href="/fr/start"' in html and 'href="/ar/start"' in html


def test_home_and_nav_link_to_the_guided_start(client, demo):
    html = client.get("/en/").get_data(as_text=True)
    assert '<a href="/en/start">What happened? Find help step by step</a>' in html
    nav = html[html.index('<ul class="main-nav">'):]
    assert 'href="/en/start"' in nav[:nav.index("</ul>")]


def test_sexual_assault_within_72_hours(client, demo):
    response, html = _post(client, topic="assault", step="topic")
    assert response.status_code == 200 and "Are you safe right now?" in html
    assert 'name="topic" value="assault"' in html  # carried forward as a hidden field
    _, html = _post(client, topic="assault", safe="yes", step="safe")
    assert "When did it happen?" in html and "Some care only works for a few days" in html
    response, html = _post(client, topic="assault", safe="yes", when="72h", step="when")
    main = _main(html)
    assert response.status_code == 200 and "What can help now" in main
    assert "is not your fault" in main
    assert "call 911" not in main  # safe now: the results do not open with the alarm
    order = [main.index(text) for text in ("Medical care", "HIV PEP", "Start within 72 hours",
                                           "Emergency contraception", "Within 5 days (120 hours)",
                                           "Forensic exam", "You decide about police")]
    assert order == sorted(order)
    assert _searches(main) == ["pep", "emergency-contraception", "sexual-assault-support",
                               "sti-testing", "crisis-line"]
    assert "604-555-0106" in main  # the crisis lines, on the results too


def test_sexual_assault_3_to_5_days_and_longer(client, demo):
    _, html = _post(client, topic="assault", safe="yes", when="5d", step="when")
    main = _main(html)
    assert "Start within 72 hours" not in main
    assert "PEP must start within 72 hours, so it may be too late" in main
    assert "Within 5 days (120 hours)" in main and "Forensic exam" in main
    _, html = _post(client, topic="assault", safe="yes", when="later", step="when")
    main = _main(html)
    assert "Up to 7 days" in main and "copper IUD" in main
    assert "Within 5 days" not in main and "Forensic exam" not in main
    assert main.index("Support, at any hour") < main.index("Emergency contraception")


def test_not_safe_now_puts_911_first_and_skips_the_timing(client, demo):
    _, html = _post(client, "fr", topic="assault", safe="no", step="safe")
    main = _main(html)
    assert 'href="tel:911"' in main
    assert main.index('href="tel:911"') < main.index('class="guided-steps"')
    # Not asked when: everything time-limited is shown, PEP first among the windows.
    assert "guided-question" not in main
    assert _searches(main)[:2] == ["pep", "emergency-contraception"]


def test_unprotected_sex(client, demo):
    _, html = _post(client, topic="sex", step="topic")
    assert "When did it happen?" in html and "Are you safe" not in html
    _, html = _post(client, topic="sex", when="72h", step="when")
    main = _main(html)
    assert "Within 5 days (120 hours)" in main and "Start within 72 hours" in main
    assert "If there is a chance of HIV" in main
    assert "2 weeks to 3 months after sex" in main
    assert _searches(main)[:3] == ["emergency-contraception", "pep", "sti-testing"]
    _, html = _post(client, topic="sex", when="later", step="when")
    main = _main(html)
    assert "Up to 7 days" in main and "Start within 72 hours" not in main
    assert "Pregnancy test" in main


def test_violence_at_home(client, demo):
    _, html = _post(client, topic="home", step="topic")
    assert "Are you safe right now?" in html
    _, html = _post(client, topic="home", safe="no", step="safe")
    main = _main(html)
    assert "If you are in danger now, call 911." in main
    assert "not ready to leave" in main
    assert _searches(main) == ["crisis-line", "transition-house", "counselling",
                               "legal-advocacy", "crisis-line"]
    assert "protection orders" in main and "safety plan" in main
    assert 'href="/en/pages/intimacy-and-healthy-relationships"' in main
    _, html = _post(client, topic="home", safe="yes", step="safe")
    assert "call 911" not in _main(html)


def test_pregnancy_and_a_friend_need_no_follow_up(client, demo):
    _, html = _post(client, topic="pregnancy", step="topic")
    main = _main(html)
    assert "Every choice is yours" in main
    assert _searches(main)[:3] == ["pregnancy-options", "pregnancy-options", "contraception"]
    assert "up to 9 weeks" in main
    # Back from a one-question path is the first step, a plain link.
    assert '<a class="button-link secondary" href="/en/start">Back</a>' in main
    _, html = _post(client, topic="friend", step="topic")
    main = _main(html)
    assert "If they are in danger now, call 911." in main
    assert "within 72 hours" in main and "up to 5 days" in main
    assert "crisis-line" in _searches(main)


def test_back_posts_the_earlier_answers(client, demo):
    _, html = _post(client, topic="assault", safe="yes", when="72h", step="when")
    back = re.search(r'<form method="post" action="/en/start">(.*?)</form>', _main(html)).group(1)
    fields = dict(re.findall(r'name="(\w+)" value="([\w-]+)"', back))
    assert fields == {"topic": "assault", "safe": "yes", "step": "safe"}
    _, html = _post(client, **fields)
    assert "When did it happen?" in html
    assert 'href="/en/start">Start again</a>' in html


@pytest.mark.parametrize("answers, question", [
    ({}, "topic"),
    ({"step": "topic"}, "topic"),
    ({"topic": "burglary", "step": "topic"}, "topic"),
    ({"topic": ["assault", "sex"], "step": "topic"}, "topic"),
    ({"topic": "assault", "step": "safe"}, "safe"),
    ({"topic": "assault", "safe": "maybe", "step": "safe"}, "safe"),
    ({"topic": "sex", "when": "yesterday", "step": "when"}, "when"),
    ({"topic": "sex"}, "when"),
])
def test_bad_or_missing_answers_ask_again(client, demo, answers, question):
    response, html = _post(client, **answers)
    assert response.status_code == 400
    assert "Please choose one of the answers." in html and 'role="alert"' in html
    assert f'name="{question}" value=' in html and 'class="quick-exit"' in html
    assert f'name="step" value="{question}"' in html


def test_answers_never_reach_a_url(client, demo):
    pages = [_post(client, topic="assault", step="topic")[1],
             _post(client, topic="assault", safe="yes", step="safe")[1],
             _post(client, topic="assault", safe="yes", when="72h", step="when")[1],
             _post(client, topic="home", safe="no", step="safe")[1]]
    for html in pages:
        for url in _urls(html):
            assert not any(value in url for value in ANSWER_VALUES - {"no", "yes"}), url
            assert "?" not in url or url.startswith("tel:"), url
        assert 'name="robots" content="noindex, nofollow"' in html


def test_right_to_left_pages_say_so(client, demo):
    _, html = _post(client, "ar", topic="sex", when="5d", step="when")
    assert '<html lang="ar" dir="rtl">' in html
    assert 'value="emergency-contraception"' in html


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(
    st.sampled_from(["topic", "safe", "when", "step", "category", "q"]),
    st.one_of(st.sampled_from(sorted(ANSWER_VALUES | {"topic", "safe", "when"})),
              st.text(max_size=40),
              st.lists(st.sampled_from(sorted(ANSWER_VALUES)), min_size=2, max_size=3)),
    max_size=5))
def test_any_posted_answers_get_a_page_not_an_error(client, answers):
    response = client.post("/en/start", data=answers)
    assert response.status_code in (200, 400)
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert 'class="quick-exit"' in html and "Traceback" not in html


def test_content_names_categories_and_pages_the_directory_ships():
    """A renamed category code or page slug would silently drop a search button or a link."""
    import json
    from pathlib import Path

    from directory.public import guided

    demo = Path(guided.__file__).parent.parent / "demo"
    codes = {term["code"] for term in json.loads((demo / "taxonomy.json").read_text())}
    slugs = {json.loads(page.read_text())["slug"] for page in (demo / "pages").glob("*.json")}
    used = {action.category for action in guided.ACTIONS.values() if action.category}
    assert used <= codes, used - codes
    for topic, path in guided.PATHS.items():
        assert set(path["pages"]) <= slugs, topic
        for timing, keys in path["actions"].items():
            assert keys and all(key in guided.ACTIONS for key in keys), (topic, timing)
        assert set(path["actions"]) == ({"72h", "5d", "later", "unsure"}
                                        if "when" in path["questions"] else {"any"}), topic
