"""applications, documents, custody, print runs, status lists; officials' own resident record

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _add_official_resident() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with an inline foreign key in place. Batch mode would
        # rebuild ``officials``, and dropping the old table trips the foreign keys of
        # the tokens and proposals that point at it.
        op.execute(
            "ALTER TABLE officials ADD COLUMN resident_id VARCHAR(36) "
            "CONSTRAINT fk_officials_resident_id_residents REFERENCES residents (id)"
        )
        return
    op.add_column("officials", sa.Column("resident_id", sa.String(length=36), nullable=True))
    op.create_foreign_key(
        op.f("fk_officials_resident_id_residents"), "officials", "residents", ["resident_id"], ["id"]
    )


def upgrade() -> None:
    _add_official_resident()
    op.create_table(
        "applications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("catalogue_version", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by", sa.String(length=36), nullable=True),
        sa.Column("required_approvals", sa.Integer(), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("fee_amount", sa.BigInteger(), nullable=True),
        sa.Column("fee_currency", sa.String(length=3), nullable=True),
        sa.Column("fee_receipt", sa.Text(), nullable=True),
        sa.Column("replaces_document_id", sa.String(length=36), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_applications_resident_id_residents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_index(
        "ix_applications_queue", "applications", ["state", "escalated_at", "submitted_at"]
    )
    op.create_index(op.f("ix_applications_resident_id"), "applications", ["resident_id"])
    op.create_index(op.f("ix_applications_decided_at"), "applications", ["decided_at"])
    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("document_number", sa.String(length=32), nullable=False),
        sa.Column("resident_id", sa.String(length=36), nullable=False),
        sa.Column("application_id", sa.String(length=36), nullable=False),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("catalogue_version", sa.Integer(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_list_id", sa.Integer(), nullable=False),
        sa.Column("status_idx", sa.Integer(), nullable=False),
        sa.Column("signer_kid", sa.String(length=64), nullable=False),
        sa.Column("qr_text", sa.Text(), nullable=False),
        sa.Column("mrz", sa.JSON(), nullable=False),
        sa.Column("collection_station", sa.String(length=32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("held_at", sa.String(length=32), nullable=True),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.Column("replaces_document_id", sa.String(length=36), nullable=True),
        sa.Column("print_run_id", sa.String(length=36), nullable=True),
        sa.Column("prints", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"], ["residents.id"], name=op.f("fk_documents_resident_id_residents")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_documents_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("document_number", name=op.f("uq_documents_document_number")),
        sa.UniqueConstraint(
            "status_list_id", "status_idx", name=op.f("uq_documents_status_list_id_status_idx")
        ),
    )
    op.create_index(op.f("ix_documents_resident_id"), "documents", ["resident_id"])
    op.create_index("ix_documents_state_station", "documents", ["state", "collection_station"])
    op.create_index("ix_documents_state_held", "documents", ["state", "held_at"])
    op.create_index("ix_documents_state_valid_until", "documents", ["state", "valid_until"])
    op.create_table(
        "document_custody",
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("transition", sa.String(length=16), nullable=False),
        sa.Column("from_station", sa.String(length=32), nullable=True),
        sa.Column("to_station", sa.String(length=32), nullable=True),
        sa.Column("official_id", sa.String(length=36), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_custody_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("document_id", "seq", name=op.f("pk_document_custody")),
    )
    op.create_table(
        "print_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_runs")),
    )
    op.create_table(
        "print_run_items",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["print_runs.id"], name=op.f("fk_print_run_items_run_id_print_runs")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_print_run_items_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_print_run_items")),
    )
    op.create_table(
        "status_lists",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uri", sa.Text(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    op.create_table(
        "status_entries",
        sa.Column("list_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name=op.f("fk_status_entries_list_id_status_lists")
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_status_entries")),
    )


def downgrade() -> None:
    op.drop_table("status_entries")
    op.drop_table("status_lists")
    op.drop_table("print_run_items")
    op.drop_table("print_runs")
    op.drop_table("document_custody")
    op.drop_index("ix_documents_state_valid_until", table_name="documents")
    op.drop_index("ix_documents_state_held", table_name="documents")
    op.drop_index("ix_documents_state_station", table_name="documents")
    op.drop_index(op.f("ix_documents_resident_id"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_applications_decided_at"), table_name="applications")
    op.drop_index(op.f("ix_applications_resident_id"), table_name="applications")
    op.drop_index("ix_applications_queue", table_name="applications")
    op.drop_table("applications")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite (3.35+) drops a column in place unless a constraint names it; its
        # inline foreign key does, so the drop goes through a batch rebuild there.
        with op.batch_alter_table("officials") as batch:
            batch.drop_column("resident_id")
        return
    op.drop_constraint(
        op.f("fk_officials_resident_id_residents"), "officials", type_="foreignkey"
    )
    op.drop_column("officials", "resident_id")
