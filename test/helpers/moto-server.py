"""moto's server without request threads, and with its request routing memoized.

`moto_server` serves each request on its own thread, and its DynamoDB backend does not make a
conditional PutItem atomic across threads: two parallel `attribute_not_exists` puts of one item
can both succeed, which real DynamoDB never allows. Serving one request at a time restores the
per-request atomicity that AWS guarantees, so concurrency tests exercise our code, not moto's races.

moto finds the backend of every request by matching the host it infers (such as
`secretsmanager.us-east-1.amazonaws.com`) against the URL patterns of every service it emulates:
about half of its CPU time per request. The answer depends on the host alone, so it is kept per
host (measured: 5.5 ms of moto CPU per Secrets Manager request before, 3.0 ms after).
"""
import functools
import secrets
import signal
import sys

from werkzeug.serving import WSGIRequestHandler, run_simple
from moto.core import responses as moto_responses
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app


class HostMemoDispatcher(DomainDispatcherApplication):
    def __init__(self, create_app):
        super().__init__(create_app)
        self._backend_by_host = {}

    def get_backend_for_host(self, host):
        if host not in self._backend_by_host:
            self._backend_by_host[host] = super().get_backend_for_host(host)
        return self._backend_by_host[host]


# Per request, moto also lists its response class's methods with inspect.getmembers, makes a 52-character
# request id with one random.choice per character, and formats a log line that goes nowhere (the
# tests ignore this process's output). The first is kept per class; the other two made cheap.
# (Measured on test/integration/name-index: moto's CPU 15.1 and 15.4 s before, 14.7 and 12.8 after.)
method_names = functools.lru_cache(maxsize=None)(moto_responses.method_names_from_class)
moto_responses.method_names_from_class = method_names


def cheap_request_id(headerdict=None):
    request_id = secrets.token_hex(26).upper()
    if isinstance(headerdict, dict):
        headerdict["x-amzn-requestid"] = request_id
    return request_id


moto_responses.gen_amzn_requestid_long = cheap_request_id
WSGIRequestHandler.log_request = lambda *args, **kwargs: None

host, port = sys.argv[1], int(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
run_simple(host, port, HostMemoDispatcher(create_backend_app), threaded=False)
