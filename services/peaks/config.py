"""Settings of the peaks service (environment variables; see README "Configuration")."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "peaks"
    port: int = 8002
    # Content-addressed photo store; default: <var_dir>/peaks-store (so tests under tmp_path stay there).
    storage_dir: Path | None = Field(default=None, description="Photo store directory (STORAGE_DIR)")
    # Uploads above this are refused with 413 before being read (phones write 3-12 MB JPEGs).
    photo_max_bytes: int = 25_000_000
    photo_max_pixels: int = 50_000_000
    display_side: int = 1000  # gallery display derivative, long side in px (a 12 MP JPEG decodes straight to it)
    thumb_side: int = 320

    @property
    def resolved_storage_dir(self) -> Path:
        return self.storage_dir if self.storage_dir is not None else self.var_dir / "peaks-store"
