"""deploy/haproxy.cfg against the settings and the Compose file, checked statically: the balancer takes a
draining replica out within ``server.shutdown_delay_s``, waits for streams longer than the grace, and retries
only what is safe to retry. (tests/integration/test_rolling_restart.py runs the same file for real.)"""

from __future__ import annotations

import re

import yaml

from autbot.entrypoints.settings import load_settings
from tests.support.processes import ROOT

CONFIG = (ROOT / "deploy" / "haproxy.cfg").read_text()
UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0}


def seconds(value: str) -> float:
    found = re.fullmatch(r"(\d+)(ms|s|m)", value)
    assert found is not None, value
    return int(found.group(1)) * UNITS[found.group(2)]


def lines() -> list[str]:
    return [line.split("#", 1)[0].strip() for line in CONFIG.splitlines()]


def server_option(name: str) -> str:
    default_server = next(line for line in lines() if line.startswith("default-server "))
    words = default_server.split()
    return words[words.index(name) + 1]


def directive(prefix: str) -> str:
    return next(line for line in lines() if line.startswith(prefix + " ")).removeprefix(prefix + " ")


def takes_out_within() -> float:
    """The longest a failing replica stays in: one check interval, then ``fall`` quick checks."""
    return seconds(server_option("inter")) + int(server_option("fall")) * seconds(server_option("fastinter"))


def test_the_balancer_checks_ready_and_retries_only_what_is_safe() -> None:
    assert "check" in directive("default-server").split()
    assert directive("http-check send").startswith("meth GET uri /ready ")
    assert directive("http-check expect") == "status 200"
    assert directive("retry-on") == "conn-failure empty-response"
    assert directive("http-request disable-l7-retry") == "unless METH_GET"  # a sent POST is never sent twice
    assert directive("option redispatch") == "1"  # a refused connection goes to another replica
    assert "option http-server-close" in lines()  # no pooled connection that the replica may close meanwhile


def test_the_balancer_takes_a_draining_replica_out_before_it_stops_listening() -> None:
    production = load_settings("production", env={}).server
    assert takes_out_within() < production.shutdown_delay_s
    assert seconds(directive("timeout server")) > production.shutdown_delay_s + production.shutdown_grace_s


def test_compose_runs_the_balancer_in_front_of_replicas_that_drain_in_time() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in services["haproxy"]["volumes"]
    names = re.findall(r'"\$\{AUTBOT_\d_ADDR-([a-z0-9-]+):8000\}"', CONFIG)
    assert names == ["autbot-1", "autbot-2"]
    for name in names:
        replica = services[name]
        assert "ports" not in replica  # clients reach replicas through the balancer only
        env = replica["environment"]
        delay, grace = float(env["AUTBOT_SERVER__SHUTDOWN_DELAY_S"]), float(env["AUTBOT_SERVER__SHUTDOWN_GRACE_S"])
        assert takes_out_within() < delay
        assert seconds(replica["stop_grace_period"]) > delay + grace  # Docker never kills a clean shutdown
