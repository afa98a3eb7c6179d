"""Local servers that speak the parts of the WhatsApp Cloud API (Graph API) and the Twilio REST
API Relais calls, for the deployment rehearsal (no internet here). Each checks the credentials
the deployment read from SSM and records every request it accepted."""
import base64
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from rehearsal.loopback import serve


class _Server:
    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _reply(self, status, doc):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _handle(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, doc = outer.answer(method, urlsplit(self.path), headers, body)
                self._reply(status, doc)

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

        self.server = serve(Handler)

    @property
    def url(self):
        host, port = self.server.server_address
        return f"http://{host}:{port}"

    def record(self, **entry):
        with self.lock:
            self.requests.append(entry)

    def close(self):
        self.server.shutdown()


class FakeWhatsApp(_Server):
    """`POST /{version}/{phone_number_id}/messages`, `POST/GET /{version}/{waba_id}/message_templates`
    with `Authorization: Bearer <token>`; templates start `PENDING` (Meta reviews them)."""

    def __init__(self, token):
        self.token = token
        self.templates = []
        super().__init__()

    def answer(self, method, url, headers, body):
        if headers.get("authorization") != f"Bearer {self.token}":
            return 401, {"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}}
        parts = url.path.strip("/").split("/")
        if method == "POST" and len(parts) == 3 and parts[2] == "messages":
            doc = json.loads(body or b"{}")
            wamid = "wamid." + uuid.uuid4().hex
            self.record(kind="message", phone_number_id=parts[1], doc=doc, wamid=wamid)
            return 200, {"messaging_product": "whatsapp", "contacts": [{"input": doc.get("to"), "wa_id": doc.get("to")}],
                         "messages": [{"id": wamid}]}
        if len(parts) == 3 and parts[2] == "message_templates":
            if method == "GET":
                name = parse_qs(url.query).get("name", [""])[0]
                return 200, {"data": [t for t in self.templates if t["name"] == name]}
            doc = json.loads(body or b"{}")
            template = {"id": str(10**15 + len(self.templates) + 1), "name": doc.get("name"),
                        "language": doc.get("language"), "status": "PENDING", "category": doc.get("category"),
                        "waba_id": parts[1]}
            self.templates.append(template)
            self.record(kind="template", waba_id=parts[1], doc=doc)
            return 200, {"id": template["id"], "status": "PENDING", "category": template["category"]}
        return 404, {"error": {"message": f"Unknown path {url.path}", "code": 100}}

    def messages(self):
        return [r for r in self.requests if r["kind"] == "message"]


class FakeTwilio(_Server):
    """`POST /2010-04-01/Accounts/{sid}/Messages.json` with HTTP basic auth (account SID, auth token)."""

    def __init__(self, account_sid, auth_token):
        self.account_sid = account_sid
        self.auth_token = auth_token
        super().__init__()

    def answer(self, method, url, headers, body):
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate", "status": 401}
        if method == "POST" and url.path == f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            sid = "SM" + uuid.uuid4().hex
            self.record(kind="sms", form=form, sid=sid)
            return 201, {"sid": sid, "status": "queued", "to": form.get("To"), "from": form.get("From"),
                         "num_segments": "1", "account_sid": self.account_sid}
        return 404, {"code": 20404, "message": "The requested resource was not found", "status": 404}
