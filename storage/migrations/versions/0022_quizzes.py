"""quizzes (pre-test, post-test: questions and the answers of each participant, asked as
polls or buttons) and pulse questions (core.quizzes, core.pulses)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("scale", sa.Boolean(), nullable=False),
        sa.Column("asked_by", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_channel", sa.String(length=16), nullable=True),
        sa.Column("view_chat", sa.String(length=64), nullable=True),
        sa.Column("view_message", sa.String(length=64), nullable=True),
        sa.Column("view_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("view_lang", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(
            ["asked_by"], ["people.id"], name=op.f("fk_pulses_asked_by_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_pulses_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulses")),
    )
    op.create_index(op.f("ix_pulses_cohort_id"), "pulses", ["cohort_id"], unique=False)
    op.create_table(
        "quizzes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_quizzes_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quizzes")),
    )
    op.create_index(op.f("ix_quizzes_cohort_id"), "quizzes", ["cohort_id"], unique=False)
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pulse_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("chat", sa.String(length=64), nullable=True),
        sa.Column("message", sa.String(length=64), nullable=True),
        sa.Column("poll_id", sa.String(length=64), nullable=True),
        sa.Column("option", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_pulse_answers_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pulse_id"],
            ["pulses.id"],
            name=op.f("fk_pulse_answers_pulse_id_pulses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answers")),
        sa.UniqueConstraint("pulse_id", "participant_id", name=op.f("uq_pulse_answers_pulse_id")),
    )
    op.create_index(
        op.f("ix_pulse_answers_participant_id"), "pulse_answers", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_pulse_answers_poll_id"), "pulse_answers", ["poll_id"], unique=False)
    op.create_index(op.f("ix_pulse_answers_pulse_id"), "pulse_answers", ["pulse_id"], unique=False)
    op.create_table(
        "quiz_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_questions_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_questions")),
    )
    op.create_index(op.f("ix_quiz_questions_quiz_id"), "quiz_questions", ["quiz_id"], unique=False)
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quiz_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("poll_id", sa.String(length=64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chosen", sa.Integer(), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_quiz_answers_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["quiz_questions.id"],
            name=op.f("fk_quiz_answers_question_id_quiz_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["quiz_id"],
            ["quizzes.id"],
            name=op.f("fk_quiz_answers_quiz_id_quizzes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_answers")),
        sa.UniqueConstraint(
            "question_id", "participant_id", name=op.f("uq_quiz_answers_question_id")
        ),
    )
    op.create_index(
        op.f("ix_quiz_answers_participant_id"), "quiz_answers", ["participant_id"], unique=False
    )
    op.create_index(op.f("ix_quiz_answers_poll_id"), "quiz_answers", ["poll_id"], unique=False)
    op.create_index(op.f("ix_quiz_answers_quiz_id"), "quiz_answers", ["quiz_id"], unique=False)


def downgrade() -> None:
    op.drop_table("quiz_answers")
    op.drop_table("quiz_questions")
    op.drop_table("pulse_answers")
    op.drop_table("quizzes")
    op.drop_table("pulses")
