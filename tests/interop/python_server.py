"""The reference package's own testing DummyService, behind its ExceptionToStatusInterceptor
and a server interceptor that reports the `x-injected` metadata of every call, on
127.0.0.1. Prints `listening on 127.0.0.1:PORT`, then `observed <method> <value>` per call."""

from concurrent import futures
import threading

import grpc
from grpc_interceptor import ExceptionToStatusInterceptor, ServerInterceptor
from grpc_interceptor.exceptions import NotFound
from grpc_interceptor.testing import DummyService, raises
from grpc_interceptor.testing.protos import dummy_pb2_grpc


class ReportInjected(ServerInterceptor):
    def intercept(self, method, request_or_iterator, context, method_name):
        injected = dict(context.invocation_metadata()).get("x-injected", "-")
        print(f"observed {method_name} {injected}", flush=True)
        return method(request_or_iterator, context)


class CrashOnce:
    """Raises on the first call, then answers "OK" (the reference's CrashingService)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls = 0

    def __call__(self, _input, _context):
        with self.lock:
            self.calls += 1
            if self.calls == 1:
                raise ValueError("oops")
        return "OK"


def metadata(_input, context):
    return ",".join(f"{k}:{v}" for k, v in context.invocation_metadata())


def main():
    special_cases = {
        "metadata": metadata,
        "error": raises(NotFound("not here")),
        "error_once": CrashOnce(),
    }
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[ReportInjected(), ExceptionToStatusInterceptor()],
    )
    dummy_pb2_grpc.add_DummyServiceServicer_to_server(DummyService(special_cases), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening on 127.0.0.1:{port}", flush=True)
    server.wait_for_termination()


if __name__ == "__main__":
    main()
