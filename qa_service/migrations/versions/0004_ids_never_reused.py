"""ids never reused: AUTOINCREMENT on SQLite, and deleted_tokens for the answers' NFTs

A question's id is its answer NFT's token id. SQLite without AUTOINCREMENT hands out
max(id) + 1, so deleting the newest question (DELETE /api/account) gave its id, and its
token, to the next asker. questions, alternatives and credit_entries are rebuilt with
AUTOINCREMENT (PostgreSQL's sequences never go back already). The counter starts past every
token id ever recorded as minted, and each minted token whose question is gone is marked
deleted, so /nft/<id>.json keeps answering for it.

On SQLite the rebuild runs inside the migration's transaction, where foreign keys stay on:
dropping `questions` would cascade into `alternatives`, so the alternatives are set aside
first and put back after.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def _questions(name: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("asker", sa.String(42), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("consent_to_training", sa.Boolean, nullable=False),
        sa.Column("public", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("post", sa.String(300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("answer", sa.Text, nullable=True),
        sa.Column("answered_by", sa.String(42), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("reject_reason", sa.Text, nullable=True),
        sa.Column("token_id", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("token_id", name=f"uq_{name}_token_id"),
    ]


def _credit_entries() -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(42), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("question_id", sa.Integer, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("address", "key", name="uq_credit_entries_address_key"),
    ]


def _rebuild(table: str, columns: list[sa.schema.SchemaItem]) -> None:
    """Copy `table` into a new one with AUTOINCREMENT under the same name (SQLite only)."""
    names = ", ".join(column.name for column in columns if isinstance(column, sa.Column))
    op.create_table(f"_{table}_new", *columns, sqlite_autoincrement=True)
    op.execute(f"INSERT INTO _{table}_new ({names}) SELECT {names} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE _{table}_new RENAME TO {table}")


def upgrade() -> None:
    op.create_table(
        "deleted_tokens",
        sa.Column("token_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("deleted_at", TS, nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("CREATE TABLE _alternatives_kept AS SELECT id, question_id, rank, text FROM alternatives")
        op.execute("DROP TABLE alternatives")
        _rebuild("questions", _questions("questions"))
        op.create_index("ix_questions_asker", "questions", ["asker"])
        op.create_index("ix_questions_status", "questions", ["status"])
        op.create_table(
            "alternatives",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False,
                      index=True),
            sa.Column("rank", sa.Integer, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.UniqueConstraint("question_id", "rank"),
            sqlite_autoincrement=True,
        )
        op.execute("INSERT INTO alternatives (id, question_id, rank, text) SELECT id, question_id, rank, text FROM _alternatives_kept")
        op.execute("DROP TABLE _alternatives_kept")
        _rebuild("credit_entries", _credit_entries())
        op.create_index("ix_credit_entries_address", "credit_entries", ["address"])
        # The counter starts past every token ever minted, even one whose question is gone.
        op.execute("INSERT INTO sqlite_sequence (name, seq) SELECT 'questions', 0 "
                   "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'questions')")
        op.execute("UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT max(token_id) FROM mints), 0)) "
                   "WHERE name = 'questions'")
    else:  # a sequence never goes back; it only has to start past the tokens minted
        sequence = bind.exec_driver_sql("SELECT pg_get_serial_sequence('questions', 'id')").scalar_one()
        last = bind.exec_driver_sql(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {sequence}").scalar_one()
        minted = bind.exec_driver_sql("SELECT max(token_id) FROM mints").scalar_one()
        if minted is not None and minted > last:
            bind.exec_driver_sql(f"SELECT setval('{sequence}', {int(minted)})")
    op.execute("INSERT INTO deleted_tokens (token_id, deleted_at) SELECT token_id, minted_at FROM mints "
               "WHERE token_id NOT IN (SELECT token_id FROM questions WHERE token_id IS NOT NULL)")


def downgrade() -> None:
    # AUTOINCREMENT stays: ids that are never reused do no harm to the older code.
    op.drop_table("deleted_tokens")
