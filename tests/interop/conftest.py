"""Fixtures for the interop suite: stubs generated from proto/dummy.proto, and servers
started as real processes on 127.0.0.1 (the Rust `dummy_server` example and the reference
package's own DummyService)."""

import os
import pathlib
import subprocess
import sys
import threading

import grpc
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def example(name):
    path = TARGET / "debug" / "examples" / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build --example {name}` first")
    return str(path)


class Server:
    """A server process that prints `listening on 127.0.0.1:PORT`; its later output is kept."""

    def __init__(self, command):
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            rest = self.process.stdout.read() if self.process.poll() is not None else ""
            self.stop()
            pytest.fail(f"{command} did not start: {line}{rest}")
        self.address = line.split()[-1]
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self):
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def stubs(tmp_path_factory):
    """`dummy_pb2` and `dummy_pb2_grpc`, generated from the project's proto."""
    from grpc_tools import protoc

    out = tmp_path_factory.mktemp("stubs")
    include = pathlib.Path(protoc.__file__).parent / "_proto"
    status = protoc.main(
        [
            "protoc",
            f"-I{ROOT / 'proto'}",
            f"-I{include}",
            f"--python_out={out}",
            f"--grpc_python_out={out}",
            str(ROOT / "proto" / "dummy.proto"),
        ]
    )
    assert status == 0, "protoc failed on proto/dummy.proto"
    sys.path.insert(0, str(out))
    import dummy_pb2
    import dummy_pb2_grpc

    return dummy_pb2, dummy_pb2_grpc


def rust_server(*args):
    return Server([example("dummy_server"), "--port", "0", *args])


@pytest.fixture(scope="module")
def rust(stubs):
    """A stub connected to the Rust dummy_server (ExceptionToStatus with defaults)."""
    server = rust_server()
    channel = grpc.insecure_channel(server.address)
    yield stubs[1].DummyServiceStub(channel), channel
    channel.close()
    server.stop()


@pytest.fixture(scope="module")
def rust_internal(stubs):
    """A stub connected to the Rust dummy_server with `--status-on-unknown INTERNAL`."""
    server = rust_server("--status-on-unknown", "INTERNAL")
    channel = grpc.insecure_channel(server.address)
    yield stubs[1].DummyServiceStub(channel)
    channel.close()
    server.stop()
