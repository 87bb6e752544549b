"""Re-encrypt every stored secret with the first FIELD_ENCRYPTION_KEY.

Rotation: put the new key first and keep the old ones after it (all of them
decrypt), run this command, then drop the old keys.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from ...crypto import EncryptedTextField


class Command(BaseCommand):
    help = "Re-encrypt every EncryptedTextField with the first FIELD_ENCRYPTION_KEY."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, EncryptedTextField)
            ]
            if not fields:
                continue
            count = 0
            # Reading decrypts with any listed key; saving encrypts with the first.
            for row in model._default_manager.iterator(chunk_size=500):
                with transaction.atomic():
                    row.save(update_fields=fields)
                count += 1
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows")
        self.stdout.write(f"Re-encrypted {total} rows.")
