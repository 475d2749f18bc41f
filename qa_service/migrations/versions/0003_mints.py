"""mints: answer NFTs minted on chain, one row per token

`qa-service mint` writes a row once the mint's transaction is in a block, so a rerun
skips what is already minted and a crash between sending and recording is found on chain
(ownerOf) instead of minting twice.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mints",
        sa.Column("token_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),  # EIP-155 ids outgrow 32 bits
        sa.Column("contract", sa.String(42), nullable=False),
        sa.Column("owner", sa.String(42), nullable=False, index=True),
        sa.Column("tx_hash", sa.String(66), nullable=False),
        sa.Column("minted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("mints")
