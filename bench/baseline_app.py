"""The baseline: a bare FastAPI app with a trivial JSON POST and GET, and a bare upload that stores bytes."""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from fastapi import FastAPI, Request
from pydantic import BaseModel

app = FastAPI()
_store = Path(os.environ.get("BASELINE_STORE", tempfile.mkdtemp(prefix="baseline-")))


class Item(BaseModel):
    # Same shape and size as a voice report, so the baseline pays the same parsing cost.
    reporter: str
    consent: bool
    transcript: str
    lat: float
    lon: float
    accuracy_m: float
    heading_deg: float
    speed_kmh: float
    road_name: str | None = None
    reported_at: str


@app.post("/echo", status_code=201)
def echo(item: Item) -> dict:
    return {"id": "x", "lat": item.lat, "lon": item.lon}


@app.get("/item")
def item() -> dict:
    return {"id": "x", "name": "baseline", "items": list(range(10))}


@app.post("/upload", status_code=201)
async def upload(request: Request) -> dict:
    """Stores the raw bytes content-addressed: the floor for any photo upload endpoint."""
    data = await request.body()
    digest = hashlib.sha256(data).hexdigest()
    (_store / digest).write_bytes(data)
    return {"sha256": digest, "bytes": len(data)}
