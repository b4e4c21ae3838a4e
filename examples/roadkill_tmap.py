"""T-map, the navigation partner, files a driver's voice report and polls its status.

What a real client does: POST the report with an Idempotency-Key (a retry after a timeout files it once),
show the driver where it was routed, then poll the incident's public Open311 status (what T-map tells
the driver: open → closed once the road crew cleared the carcass).

    python examples/roadkill_tmap.py --base-url http://127.0.0.1:8001 --key demo-tmap --polls 3

Environment: ROADKILL_URL, ROADKILL_KEY (demo mode's key `demo-tmap` by default).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from datetime import UTC, datetime

import httpx

# On the Gyeongbu Expressway near Cheonan, southbound (heading 185°), what the voice assistant heard.
REPORT = {"reporter": "tmap-user-7f3a", "consent": True, "transcript": "고라니가 2차로에 치여 있어요",
          "lat": 36.86, "lon": 127.1652, "accuracy_m": 8, "heading_deg": 185, "speed_kmh": 92,
          "road_name": "경부고속도로"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", default=os.environ.get("ROADKILL_URL", "http://127.0.0.1:8001"))
    ap.add_argument("--key", default=os.environ.get("ROADKILL_KEY", "demo-tmap"))
    ap.add_argument("--polls", type=int, default=5, help="status polls before giving up (0: none)")
    ap.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    args = ap.parse_args(argv)

    with httpx.Client(base_url=args.base_url, headers={"Authorization": f"Bearer {args.key}"}, timeout=15) as api:
        report = {**REPORT, "reported_at": datetime.now(UTC).isoformat()}
        r = api.post("/v1/voice-reports", json=report, headers={"Idempotency-Key": str(uuid.uuid4())})
        if r.status_code != 201:  # errors are RFC 9457 problems: `detail` says what to fix
            print(f"report refused: {r.status_code} {r.json().get('detail')}", file=sys.stderr)
            return 1
        filed = r.json()
        incident, decision = filed["incident_id"], filed["decision"]
        print(f"filed report {filed['report_id']}: {filed['species']['name_en']} → incident {incident}"
              f"{' (merged)' if filed['merged'] else ''}, routed to {decision['agency_name']}")
        for poll in range(args.polls):
            # The incident's status as Open311 shows it to anyone (no key needed).
            r = httpx.get(f"{args.base_url}/open311/v2/requests/{incident}.json", timeout=15)
            r.raise_for_status()
            request = r.json()[0]
            print(f"status #{poll + 1}: {request['status']} - {request.get('status_notes') or ''}".rstrip(" -"))
            if request["status"] == "closed":
                break
            if poll + 1 < args.polls:
                time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
