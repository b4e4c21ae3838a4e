"""An agency works its referral inbox at the Buk-gu one-stop centre.

What a real agency client does: list its new referrals (no personal data in the list), read each one
(only the fields the resident consented to; the read is in the resident's access log), accept it with
the version it read (If-Match: a stale version is a 409, never a lost update), start and complete it
with an outcome code.

    python examples/onestop_agency.py --base-url http://127.0.0.1:8003 --key demo-kamco

Environment: ONESTOP_URL, ONESTOP_KEY (demo mode's key `demo-kamco` by default).
"""
from __future__ import annotations

import argparse
import os
import sys

import httpx


def move(api: httpx.Client, referral: dict, status: str, **body) -> dict:
    r = api.post(f"/v1/agency/referrals/{referral['id']}/status", json={"status": status, **body},
                 headers={"If-Match": f'"{referral["version"]}"'})
    if r.status_code == 409:  # someone moved it first, or the move is not allowed from here
        raise SystemExit(f"{referral['id']}: {r.json().get('detail')}")
    r.raise_for_status()
    return r.json()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", default=os.environ.get("ONESTOP_URL", "http://127.0.0.1:8003"))
    ap.add_argument("--key", default=os.environ.get("ONESTOP_KEY", "demo-kamco"))
    ap.add_argument("--outcome", default="debt-adjusted", help="outcome code (GET /v1/referral-states)")
    ap.add_argument("--limit", type=int, default=10, help="referrals to work at most")
    args = ap.parse_args(argv)

    with httpx.Client(base_url=args.base_url, headers={"Authorization": f"Bearer {args.key}"}, timeout=15) as api:
        inbox = api.get("/v1/agency/referrals", params={"status": "requested", "limit": args.limit})
        inbox.raise_for_status()
        items = inbox.json()["items"]
        print(f"{len(items)} new referral(s)")
        for item in items:
            ref = api.get(f"/v1/agency/referrals/{item['id']}")
            if ref.status_code == 410:  # consent withdrawn: destroy any copy, do not act
                print(f"{item['id']}: consent withdrawn, skipped")
                continue
            ref.raise_for_status()
            referral = ref.json()
            # Personal data stays in memory for the caseworker; only the field names are printed here.
            fields = sorted(k for k in referral.get("data") or {} if k not in referral and k != "referral_id")
            print(f"{referral['id']}: {referral['service_key']}, consented fields: {', '.join(fields) or 'none'}")
            referral = move(api, referral, "accepted")
            referral = move(api, referral, "in-progress")
            referral = move(api, referral, "completed", outcome=args.outcome)
            print(f"{referral['id']}: {referral['status']} ({referral['outcome']}), version {referral['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
