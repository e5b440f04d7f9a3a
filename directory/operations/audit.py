"""Who is making the changes: the one way to name the actor of the audit trail.

The session hooks (``models.events``) write every flushed change to the audit trail with the
actor named here. Requests and commands name it once for their whole unit of work
(``set_actor``); a piece of work done on someone else's behalf names it for a block
(``acting_as``). Operations never take an actor argument.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..extensions import db
from ..models.events import ACTOR_KEY


def actor_name(who: Any) -> str | None:
    """How the audit trail names ``who``: a staff account by its email, else the text given."""
    if who is None or isinstance(who, str):
        return who
    return who.email


def current_actor() -> str | None:
    """Who the changes flushed now are attributed to."""
    return db.session.info.get(ACTOR_KEY)


def set_actor(who: Any) -> None:
    """Attribute the changes of this session (a request, a command) to ``who`` from now on."""
    db.session.info[ACTOR_KEY] = actor_name(who)


@contextmanager
def acting_as(who: Any) -> Iterator[str | None]:
    """Attribute the changes flushed inside the block to ``who``; the previous actor after."""
    previous = current_actor()
    set_actor(who)
    try:
        yield current_actor()
    finally:
        set_actor(previous)
