"""Alembic's entry: run the migrations on the connection FeedbackStore hands over, or on
the URL given as `-x url=...` when Alembic is run by hand."""

from alembic import context
from sqlalchemy import create_engine

from emoji_fer.feedback.store import metadata

config = context.config
connection = config.attributes.get("connection")


def run(connection):
    # render_as_batch: SQLite alters tables by copying them, Alembic's batch mode does it.
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit("give the store's URL: alembic -x url=sqlite:///path/feedback.sqlite3 upgrade head")
    with create_engine(url).begin() as conn:
        run(conn)
