"""questions.post_revision: the revision of the post the reader saw when asking

`post` (the post's slug) was already kept; a post is revised after questions about it come
in, so the question also records which revision it was asked about.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column("post_revision", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("post_revision")
