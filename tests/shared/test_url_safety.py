"""Webhook URLs against server-side request forgery: every spelling of a private address, names that
resolve to one, userinfo, and DNS rebinding between the operator's check and the delivery.

No real DNS: every resolver here is a stub.
"""
from __future__ import annotations

import asyncio
import ipaddress

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, select

from shared import outbox
from shared.auth import create_key
from shared.db import utcnow
from shared.relay import Relay
from shared.url_safety import PinnedTransport, Policy, UnsafeURL, UnsafeURLError, vet
from tests.shared.conftest import REAL_SECRET
from tests.shared.minisvc.app import create_app

PUBLIC_IP = "93.184.216.34"


def public_resolver(host: str, port: int) -> list[str]:
    return [PUBLIC_IP]


STRICT = Policy(allow_local=False, resolver=public_resolver)  # a name would "resolve" to a public address
DEMO = Policy(allow_local=True, resolver=public_resolver)

BLOCKED_V4 = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
              "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4", "192.0.0.0/24", "198.18.0.0/15"]


@st.composite
def blocked_v4(draw) -> ipaddress.IPv4Address:
    net = ipaddress.ip_network(draw(st.sampled_from(BLOCKED_V4)))
    return net[draw(st.integers(0, net.num_addresses - 1))]


def spellings(a: ipaddress.IPv4Address, form: int) -> str:
    """One of the host spellings a resolver may read as the IPv4 address `a`."""
    n, o = int(a), a.packed
    return [
        str(a),                                             # dotted decimal
        str(n),                                             # one decimal number (2130706433)
        hex(n),                                             # one hex number (0x7f000001)
        ".".join(hex(b) for b in o),                        # dotted hex
        f"{o[0]}.{n & 0xFFFFFF}",                           # a.b24 (127.1)
        f"{o[0]}.{o[1]}.{n & 0xFFFF}",                      # a.b.c16
        f"{a}.",                                            # trailing dot
        f"[::ffff:{a}]",                                    # IPv4-mapped IPv6
        f"[::ffff:{o[0] << 8 | o[1]:x}:{o[2] << 8 | o[3]:x}]",  # the same in hex groups
        f"[64:ff9b::{a}]",                                  # NAT64
        f"[2002:{o[0] << 8 | o[1]:x}:{o[2] << 8 | o[3]:x}::1]",  # 6to4
        "0" + ".0".join(oct(b)[2:] for b in o),              # dotted octal (0177.00.00.01)
    ][form]


@given(blocked_v4(), st.integers(0, 11), st.sampled_from(["https", "http"]), st.sampled_from(["", ":443", ":8443"]))
def test_every_spelling_of_a_private_address_is_refused(addr, form, scheme, port):
    url = f"{scheme}://{spellings(addr, form)}{port}/hooks"
    with pytest.raises(UnsafeURL):
        vet(url, STRICT)


@given(st.sampled_from(["[::1]", "[::]", "[fe80::1]", "[fc00::5]", "[fd12:3456::1]", "[ff02::1]",
                        "[::ffff:169.254.169.254]", "[::ffff:7f00:1]"]))
def test_private_ipv6_refused(host):
    with pytest.raises(UnsafeURL):
        vet(f"https://{host}/h", STRICT)


@pytest.mark.parametrize("url", ["https://0x7f000001/h", "https://2130706433/h", "https://127.1/h", "https://0/h",
                                 "https://localhost./h", "https://[::1]/h", "https://169.254.169.254/latest/meta-data",
                                 "https://LOCALHOST/h", "https://api.localhost/h"])
def test_the_reported_forms_are_refused(url):
    with pytest.raises(UnsafeURL):
        vet(url, STRICT)


# First octets of ordinary unicast space (private, loopback, shared, link-local and test ranges aside).
PUBLIC_FIRST = st.one_of(st.integers(11, 99), st.integers(128, 168), st.integers(173, 191), st.integers(193, 197),
                         st.integers(199, 202), st.integers(204, 223))


@given(st.tuples(PUBLIC_FIRST, st.integers(0, 255), st.integers(0, 255), st.integers(1, 254))
       .map(lambda o: ipaddress.IPv4Address(".".join(map(str, o)))))
def test_public_addresses_pass_and_are_the_ones_connected_to(addr):
    assert vet(f"https://{addr}/h", STRICT) == [addr]


@pytest.mark.parametrize("answer", [["10.1.2.3"], [PUBLIC_IP, "127.0.0.1"], ["::1"], ["169.254.169.254"],
                                    ["fe80::1%eth0"], []])
def test_a_name_is_refused_if_any_address_it_resolves_to_is_not_public(answer):
    policy = Policy(allow_local=False, resolver=lambda h, p: answer)
    with pytest.raises(UnsafeURL):
        vet("https://hooks.partner.example/h", policy)


def test_unresolvable_name_refused():
    def nxdomain(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(UnsafeURL, match="does not resolve"):
        vet("https://nowhere.example/h", Policy(allow_local=False, resolver=nxdomain))


@pytest.mark.parametrize("url", ["https://user:pass@hooks.partner.example/h", "https://user@8.8.8.8/h",
                                 "http://hooks.partner.example/h", "ftp://hooks.partner.example/h", "https:///h",
                                 "not a url"])
def test_userinfo_plain_http_and_other_schemes_refused_outside_demo(url):
    with pytest.raises(UnsafeURL):
        vet(url, STRICT)


def test_demo_mode_allows_loopback_and_private_but_not_metadata_or_userinfo():
    assert vet("http://127.0.0.1:8001/sim/acrc/webhooks", DEMO) == [ipaddress.ip_address("127.0.0.1")]
    assert vet("http://10.0.0.5/h", DEMO) and vet("http://[::1]:9/h", DEMO)
    assert vet("http://localhost:8001/h", DEMO) == []  # names are not resolved in demo mode
    for url in ("http://169.254.169.254/", "http://u:p@127.0.0.1/h", "http://0/h", "http://224.0.0.1/h"):
        with pytest.raises(UnsafeURL):
            vet(url, DEMO)
    assert "loopback" in DEMO.description and "https only" in STRICT.description


# -- delivery: the relay connects to the address it vetted ------------------------------------------------

class Rebinding:
    """Answers a public address first (the operator's check), then a private one (the delivery)."""

    def __init__(self, *answers: str):
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls += 1
        return [self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]]


def test_pinned_transport_connects_to_the_vetted_address_keeping_host_and_sni():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    transport = PinnedTransport(Policy(allow_local=False, resolver=public_resolver), httpx.MockTransport(handler))

    async def go():
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.post("https://hooks.partner.example:8443/h?x=1", content=b"{}")

    assert asyncio.run(go()).status_code == 204
    (req,) = seen
    assert req.url.host == PUBLIC_IP and req.url.port == 8443 and req.url.path == "/h"
    assert req.headers["host"] == "hooks.partner.example:8443"
    assert req.extensions["sni_hostname"] == "hooks.partner.example"


def test_dns_rebinding_is_refused_before_connecting():
    resolver = Rebinding(PUBLIC_IP, "127.0.0.1")
    policy = Policy(allow_local=False, resolver=resolver)
    vet("https://rebind.partner.example/h", policy)  # the operator's check passes
    seen: list[httpx.Request] = []
    transport = PinnedTransport(policy, httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200)))

    async def go():
        async with httpx.AsyncClient(transport=transport) as client:
            await client.post("https://rebind.partner.example/h", content=b"{}")

    with pytest.raises(UnsafeURLError, match="loopback"):
        asyncio.run(go())
    assert seen == [] and resolver.calls == 2


@pytest.fixture
def strict_app(make_settings):
    """The minimal service outside demo mode, with an operator key; its relay resolves through a stub."""
    with TestClient(create_app(make_settings(demo_mode=False, secret_key=REAL_SECRET))) as c:
        p = c.app.state.platform
        with p.db.session() as s:
            key = create_key(s, p.tables, party="op")
        yield c, {"authorization": f"Bearer {key}"}


def test_ops_endpoint_refuses_unsafe_urls_outside_demo_mode(strict_app):
    c, op = strict_app
    p = c.app.state.platform
    p.relay.resolver = lambda h, port: ["10.0.0.7"] if h == "intranet.partner.example" else [PUBLIC_IP]
    for url in ("https://169.254.169.254/latest", "https://[::1]/h", "https://user:pass@hooks.partner.example/h",
                "https://0x7f000001/h", "https://2130706433/h", "https://127.1/h", "https://localhost./h",
                "http://hooks.partner.example/h", "https://intranet.partner.example/h"):
        r = c.put("/v1/ops/endpoints/bob", json={"url": url}, headers=op)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["errors"][0]["field"] == "url"
    r = c.put("/v1/ops/endpoints/bob", json={"url": "https://hooks.partner.example/h"}, headers=op)
    assert r.status_code == 200 and "https only" in r.json()["url_policy"]
    listing = c.get("/v1/ops/endpoints", headers=op).json()
    assert listing["demo_mode"] is False and "re-resolves" in listing["url_policy"]


def test_relay_does_not_deliver_when_the_name_now_resolves_to_loopback(strict_app):
    c, op = strict_app
    p = c.app.state.platform
    resolver = Rebinding(PUBLIC_IP, "127.0.0.1")
    p.relay.resolver = resolver
    assert c.put("/v1/ops/endpoints/bob", json={"url": "https://rebind.partner.example/h"},
                 headers=op).status_code == 200
    with p.db.session() as s:
        mid = outbox.enqueue(s, p.tables, from_party="op", to_party="bob", kind="note.created",
                             subject_type="note", subject_id="n1", payload={"id": "n1"})
    seen: list[httpx.Request] = []
    relay = Relay(p, worker_id="t", resolver=resolver,
                  transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(200)))
    assert asyncio.run(relay.run_once()) == 1
    assert seen == [], "nothing may be sent to the rebound address"
    o, a = p.tables.outbox, p.tables.attempt
    with p.db.read_session() as s:
        row = s.execute(select(o).where(o.c.id == mid)).one()
        err = s.scalar(select(a.c.error).where(a.c.message_id == mid))
    assert row.status == "pending" and "refused before connecting" in err and "loopback" in err


def test_relay_pins_the_address_outside_demo_mode(strict_app):
    c, _ = strict_app
    p = c.app.state.platform
    with p.db.session() as s:
        s.execute(insert(p.tables.endpoint).values(party="bob", url="https://hooks.partner.example/h", enabled=True,
                                                   secret_version=1, updated_at=utcnow()))
        outbox.enqueue(s, p.tables, from_party="op", to_party="bob", kind="note.created",
                       subject_type="note", subject_id="n1", payload={"id": "n1"})
    seen: list[httpx.Request] = []
    relay = Relay(p, worker_id="t", resolver=public_resolver,
                  transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(204)))
    assert asyncio.run(relay.run_once()) == 1
    (req,) = seen
    assert req.url.host == PUBLIC_IP and req.headers["host"] == "hooks.partner.example"




def test_each_name_has_its_own_connection_pool():
    """Two names on one address never share a connection (TLS was set up with one name's SNI)."""
    pools: list[list[str]] = []

    def make_pool() -> httpx.AsyncBaseTransport:
        seen: list[str] = []
        pools.append(seen)
        return httpx.MockTransport(lambda r: seen.append(r.extensions["sni_hostname"]) or httpx.Response(204))

    transport = PinnedTransport(STRICT, make_pool=make_pool)

    async def go():
        async with httpx.AsyncClient(transport=transport) as client:
            for host in ("a.partner.example", "b.partner.example", "a.partner.example"):
                await client.post(f"https://{host}/h", content=b"{}")

    asyncio.run(go())
    assert pools == [["a.partner.example", "a.partner.example"], ["b.partner.example"]]
