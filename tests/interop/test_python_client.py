"""A Python grpcio client calls the Rust `dummy_server` example, in all four modes."""

import grpc
import pytest

ECHO = (("x-echo-method", "1"),)


def requests(pb2, inputs):
    return iter([pb2.DummyRequest(input=i) for i in inputs])


def call_error(fn, *args, **kwargs):
    with pytest.raises(grpc.RpcError) as info:
        result = fn(*args, **kwargs)
        if hasattr(result, "__iter__") and not hasattr(result, "output"):
            list(result)
    return info.value


def test_unary_echo_and_special_outputs(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    assert stub.Execute(pb2.DummyRequest(input="foo")).output == "foo"
    assert stub.Execute(pb2.DummyRequest(input="upper")).output == "UPPER"
    assert stub.Execute(pb2.DummyRequest(input="empty")).output == ""
    assert stub.Execute(pb2.DummyRequest(input="")).output == ""


@pytest.mark.parametrize(
    "special, code, details",
    [
        ("error", grpc.StatusCode.NOT_FOUND, "not here"),
        ("notfound_default", grpc.StatusCode.NOT_FOUND, "The requested entity was not found"),
        ("grpcexc", grpc.StatusCode.UNKNOWN, "Unknown exception occurred"),
        ("custom_code", grpc.StatusCode.DATA_LOSS, "custom"),
        ("override", grpc.StatusCode.INTERNAL, "nf-but-internal"),
        ("unknown", grpc.StatusCode.UNKNOWN, "panicked: oops"),
        ("zerodiv", grpc.StatusCode.UNKNOWN, "panicked: attempt to divide by zero"),
        ("abort", grpc.StatusCode.RESOURCE_EXHAUSTED, "resource exhausted"),
        ("setcode", grpc.StatusCode.NOT_FOUND, None),
    ],
)
def test_errors_reach_the_client_with_code_and_details(rust, stubs, special, code, details):
    stub, _ = rust
    error = call_error(stub.Execute, stubs[0].DummyRequest(input=special))
    assert error.code() == code
    if details is not None:
        assert error.details() == details


@pytest.mark.parametrize(
    "special, code, details",
    [
        ("unknown", grpc.StatusCode.INTERNAL, "panicked: oops"),
        ("zerodiv", grpc.StatusCode.INTERNAL, "panicked: attempt to divide by zero"),
        ("abort", grpc.StatusCode.RESOURCE_EXHAUSTED, "resource exhausted"),
        ("setcode", grpc.StatusCode.NOT_FOUND, None),
        ("error", grpc.StatusCode.NOT_FOUND, "not here"),
    ],
)
def test_status_on_unknown_exception_maps_only_unknown_failures(rust_internal, stubs, special, code, details):
    error = call_error(rust_internal.Execute, stubs[0].DummyRequest(input=special))
    assert error.code() == code
    if details is not None:
        assert error.details() == details


def test_client_stream_concatenates_and_fails_on_the_first_error(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    assert stub.ExecuteClientStream(requests(pb2, ["foo", "bar"])).output == "foobar"
    assert stub.ExecuteClientStream(requests(pb2, [])).output == ""
    error = call_error(stub.ExecuteClientStream, requests(pb2, ["foo", "error", "bar"]))
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "not here")


def test_server_stream_sends_one_message_per_code_point(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    assert [r.output for r in stub.ExecuteServerStream(pb2.DummyRequest(input="foo"))] == ["f", "o", "o"]
    assert len(list(stub.ExecuteServerStream(pb2.DummyRequest(input="\U0001F1FA\U0001F1F8")))) == 2
    assert list(stub.ExecuteServerStream(pb2.DummyRequest(input="empty"))) == []
    error = call_error(stub.ExecuteServerStream, pb2.DummyRequest(input="error"))
    assert (error.code(), error.details()) == (grpc.StatusCode.NOT_FOUND, "not here")


def test_bidi_answers_each_request(rust, stubs):
    stub, _ = rust
    outputs = [r.output for r in stub.ExecuteClientServerStream(requests(stubs[0], ["foo", "", "bar"]))]
    assert outputs == ["foo", "", "bar"]


def test_a_panic_mid_stream_delivers_earlier_messages_then_the_status(rust, rust_internal, stubs):
    stub, _ = rust
    for client, code in [(stub, grpc.StatusCode.UNKNOWN), (rust_internal, grpc.StatusCode.INTERNAL)]:
        received = []
        with pytest.raises(grpc.RpcError) as info:
            for response in client.ExecuteClientServerStream(requests(stubs[0], ["foo", "unknown", "bar"])):
                received.append(response.output)
        assert received == ["foo"]
        assert (info.value.code(), info.value.details()) == (code, "panicked: oops")


def test_the_server_still_answers_after_panics(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    for _ in range(50):
        assert call_error(stub.Execute, pb2.DummyRequest(input="unknown")).code() == grpc.StatusCode.UNKNOWN
    assert stub.Execute(pb2.DummyRequest(input="still here")).output == "still here"


def test_the_interceptor_sets_trailers_in_every_mode(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    expected = {
        "x-parsed": "MethodName(package='', service='DummyService', method='{}')",
        "x-fqs": "DummyService",
    }

    def check(trailers, method):
        trailers = dict(trailers)
        assert trailers["x-method-name"] == f"/DummyService/{method}"
        assert trailers["x-parsed"] == expected["x-parsed"].format(method)
        assert trailers["x-fqs"] == expected["x-fqs"]

    _, call = stub.Execute.with_call(pb2.DummyRequest(input="a"), metadata=ECHO)
    check(call.trailing_metadata(), "Execute")
    _, call = stub.ExecuteClientStream.with_call(requests(pb2, ["a"]), metadata=ECHO)
    check(call.trailing_metadata(), "ExecuteClientStream")
    call = stub.ExecuteServerStream(pb2.DummyRequest(input="ab"), metadata=ECHO)
    assert [r.output for r in call] == ["a", "b"]
    check(call.trailing_metadata(), "ExecuteServerStream")
    call = stub.ExecuteClientServerStream(requests(pb2, ["a"]), metadata=ECHO)
    assert [r.output for r in call] == ["a"]
    check(call.trailing_metadata(), "ExecuteClientServerStream")


def test_trailers_survive_an_error_status(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    for special in ["error", "unknown", "abort"]:
        error = call_error(stub.Execute, pb2.DummyRequest(input=special), metadata=ECHO)
        assert dict(error.trailing_metadata())["x-method-name"] == "/DummyService/Execute"
    error = call_error(stub.ExecuteClientServerStream, requests(pb2, ["foo", "unknown"]), metadata=ECHO)
    assert dict(error.trailing_metadata())["x-method-name"] == "/DummyService/ExecuteClientServerStream"


def test_the_server_sees_the_client_metadata_in_every_mode(rust, stubs):
    stub, _ = rust
    pb2 = stubs[0]
    md = (("this_key", "this_value"),)
    assert "this_key:this_value" in stub.Execute(pb2.DummyRequest(input="metadata"), metadata=md).output
    assert "this_key:this_value" in stub.ExecuteClientStream(requests(pb2, ["metadata"]), metadata=md).output
    streamed = "".join(r.output for r in stub.ExecuteServerStream(pb2.DummyRequest(input="metadata"), metadata=md))
    assert "this_key:this_value" in streamed
    bidi = "".join(r.output for r in stub.ExecuteClientServerStream(requests(pb2, ["metadata"]), metadata=md))
    assert "this_key:this_value" in bidi


def test_a_python_timeout_reaches_the_interceptor_as_a_deadline(rust, stubs):
    stub, _ = rust
    _, call = stub.Execute.with_call(stubs[0].DummyRequest(input="a"), metadata=ECHO, timeout=5)
    seen = int(dict(call.trailing_metadata())["x-timeout-ms"])
    # grpc-core rounds the timeout up when it writes the `grpc-timeout` header (5 s arrives
    # as about 5010 ms), so the bound above is not exactly 5000.
    assert 4000 < seen <= 5100
    _, call = stub.Execute.with_call(stubs[0].DummyRequest(input="a"), metadata=ECHO)
    assert "x-timeout-ms" not in dict(call.trailing_metadata())


def test_an_unregistered_method_is_unimplemented(rust):
    _, channel = rust
    error = call_error(channel.unary_unary("/DummyService/Unimplemented"), b"")
    assert error.code() == grpc.StatusCode.UNIMPLEMENTED
