"""Message search (console) matches UPPER(body) LIKE '%…%'; on PostgreSQL a trigram
GIN index on that expression keeps it fast as a business's history grows. Other
databases and servers where pg_trgm can't be created keep the plain scan."""

import logging

from django.db import migrations

logger = logging.getLogger(__name__)

INDEX = "conversations_message_body_upper_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SAVEPOINT trigram_index")
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {INDEX} ON conversations_message "
                "USING gin (UPPER(body) gin_trgm_ops)"
            )
        except Exception as exc:  # noqa: BLE001 - a missing extension must not stop deploys
            cursor.execute("ROLLBACK TO SAVEPOINT trigram_index")
            logger.warning("Message search stays unindexed: %s", exc)
        else:
            cursor.execute("RELEASE SAVEPOINT trigram_index")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("conversations", "0003_attachments")]

    operations = [migrations.RunPython(create_index, drop_index)]
