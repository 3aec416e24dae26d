"""Alembic migrations of the feedback store (emoji_fer.feedback). FeedbackStore runs
them on open; `alembic -x url=URL upgrade head` from this folder does the same by hand."""
