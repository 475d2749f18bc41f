"""questions become turns of threads: thread_id and reply_to

A follow-up is a question that replies to an answer: `reply_to` is the answered question it
follows, `thread_id` the question that started the thread (NULL on that first question
itself). Every question already stored keeps NULL in both: it is a one-turn thread, as it
was.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("thread_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("reply_to", sa.Integer, nullable=True))
        batch.create_index("ix_questions_thread_id", ["thread_id"])
        batch.create_index("ix_questions_reply_to", ["reply_to"])


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_index("ix_questions_reply_to")
        batch.drop_index("ix_questions_thread_id")
        batch.drop_column("reply_to")
        batch.drop_column("thread_id")
