"""One way to run the rehearsal's local HTTP servers: threaded, on a free loopback port."""
import threading
from http.server import ThreadingHTTPServer


def serve(handler):
    """Start `handler` (a BaseHTTPRequestHandler class) on 127.0.0.1:<free port>; the server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # A client still waiting (a runtime on `next`) when the rehearsal ends is not an error.
    server.handle_error = lambda *args: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
