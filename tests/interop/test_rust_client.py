"""A Rust client with client interceptors (metadata injection, retry, code counting) calls
the reference package's own server, in all four modes."""

import subprocess
import sys
import time

from conftest import Server, example, ROOT


def test_rust_client_interceptors_against_the_reference_server():
    server = Server([sys.executable, str(ROOT / "tests" / "interop" / "python_server.py")])
    try:
        port = server.address.rsplit(":", 1)[1]
        client = subprocess.run(
            [example("interop_client"), "--port", port],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert client.returncode == 0, client.stdout + client.stderr
        assert "all checks passed" in client.stdout
        time.sleep(0.2)
    finally:
        server.stop()
    observed = [line.split() for line in server.lines if line.startswith("observed ")]
    methods = {method for _, method, value in observed if value == "rust"}
    assert methods == {
        "/DummyService/Execute",
        "/DummyService/ExecuteClientStream",
        "/DummyService/ExecuteServerStream",
        "/DummyService/ExecuteClientServerStream",
    }
    # Every call carried the injected metadata, retries included.
    assert all(value == "rust" for _, _, value in observed), observed
    retried = [m for _, m, _ in observed].count("/DummyService/Execute")
    assert retried >= 4
