"""The moto server, as `moto_server` runs it, except that DynamoDB requests are handled one at a
time. Real DynamoDB applies a conditional write atomically; moto checks the condition and then
writes, so two concurrent conditional writes can both win under its threaded server. Serializing
DynamoDB requests gives the tests the atomicity the real service guarantees (SQS long polls stay
concurrent). Usage: python infra/moto_serve.py HOST PORT
"""
import sys
import threading

from werkzeug.serving import run_simple

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app

app = DomainDispatcherApplication(create_backend_app)
dynamodb = threading.Lock()


def serialized(environ, start_response):
    if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB"):
        with dynamodb:
            # Consume the whole response while holding the lock.
            return list(app(environ, start_response))
    return app(environ, start_response)


if __name__ == "__main__":
    run_simple(sys.argv[1], int(sys.argv[2]), serialized, threaded=True, request_handler=MotoRequestHandler)
