"""Production static files: hashed names and compressed copies for WhiteNoise."""

from __future__ import annotations

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # The console's ES modules import each other ("./api.js"): rewrite those
    # imports to hashed names too, or a page would load two copies of a module
    # (one hashed, one not) with two separate states.
    support_js_module_import_aggregation = True

    def create_compressor(self, **kwargs: Any) -> Compressor:
        # gzip only: brotli at its default quality takes most of a minute over
        # the admin and API-docs bundles, at every deploy, for ~15% fewer bytes.
        return Compressor(use_brotli=False, **kwargs)
