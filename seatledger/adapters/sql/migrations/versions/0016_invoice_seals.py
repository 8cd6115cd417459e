"""Seals: issued documents chained by hash, signed with a key outside the database.

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-15

Written by hand and frozen like the others (plain strings, no import of the
domain: the seal message is restated here, and a test holds it equal to
``domain/seals.seal_message``).

* ``invoice_seals``: one row per issued document (or checkpoint, with no
  invoice), by position: the document's content hash, the chain hash of the
  seal before it, its own chain hash, and, when the ledger signs, the key's
  fingerprint and the Ed25519 signature (decision 0037). Append-only: UPDATE
  and DELETE refused on SQLite and PostgreSQL, TRUNCATE on PostgreSQL.
* The invoices already issued are chained here, unsigned, in the order they
  were issued (issue instant, then id). A migration holds no key: the first
  signed seal after them (the next issued document, or the checkpoint
  ``invoice seal`` appends) vouches for all of them, since its chain hash
  commits to every seal before it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_FUNCTION = "seatledger_refuse_change"  # created by migration 0002
TABLE = "invoice_seals"
GENESIS = "0" * 64


def _chain_hash(position: int, invoice: str, content_hash: str, previous: str) -> str:
    message = "\n".join(("seatledger-seal-v1", str(position), invoice, content_hash, previous))
    return hashlib.sha256(message.encode()).hexdigest()


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.String(128), nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("chain_hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=True),
        sa.Column("signature", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_invoice_seals"),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, evidence_hash FROM invoices "
            "ORDER BY CASE WHEN issued_at IS NULL THEN 0 ELSE 1 END, issued_at, id"
        )
    ).all()
    previous = GENESIS
    seals = []
    for position, (invoice, content_hash) in enumerate(rows, start=1):
        chained = _chain_hash(position, invoice, content_hash, previous)
        seals.append(
            {
                "seq": position,
                "invoice_id": invoice,
                "content_hash": content_hash,
                "previous_hash": previous,
                "chain_hash": chained,
            }
        )
        previous = chained
    if seals:
        bind.execute(
            sa.text(
                f"INSERT INTO {TABLE} (seq, invoice_id, content_hash, previous_hash, "
                "chain_hash) VALUES (:seq, :invoice_id, :content_hash, :previous_hash, "
                ":chain_hash)"
            ),
            seals,
        )
    dialect = bind.dialect.name
    if dialect == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{action.lower()} BEFORE {action} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'seatledger: {TABLE} is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        raise RuntimeError(f"seatledger has no append-only triggers for {dialect}")


def downgrade() -> None:
    op.drop_table(TABLE)
