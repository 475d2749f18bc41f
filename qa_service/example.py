"""One example conversation for `scripts/run`: a reader's question about the example post
"why-i-write", the author's answer, a follow-up and its answer, public and consented, so the
example blog shows a published thread (`qa-service publish`). Added once: nothing happens when
the database already has a published thread."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import Engine, func, select

from . import questions
from .db import AsyncStatements
from .models import QUESTIONS
from .settings import Settings

ASKER = "0x00000000000000000000000000000000000E0a51"  # an example address: it never signs anything
AUTHOR = "0x00000000000000000000000000000000000A0701"
TURNS = (
    ("기계 독자를 위해 쓴다면, 사람 독자에게는 무엇이 달라지나요?",
     "달라지는 것은 거의 없습니다. 다만 한 문장을 쓸 때마다 '이 문장은 나처럼 생각하는가'를 한 번 더 묻게 됩니다."),
    ("그 질문이 글을 느리게 만들지는 않나요?",
     "느려집니다. 그런데 그 느림이 지금까지 쓴 글 가운데 가장 나다운 글을 남겼습니다."),
)
WHEN = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.timezone.utc)


def add_example(engine: Engine, *, settings: Settings) -> int | None:
    """The example thread's first question's id, or None when a published thread was there."""
    with engine.connect() as db:
        published = db.execute(select(func.count()).select_from(QUESTIONS).where(
            QUESTIONS.c.status == "answered", QUESTIONS.c.public.is_(True))).scalar_one()
    if published:
        return None

    async def first_question() -> int:
        statements = AsyncStatements(engine)
        try:
            asked = await questions.ask(statements, settings=settings, address=ASKER, text=TURNS[0][0],
                                        consent_to_training=True, public=True, language="ko-KR", post="why-i-write",
                                        post_revision=2, now=WHEN)
        finally:
            await statements.close()
        return asked.id

    first = turn = asyncio.run(first_question())
    for number, (question, answer) in enumerate(TURNS):
        when = WHEN + dt.timedelta(days=number)
        if number:
            turn = questions.follow_up(engine, settings=settings, address=ASKER, reply_to=turn, text=question, now=when).id
        questions.answer(engine, settings=settings, question_id=turn, text=answer, alternatives=[], admin=AUTHOR,
                         now=when + dt.timedelta(hours=2))
    return first
