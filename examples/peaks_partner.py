"""A partner municipality pulls approved summit photos with ETag and receives a signed webhook.

What a real partner client does: subscribe a URL to `photo.approved` (the answer carries the signing
secret), pull its photos page (keeping the ETag: `If-None-Match` answers 304 while nothing changed, and
costs no rate-limit budget worth speaking of), and verify every webhook with the Standard Webhooks
signature before trusting it. With `--approve-first` it also works its review queue: it approves the
oldest photo waiting in its territory, which is what sends the `photo.approved` event.

    python examples/peaks_partner.py --base-url http://127.0.0.1:8002 --key demo-ulju --approve-first

Environment: PEAKS_URL, PEAKS_KEY (demo mode's key `demo-ulju` by default). The receiver listens on
127.0.0.1 (demo mode accepts loopback webhook URLs; in production subscribe a public https URL).
"""
from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from standardwebhooks import Webhook, WebhookVerificationError

received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        received.put(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)  # acknowledge at once; work on it afterwards
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", default=os.environ.get("PEAKS_URL", "http://127.0.0.1:8002"))
    ap.add_argument("--key", default=os.environ.get("PEAKS_KEY", "demo-ulju"))
    ap.add_argument("--wait", type=float, default=30.0, help="seconds to wait for a webhook (0: do not wait)")
    ap.add_argument("--approve-first", action="store_true", help="approve the oldest photo waiting for review")
    args = ap.parse_args(argv)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/peaks-webhooks"
    with httpx.Client(base_url=args.base_url, headers={"Authorization": f"Bearer {args.key}"}, timeout=15) as api:
        sub = api.post("/open/v1/webhooks", json={"url": hook_url, "events": ["photo.approved"], "territory": True})
        sub.raise_for_status()
        subscription = sub.json()
        print(f"subscribed {subscription['id']} to {', '.join(subscription['events'])}")
        try:
            page = api.get("/open/v1/photos", params={"mine": "true"})
            page.raise_for_status()
            etag = page.headers["etag"]
            print(f"photos: {len(page.json()['items'])} on the first page, ETag {etag}, "
                  f"rate limit {page.headers.get('x-ratelimit-remaining')}/{page.headers.get('x-ratelimit-limit')}")
            again = api.get("/open/v1/photos", params={"mine": "true"}, headers={"If-None-Match": etag})
            print(f"again with If-None-Match: {again.status_code}"
                  f"{' (nothing new)' if again.status_code == 304 else ''}")
            if args.approve_first:
                waiting = api.get("/v1/review", params={"limit": 1})
                waiting.raise_for_status()
                for photo in waiting.json()["items"]:
                    r = api.post(f"/v1/photos/{photo['id']}/review",
                                 json={"decision": "approve", "reason": "summit stone visible"})
                    r.raise_for_status()
                    print(f"approved photo {photo['id']} ({photo['peak']})")
            if args.wait > 0:
                try:
                    headers, body = received.get(timeout=args.wait)
                except queue.Empty:
                    print(f"no webhook within {args.wait:g} s")
                    return 1
                try:  # signature, timestamp tolerance and id: never trust an unverified body
                    Webhook(subscription["secret"]).verify(body, headers)
                except WebhookVerificationError as exc:
                    print(f"webhook refused: {exc}", file=sys.stderr)
                    return 1
                event = json.loads(body)
                print(f"verified webhook {headers['webhook-id']}: {event['type']} {json.dumps(event['data'])[:120]}")
                fresh = api.get("/open/v1/photos", params={"mine": "true"}, headers={"If-None-Match": etag})
                print(f"photos after the event: {fresh.status_code}"
                      f"{' (changed: new ETag ' + fresh.headers['etag'] + ')' if fresh.status_code == 200 else ''}")
        finally:
            api.delete(f"/open/v1/webhooks/{subscription['id']}")
            server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
