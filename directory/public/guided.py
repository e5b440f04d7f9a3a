"""The guided start: "What happened?" A few plain questions, one page each, then the help that
fits, with its time limits in order.

Privacy: every step after the first is a POST carrying the earlier answers as hidden fields, so
answers never reach the URL, the history or a log line; nothing is stored and no cookie is set.
The content (questions, answers, the help each path shows) is the data below: to change what a
path says, edit ``QUESTIONS``, ``ACTIONS`` or ``PATHS`` and run ``make translations``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import make_response, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from .. import models as m
from ..extensions import db
from .views import crisis_lines, current_locale, no_store

TOPICS = (("assault", _l("I was sexually assaulted, or I think I may have been")),
          ("sex", _l("I had sex without a condom, or a condom broke")),
          ("home", _l("Someone at home hurts, scares or controls me")),
          ("pregnancy", _l("I am pregnant, or might be, and want to know my options")),
          ("friend", _l("I am worried about a friend or family member")))
SAFE = (("yes", _l("Yes, I am safe right now")),
        ("no", _l("No, or I am not sure")))
WHEN = (("72h", _l("In the last 72 hours (3 days)")),
        ("5d", _l("3 to 5 days ago")),
        ("later", _l("More than 5 days ago")),
        ("unsure", _l("I am not sure")))

QUESTIONS: dict[str, dict[str, Any]] = {
    "topic": {"legend": _l("What would you like help with?"), "options": TOPICS, "hint": None},
    "safe": {"legend": _l("Are you safe right now?"), "options": SAFE, "hint": None},
    "when": {"legend": _l("When did it happen?"), "options": WHEN,
             "hint": _l("Some care only works for a few days. Your answer shows what still "
                        "applies.")},
}


@dataclass(frozen=True)
class Action:
    """One piece of help on a results page: what, its time window, and where to find it."""

    title: Any
    text: Any
    window: Any = None
    category: str | None = None  # a taxonomy code: the button runs a search filtered by it


ACTIONS = {
    "medical": Action(_l("Medical care"), _l(
        "A hospital emergency department is open day and night. You can bring someone you "
        "trust."), _l("As soon as you can")),
    "pep": Action(_l("HIV PEP"), _l(
        "Medicine that can prevent HIV. The sooner you start, the better. Ask for it at an "
        "emergency department."), _l("Start within 72 hours"), "pep"),
    "pep_if_risk": Action(_l("HIV PEP"), _l(
        "If there is a chance of HIV, ask for PEP at an emergency department now. It can "
        "prevent HIV."), _l("Start within 72 hours"), "pep"),
    "ec": Action(_l("Emergency contraception"), _l(
        "If pregnancy is possible. Pills work best in the first 72 hours; some work up to 5 "
        "days. A copper IUD works up to 7 days after sex."), _l("Within 5 days (120 hours)"),
        "emergency-contraception"),
    "ec_iud": Action(_l("Emergency contraception"), _l(
        "If it was less than 7 days ago, a copper IUD can still prevent pregnancy. Ask a "
        "clinic today."), _l("Up to 7 days"), "emergency-contraception"),
    "forensic": Action(_l("Forensic exam"), _l(
        "A nurse collects evidence, in case you want it later. Sooner is better, but some "
        "hospitals can do it later, so ask."), _l("Best within 72 hours")),
    "police": Action(_l("You decide about police"), _l(
        "You can get medical care and an exam without reporting to police. You can decide "
        "later.")),
    "pep_late": Action(_l("HIV and STI tests"), _l(
        "PEP must start within 72 hours, so it may be too late for it now. Tests for HIV and "
        "other infections still matter."), None, "sti-testing"),
    "sti": Action(_l("STI tests"), _l(
        "Tests for chlamydia and gonorrhea work about 2 weeks after sex. HIV and syphilis blood "
        "tests can take up to 3 months to be sure. If you have symptoms, get checked now."),
        _l("2 weeks to 3 months after sex"), "sti-testing"),
    "assault_support": Action(_l("Support, at any hour"), _l(
        "A sexual assault support worker will listen and explain your options. They will not "
        "pressure you."), None, "sexual-assault-support"),
    "crisis": Action(_l("Talk to a crisis line"), _l(
        "Trained people answer day and night. They can help you think through what to do."),
        None, "crisis-line"),
    "shelter": Action(_l("Transition houses and shelters"), _l(
        "Safe, confidential places to stay for you and your children."), None,
        "transition-house"),
    "safety_plan": Action(_l("Make a safety plan"), _l(
        "A plan for staying safer, whether you stay or leave. A crisis line or a counsellor can "
        "help you make one."), None, "counselling"),
    "legal": Action(_l("Legal help"), _l(
        "Help with protection orders, family law and immigration."), None, "legal-advocacy"),
    "pregnancy_test": Action(_l("Pregnancy test"), _l(
        "Not sure yet? A pregnancy test works about 3 weeks after sex. Clinics and pharmacies "
        "have them.")),
    "options": Action(_l("Talk about your options"), _l(
        "Options counselling is private and without judgement. It covers parenting, adoption "
        "and abortion."), None, "pregnancy-options"),
    "abortion": Action(_l("Abortion care"), _l(
        "Abortion is legal in Canada. The abortion pill works up to 9 weeks into a pregnancy; "
        "a procedure is possible later. A clinic can tell you what fits."),
        _l("Sooner gives you more choices"), "pregnancy-options"),
    "contraception": Action(_l("Birth control"), _l(
        "A clinic can help you choose a method that suits you, now or later."), None,
        "contraception"),
    "listen": Action(_l("Listen and believe them"), _l(
        "Let them talk. Tell them it is not their fault. Let them decide what to do next.")),
    "supporters": Action(_l("Help for you, too"), _l(
        "Crisis lines also talk with friends and family who want to help."), None,
        "crisis-line"),
    "friend_time": Action(_l("Some care cannot wait"), _l(
        "After a sexual assault or sex without a condom, HIV PEP must start within 72 hours and "
        "emergency contraception works up to 5 days. Share this page with them.")),
}

# Per topic: the follow-up questions (asked in order, each only when it changes the answer),
# the opening words, and the help shown for each timing ("any" when the timing is not asked).
PATHS: dict[str, dict[str, Any]] = {
    "assault": {
        "questions": ("safe", "when"),
        "intro": _l("What happened is not your fault. You decide what to do next, one step at a "
                    "time."),
        "actions": {
            "72h": ("medical", "pep", "ec", "forensic", "police", "assault_support", "sti"),
            "unsure": ("medical", "pep", "ec", "forensic", "police", "assault_support", "sti"),
            "5d": ("medical", "ec", "forensic", "police", "pep_late", "assault_support"),
            "later": ("assault_support", "ec_iud", "pep_late", "police"),
        },
        "pages": (),
    },
    "sex": {
        "questions": ("when",),
        "intro": _l("This happens to many people. Some care works best within a few days, so "
                    "here is what still helps."),
        "actions": {
            "72h": ("ec", "pep_if_risk", "sti"),
            "unsure": ("ec", "pep_if_risk", "sti"),
            "5d": ("ec", "pep_late", "sti"),
            "later": ("ec_iud", "sti", "pregnancy_test"),
        },
        "pages": (),
    },
    "home": {
        "questions": ("safe",),
        "intro": _l("It is not your fault, and you do not have to face it alone. You can get "
                    "help even if you are not ready to leave."),
        "actions": {"any": ("crisis", "shelter", "safety_plan", "legal")},
        "pages": ("intimacy-and-healthy-relationships",),
    },
    "pregnancy": {
        "questions": (),
        "intro": _l("Every choice is yours. You can get honest, private information about all "
                    "your options."),
        "actions": {"any": ("pregnancy_test", "options", "abortion", "contraception")},
        "pages": (),
    },
    "friend": {
        "questions": (),
        "intro": _l("Thank you for looking out for them. You do not need all the answers to "
                    "help."),
        "actions": {"any": ("listen", "supporters", "friend_time")},
        "pages": ("intimacy-and-healthy-relationships",),
    },
}
# After a sexual assault, someone not safe now is shown 911 first, and the timing is not asked:
# everything time-limited is shown, as for "not sure".
SKIP_WHEN_UNSAFE = ("assault",)


class BadAnswer(Exception):
    """An answer that is missing or not one of the question's choices."""

    def __init__(self, question: str, answers: dict[str, str]):
        self.question = question
        self.answers = answers
        super().__init__(question)


def next_question(answers: dict[str, str]) -> str | None:
    """The next question to ask given the answers so far, or None when the path is complete."""
    if "topic" not in answers:
        return "topic"
    path = PATHS[answers["topic"]]
    for question in path["questions"]:
        if question == "when" and answers.get("safe") == "no" and \
                answers["topic"] in SKIP_WHEN_UNSAFE:
            continue
        if question not in answers:
            return question
    return None


def read_answers(form) -> tuple[dict[str, str], str | None]:
    """Valid answers from a posted form, in path order, and the question still to ask.

    A present but unknown answer, or a repeated field, raises ``BadAnswer``. So does a missing
    answer to the question the form asked (``step``), or a post that names no step it answered.
    """
    answers: dict[str, str] = {}
    question = next_question(answers)
    while question is not None:
        values = form.getlist(question)
        if not values:
            break
        choices = dict(QUESTIONS[question]["options"])
        if len(values) > 1 or values[0] not in choices:
            raise BadAnswer(question, answers)
        answers[question] = values[0]
        question = next_question(answers)
    if question is not None:
        step = form.get("step")
        if step == question or step not in answers:
            raise BadAnswer(question, answers)
    return answers, question


def _hidden_fields(answers: dict[str, str]) -> list[tuple[str, str]]:
    return list(answers.items())


def _back_fields(answers: dict[str, str]) -> list[tuple[str, str]] | None:
    """The answers a Back button posts to show the previous question (None: link to step 1)."""
    if len(answers) <= 1:
        return None
    earlier = list(answers.items())[:-1]
    return earlier + [("step", earlier[-1][0])]


def _terms(codes: set[str], locale: str) -> dict[str, tuple[str, str]]:
    """Category names in the visitor's language (only categories the directory has)."""
    if not codes:
        return {}
    terms = db.session.scalars(sa.select(m.TaxonomyTerm).options(
        joinedload(m.TaxonomyTerm.translations)).where(m.TaxonomyTerm.code.in_(codes))).unique()
    return {term.code: term.translated("name", locale) for term in terms}


def _pages(slugs: tuple[str, ...], locale: str) -> list[dict[str, str]]:
    """The path's explainer pages that are published (a missing one is left out)."""
    if not slugs:
        return []
    pages = db.session.scalars(sa.select(m.Page).options(joinedload(m.Page.translations)).where(
        m.Page.slug.in_(slugs), m.Page.publication == "published")).unique()
    out = []
    for page in pages:
        title, title_locale = page.translated("title", locale)
        out.append({"slug": page.slug, "title": title, "locale": title_locale})
    return out


def _render(status: int = 200, **context):
    response = make_response(render_template("public/guided.html", crisis=crisis_lines(),
                                             **context), status)
    return no_store(response)


def _question_page(question: str, answers: dict[str, str], error: Any = None, status: int = 200):
    return _render(status, mode="question", question=question, spec=QUESTIONS[question],
                   hidden=_hidden_fields(answers), back=_back_fields(answers) or
                   (None if question == "topic" else []), error=error,
                   first=question == "topic")


def results_for(answers: dict[str, str]) -> dict[str, Any]:
    """What a completed path shows: danger first or not, the intro, the help in order."""
    topic = answers["topic"]
    path = PATHS[topic]
    unsafe = answers.get("safe") == "no"
    timing = answers.get("when") or ("unsure" if "when" in path["questions"] else "any")
    return {"topic": topic, "unsafe": unsafe or topic == "friend", "intro": path["intro"],
            "actions": [ACTIONS[key] for key in path["actions"][timing]],
            "page_slugs": path["pages"]}


def guided():
    """Show the first question (GET), or the next step or the results for the posted answers."""
    if request.method == "GET":
        return _question_page("topic", {})
    try:
        answers, question = read_answers(request.form)
    except BadAnswer as bad:
        return _question_page(bad.question, bad.answers,
                              error=_l("Please choose one of the answers."), status=400)
    if question is not None:
        return _question_page(question, answers)
    locale = current_locale()
    result = results_for(answers)
    codes = {action.category for action in result["actions"] if action.category}
    return _render(mode="results", result=result, terms=_terms(codes | {"crisis-line"}, locale),
                   pages=_pages(result["page_slugs"], locale), hidden=_hidden_fields(answers),
                   back=_back_fields(answers) or [])
