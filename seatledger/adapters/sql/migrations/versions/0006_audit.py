"""Authorisation and the audit trail: ``operators`` and ``audit_log``, append-only, back-filled.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-01

Written by hand and frozen like the others (plain strings, no import of the
domain). ``operators`` lists the vendor's billing staff; a ledger with none
is open (decision 0011). ``audit_log`` has one row per change a command
made: who, in which role, what, for which organisation(s), seat and subject.
Both are append-only: the same triggers as migration 0002 (on PostgreSQL its
``seatledger_refuse_change`` function) refuse an UPDATE or DELETE.

Back-fill: an existing ledger's trail starts with what it already knows.
Every seat fact, contract version and usage record carries its actor and
recorded instant, so each becomes an audit entry (role ``open``: these were
written before anything was checked), in recorded order. A seat fact's
organisation is the seat's payer as its facts stand at that point (the
organisation it was activated for, moved by owner changes, approvals and
take-overs); a transfer fact names its sender and receiver. Organisations,
admins and invoices are not back-filled (they carry no actor).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("operators", "audit_log")
PG_FUNCTION = "seatledger_refuse_change"  # created by migration 0002
CHUNK = 500

ACTION_OF_KIND = {
    "activated": "seat.activate",
    "deactivated": "seat.deactivate",
    "completed": "seat.complete",
    "reactivated": "seat.reactivate",
    "owner-changed": "seat.owner-change",
    "retracted": "seat.retract",
    "transfer-requested": "transfer.request",
    "transfer-approved": "transfer.approve",
    "transfer-rejected": "transfer.reject",
    "transfer-withdrawn": "transfer.withdraw",
    "transfer-expired": "transfer.expire",
    "taken-over": "transfer.take-over",
}
MOVES_PAYER = ("owner-changed", "transfer-approved", "taken-over")
# The organisation whose authority a transfer step used: the sender's or the receiver's.
RECEIVER_ACTS = ("transfer-approved", "transfer-rejected", "taken-over")


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("added_at", sa.BigInteger(), nullable=False),
        sa.Column("added_by", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_operators"),
    )
    audit = op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("recorded_at", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(500), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=True),
        sa.Column("other_org_id", sa.String(64), nullable=True),
        sa.Column("seat_id", sa.String(64), nullable=True),
        sa.Column("subject", sa.String(500), nullable=True),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_org_id_seq", "audit_log", ["org_id", "seq"])
    op.create_index("ix_audit_log_other_org_id_seq", "audit_log", ["other_org_id", "seq"])
    op.create_index("ix_audit_log_seat_id_seq", "audit_log", ["seat_id", "seq"])
    _backfill(audit)
    _create_append_only_triggers()


def _short(text: str) -> str:
    return text if len(text) <= 500 else text[:499] + "…"


def _fact_entries(conn: sa.Connection) -> list[dict[str, Any]]:
    facts = conn.execute(
        sa.text(
            "SELECT seq, seat_id, kind, effective_on, recorded_at, actor, reason, org_id, "
            "from_org_id, supersedes, request FROM seat_facts ORDER BY seq"
        )
    ).mappings()
    payer: dict[str, str] = {}
    entries = []
    for f in facts:
        kind = f["kind"]
        if kind == "activated" and f["org_id"] is not None:
            payer.setdefault(f["seat_id"], f["org_id"])
        action = ACTION_OF_KIND.get(kind, kind)
        if f["supersedes"] is not None and kind != "retracted":
            action = "seat.correct"
        org, other = payer.get(f["seat_id"]), None
        if kind.startswith("transfer-") or kind == "taken-over":
            sender, receiver = f["from_org_id"], f["org_id"]
            org, other = (receiver, sender) if kind in RECEIVER_ACTS else (sender, receiver)
        if kind in MOVES_PAYER and f["org_id"] is not None:
            payer[f["seat_id"]] = f["org_id"]
        words = f"{kind} on {f['effective_on']}"
        if f["supersedes"] is not None:
            words += f", superseding fact #{f['supersedes']}"
        if f["reason"]:
            words += f"; reason: {f['reason']}"
        entries.append(
            {
                "recorded_at": f["recorded_at"],
                "actor": f["actor"],
                "role": "open",
                "action": action,
                "org_id": org,
                "other_org_id": other,
                "seat_id": f["seat_id"],
                "subject": f["request"] or f"fact #{f['seq']}",
                "summary": _short(words),
            }
        )
    return entries


def _backfill(audit: sa.Table) -> None:
    conn = op.get_bind()
    entries = _fact_entries(conn)
    for c in conn.execute(
        sa.text(
            "SELECT org_id, version, recorded_at, actor, plan, cadence, effective_from "
            "FROM contract_versions"
        )
    ).mappings():
        entries.append(
            {
                "recorded_at": c["recorded_at"], "actor": c["actor"], "role": "open",
                "action": "contract.set", "org_id": c["org_id"], "other_org_id": None,
                "seat_id": None, "subject": f"version {c['version']}",
                "summary": _short(
                    f"plan {c['plan'] or 'none'} {c['cadence']}, from {c['effective_from']}"
                ),
            }
        )  # fmt: skip
    for u in conn.execute(
        sa.text(
            "SELECT seq, org_id, kind, quantity, used_on, recorded_at, actor FROM usage_records"
        )
    ).mappings():
        entries.append(
            {
                "recorded_at": u["recorded_at"], "actor": u["actor"], "role": "open",
                "action": "usage.record", "org_id": u["org_id"], "other_org_id": None,
                "seat_id": None, "subject": f"usage #{u['seq']}",
                "summary": _short(f"{u['quantity']} x {u['kind']} on {u['used_on']}"),
            }
        )  # fmt: skip
    # Recorded order; a stable sort keeps each command's own order.
    entries.sort(key=lambda e: int(e["recorded_at"]))
    for start in range(0, len(entries), CHUNK):
        op.bulk_insert(audit, entries[start : start + CHUNK])


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'seatledger: {table} is append-only'); END"
                )
    elif dialect == "postgresql":
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
            )
    else:
        raise RuntimeError(f"seatledger has no append-only triggers for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "sqlite":
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.drop_index("ix_audit_log_seat_id_seq", table_name="audit_log")
    op.drop_index("ix_audit_log_other_org_id_seq", table_name="audit_log")
    op.drop_index("ix_audit_log_org_id_seq", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("operators")
