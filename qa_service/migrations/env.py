"""Alembic environment: the engine comes from qa_service.db, never from an ini file."""

from alembic import context

from qa_service.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may start at once: one migrates, the others wait here.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(4361)")
        context.run_migrations()
