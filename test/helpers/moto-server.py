"""moto's server without request threads.

`moto_server` serves each request on its own thread, and its DynamoDB backend does not make a
conditional PutItem atomic across threads: two parallel `attribute_not_exists` puts of one item
can both succeed, which real DynamoDB never allows. Serving one request at a time restores the
per-request atomicity that AWS guarantees, so concurrency tests exercise our code, not moto's races.
"""
import signal
import sys

from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

host, port = sys.argv[1], int(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
run_simple(host, port, DomainDispatcherApplication(create_backend_app), threaded=False)
