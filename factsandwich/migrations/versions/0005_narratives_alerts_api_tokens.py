"""Narratives (and their items), emerging-myth clusters (and their items), the narrative update's
state, alert subscriptions and the log of alerts sent, and the partner API tokens (issue 14).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 01:03:38

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("kinds", sa.String(length=100), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ux_alert_subscriptions_target", ["person", "role", "channel", "target"], unique=True
        )

    op.create_table(
        "alerts_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("target", sa.String(length=2048), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alerts_sent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_sent_sent_at"), ["sent_at"], unique=False)
        batch_op.create_index("ux_alerts_sent_delivery", ["alert_id", "channel", "target"], unique=True)

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("window_start", sa.DateTime(), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "emerging_clusters",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("typical", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("vector_sum", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("emerging_clusters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emerging_clusters_last_seen"), ["last_seen"], unique=False)

    op.create_table(
        "narrative_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "emerging_items",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("emerging_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emerging_items_cluster_id"), ["cluster_id"], unique=False)

    op.create_table(
        "narrative_items",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("narrative_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["items.id"],
        ),
        sa.PrimaryKeyConstraint("item_id"),
    )
    with op.batch_alter_table("narrative_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_narrative_items_narrative_id"), ["narrative_id"], unique=False)

    op.create_table(
        "narratives",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("claim_id", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("vector_sum", sa.LargeBinary(), nullable=False),
        sa.Column("signatures", sa.LargeBinary(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("narratives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_narratives_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index("ix_narratives_claim_last_seen", ["claim_id", "last_seen"], unique=False)
        batch_op.create_index(batch_op.f("ix_narratives_last_seen"), ["last_seen"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("narratives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_narratives_last_seen"))
        batch_op.drop_index("ix_narratives_claim_last_seen")
        batch_op.drop_index(batch_op.f("ix_narratives_claim_id"))

    op.drop_table("narratives")
    with op.batch_alter_table("narrative_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_narrative_items_narrative_id"))

    op.drop_table("narrative_items")
    with op.batch_alter_table("emerging_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emerging_items_cluster_id"))

    op.drop_table("emerging_items")
    op.drop_table("narrative_state")
    with op.batch_alter_table("emerging_clusters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emerging_clusters_last_seen"))

    op.drop_table("emerging_clusters")
    op.drop_table("api_tokens")
    with op.batch_alter_table("alerts_sent", schema=None) as batch_op:
        batch_op.drop_index("ux_alerts_sent_delivery")
        batch_op.drop_index(batch_op.f("ix_alerts_sent_sent_at"))

    op.drop_table("alerts_sent")
    with op.batch_alter_table("alert_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ux_alert_subscriptions_target")

    op.drop_table("alert_subscriptions")
