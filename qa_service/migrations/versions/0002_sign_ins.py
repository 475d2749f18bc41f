"""sign_ins: one row from nonce to session (nonces + sessions merged)

A row is written when a nonce is issued and becomes the session when the signed message
comes back: signing in is then one conditional UPDATE instead of an UPDATE and an INSERT.
Open sessions are kept (their token hash stands in for the nonce they no longer need);
unused nonces are kept; used nonces without a session are dropped (their messages then
fail as unknown, as they already did as used).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sign_ins",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("nonce_expires_at", TS, nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=True, unique=True),
        sa.Column("address", sa.String(42), nullable=True, index=True),
        sa.Column("signed_in_at", TS, nullable=True),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.execute(
        "INSERT INTO sign_ins (nonce, issued_at, nonce_expires_at) "
        "SELECT value, issued_at, expires_at FROM nonces WHERE used_at IS NULL"
    )
    op.execute(
        "INSERT INTO sign_ins (nonce, issued_at, nonce_expires_at, token_hash, address, signed_in_at, expires_at, revoked_at) "
        "SELECT token_hash, created_at, created_at, token_hash, address, created_at, expires_at, revoked_at FROM sessions"
    )
    op.drop_table("sessions")
    op.drop_table("nonces")


def downgrade() -> None:
    op.create_table(
        "nonces",
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False, index=True),
        sa.Column("used_at", TS, nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("address", sa.String(42), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.execute(
        "INSERT INTO nonces (value, issued_at, expires_at, used_at) "
        "SELECT nonce, issued_at, nonce_expires_at, signed_in_at FROM sign_ins WHERE token_hash IS NULL OR token_hash <> nonce"
    )
    op.execute(
        "INSERT INTO sessions (token_hash, address, created_at, expires_at, revoked_at) "
        "SELECT token_hash, address, signed_in_at, expires_at, revoked_at FROM sign_ins WHERE token_hash IS NOT NULL"
    )
    op.drop_table("sign_ins")
