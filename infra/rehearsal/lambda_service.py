"""A local stand-in for the Lambda service: one Lambda Runtime API server per function (the
2018-06-01 interface every custom runtime speaks: `invocation/next`, `invocation/{id}/response`,
`invocation/{id}/error`, `init/error`), the function's real `bootstrap` started against it with
exactly the environment its configuration holds, and the event sources the stack configures:
API Gateway HTTP API (payload 2.0) routes, SQS event source mappings (batch size, partial batch
failures) and EventBridge scheduled events."""
import base64
import json
import queue
import re
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from rehearsal.loopback import serve

PREFIX = "/2018-06-01/runtime"


def name_error(text):
    """moto answers a JSON-protocol service's denial in XML, which the SDK reports as an
    unparsable body: pull the denial out of it."""
    denial = re.search(r"<Code>([^<]+)</Code><Message>([^<]+)</Message>", text)
    if denial:
        return f"{denial.group(1)}: {denial.group(2)}"
    return text[-500:]


class InvokeError(Exception):
    """The function failed the invocation, failed its init, or did not answer in time."""


class Invocation:
    def __init__(self, payload, deadline_ms):
        self.id = str(uuid.uuid4())
        self.payload = payload
        self.deadline_ms = deadline_ms
        self.done = threading.Event()
        self.response = None
        self.error = None


class RuntimeApi:
    """The Runtime API of one function."""

    def __init__(self, function_arn):
        self.function_arn = function_arn
        self.pending = queue.Queue()
        self.by_id = {}
        self.init_error = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404)
                inv = api.pending.get()
                api.by_id[inv.id] = inv
                self._reply(200, inv.payload, {
                    "Content-Type": "application/json",
                    "Lambda-Runtime-Aws-Request-Id": inv.id,
                    "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
                    "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                    "Lambda-Runtime-Trace-Id": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
                })

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["init", "error"]:
                    api.init_error = body.decode(errors="replace")
                    return self._reply(202, b"{}")
                if len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                    inv = api.by_id.pop(parts[1], None)
                    if inv is None:
                        return self._reply(400, b'{"errorMessage":"unknown request id"}')
                    if parts[2] == "response":
                        inv.response = body
                    else:
                        inv.error = body.decode(errors="replace")
                    inv.done.set()
                    return self._reply(202, b"{}")
                self._reply(404)

        self.server = serve(Handler)

    @property
    def address(self):
        host, port = self.server.server_address
        return f"{host}:{port}"

    def close(self):
        self.server.shutdown()


class Function:
    """One deployed function: its configuration (as the emulator holds it), its Runtime API and
    its bootstrap process."""

    def __init__(self, logical, config, bootstrap, credentials, endpoint_url, region, log_path):
        self.logical = logical
        self.name = config["FunctionName"]
        self.config = config
        self.timeout = int(config.get("Timeout", 3))
        self.api = RuntimeApi(config["FunctionArn"])
        self.environment = dict(config.get("Environment", {}).get("Variables", {}))
        # What the Lambda service sets for every function (the credentials are the function's own,
        # see README "Deploying to AWS"); AWS_ENDPOINT_URL sends the SDK to the emulator.
        self.process_env = {
            **self.environment,
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": self.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{self.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "rehearsal",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_ENDPOINT_URL": endpoint_url,
            "_HANDLER": config.get("Handler", "bootstrap"),
            "LAMBDA_TASK_ROOT": "/var/task",
            "PATH": "/usr/local/bin:/usr/bin:/bin",
        }
        self.log_path = log_path
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen([bootstrap], env=self.process_env, stdin=subprocess.DEVNULL,
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def last_error(self):
        """The error of the function's last WARN or ERROR log line (how an AWS error a function
        answered 5xx for is named)."""
        self.log.flush()
        with open(self.log_path, "rb") as f:
            lines = f.read().decode(errors="replace").strip().splitlines()
        found = None
        for line in reversed(lines):
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            fields = doc.get("fields", {})
            if doc.get("level") in ("WARN", "ERROR") and "error" in fields:
                found = str(fields["error"])
                break
        if found is None:
            return None
        return name_error(found)

    def log_tail(self, lines=6):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            text = f.read().decode(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])

    def invoke(self, event):
        """Run one invocation; the parsed response, or InvokeError with the function's error."""
        if self.process.poll() is not None or self.api.init_error:
            raise InvokeError(f"{self.logical} is not running (init failed, exit {self.process.poll()}): "
                              f"{name_error(self.api.init_error or self.log_tail())}")
        deadline = time.time() + self.timeout
        inv = Invocation(json.dumps(event).encode(), int(deadline * 1000))
        self.api.pending.put(inv)
        while not inv.done.wait(0.05):
            if self.process.poll() is not None:
                raise InvokeError(f"{self.logical} exited with {self.process.poll()}: {name_error(self.log_tail())}")
            if time.time() > deadline + 1:
                raise InvokeError(f"{self.logical} timed out after {self.timeout} s")
        if inv.error is not None:
            raise InvokeError(f"{self.logical} failed: {inv.error[:600]}")
        return json.loads(inv.response) if inv.response else None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.api.close()
        self.log.close()


# ------------------------------------------------------------------ event sources

def http_event(route_key, path, method, body=None, headers=None, query="", claims=None, path_parameters=None):
    """An API Gateway HTTP API (payload format 2.0) event."""
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    if body is None or isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode()
    else:
        raw = json.dumps(body).encode()
    context = {
        "accountId": "123456789012", "apiId": "rehearsal", "domainName": "rehearsal.execute-api.local",
        "domainPrefix": "rehearsal", "requestId": str(uuid.uuid4()), "routeKey": route_key, "stage": "$default",
        "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()), "timeEpoch": int(time.time() * 1000),
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                 "userAgent": headers.get("user-agent", "relais-rehearsal")},
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    event = {
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": query,
        "headers": headers, "requestContext": context, "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) if "=" in p else (p, "") for p in query.split("&"))
    if path_parameters:
        event["pathParameters"] = path_parameters
    if raw is not None:
        event["body"] = base64.b64encode(raw).decode()
        event["isBase64Encoded"] = True
    return event


class HttpApi:
    """The routes of the translated template's AWS::ApiGatewayV2::Api (which the emulator's
    CloudFormation does not create), each to its function, with the JWT authorizer's verdict:
    a route that requires it gets the caller's claims, or 401 without them."""

    def __init__(self, body, functions_by_logical):
        self.routes = []
        for path, methods in body.get("paths", {}).items():
            for method, op in methods.items():
                integration = op.get("x-amazon-apigateway-integration", {})
                uri = json.dumps(integration.get("uri"))
                target = next((lg for lg in functions_by_logical if f'"{lg}.Arn"' in uri or f'"{lg}", "Arn"' in uri
                               or f"${{{lg}.Arn}}" in uri), None)
                secured = bool(op.get("security")) and not any("NONE" in s for s in op.get("security", []))
                self.routes.append((method.upper(), path, target, secured))
        self.functions = functions_by_logical

    def match(self, method, path):
        for route_method, pattern, target, secured in self.routes:
            if route_method not in (method, "X-AMAZON-APIGATEWAY-ANY-METHOD", "ANY"):
                continue
            a, b = pattern.strip("/").split("/"), path.strip("/").split("/")
            if len(a) != len(b):
                continue
            params = {}
            for x, y in zip(a, b):
                if x.startswith("{") and x.endswith("}"):
                    params[x[1:-1]] = y
                elif x != y:
                    break
            else:
                return route_method, pattern, target, secured, params
        return None

    def request(self, method, url, body=None, headers=None, claims=None):
        """(status, headers, body bytes) as the HTTP API would answer."""
        parts = urlsplit(url)
        found = self.match(method, parts.path)
        if found is None:
            return 404, {}, b'{"message":"Not Found"}'
        route_method, pattern, target, secured, params = found
        if secured and claims is None:
            return 401, {}, b'{"message":"Unauthorized"}'
        route_key = f"{'ANY' if route_method.startswith('X-') else route_method} {pattern}"
        event = http_event(route_key, parts.path, method, body, headers, parts.query,
                           claims if secured else None, params or None)
        self.last_target = self.functions[target]
        reply = self.last_target.invoke(event)
        data = reply.get("body") or ""
        data = base64.b64decode(data) if reply.get("isBase64Encoded") else data.encode()
        return int(reply.get("statusCode", 200)), reply.get("headers") or {}, data


def scheduled_event(rule_arn, region):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": now, "region": region, "resources": [rule_arn], "detail": {}}


def poll_mapping(sqs, mapping, function, region, wait_seconds=1):
    """One poll of an SQS event source mapping, as the Lambda service does it: receive up to the
    batch size, invoke, delete what succeeded (with ReportBatchItemFailures, all but the
    reported items). Returns (records, failed ids); raises InvokeError if the invocation fails."""
    queue_arn = mapping["EventSourceArn"]
    queue_name = queue_arn.rsplit(":", 1)[-1]
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, mapping.get("BatchSize", 10)),
                              WaitTimeSeconds=wait_seconds, AttributeNames=["All"], MessageAttributeNames=["All"])
    messages = got.get("Messages", [])
    if not messages:
        return 0, []
    records = [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody", ""), "eventSource": "aws:sqs", "eventSourceARN": queue_arn,
        "awsRegion": region,
    } for m in messages]
    reply = function.invoke({"Records": records})
    failed = []
    if "ReportBatchItemFailures" in mapping.get("FunctionResponseTypes", []) and isinstance(reply, dict):
        failed = [f["itemIdentifier"] for f in reply.get("batchItemFailures", [])]
    for m in messages:
        if m["MessageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return len(messages), failed
