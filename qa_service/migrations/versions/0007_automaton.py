"""automaton conversations and turns: readers talking to the author's model

A conversation belongs to one asker and carries a question's consent and publicity; each
turn is one paid reply: the reader's message, the messages the model was sent, its
candidates, the reader's choice among them and the author's own reply, if he wrote one.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "automaton_conversations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asker", sa.String(42), nullable=False, index=True),
        sa.Column("post", sa.String(300), nullable=True),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("consent_to_training", sa.Boolean, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "automaton_turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("automaton_conversations.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("asker", sa.String(42), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("candidates", sa.Text, nullable=False),
        sa.Column("chosen", sa.Integer, nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("model_version", sa.String(200), nullable=True),
        sa.Column("charged", sa.Integer, nullable=False),
        sa.Column("spend_key", sa.String(200), nullable=False),
        sa.Column("correction", sa.Text, nullable=True),
        sa.Column("corrected_by", sa.String(42), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.UniqueConstraint("conversation_id", "position", name="uq_automaton_turns_position"),
        sa.UniqueConstraint("asker", "spend_key", name="uq_automaton_turns_spend_key"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("automaton_turns")
    op.drop_table("automaton_conversations")
