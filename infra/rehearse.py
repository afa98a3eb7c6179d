"""Deployment rehearsal (README "Deploying to AWS"): template.yaml deployed on a local AWS emulator
with IAM enforced, each function run as its real bootstrap under a local Lambda Runtime API with
exactly the environment the stack gives it and credentials that carry only its own policy, and one
whole guest journey driven through it. One line per step, then `N passed, N failed`; exit 1 on any
failure.

Usage (infra/rehearse.sh builds the bootstraps and calls this):
  python infra/rehearse.py --bootstraps DIR --relais PATH [--drop Logical:action ...] [--logs DIR]
"""
import argparse
import ast
import contextlib
import copy
import hashlib
import hmac
import io
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import urllib.request
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from rehearsal.lambda_service import Function, HttpApi, InvokeError, poll_mapping, scheduled_event  # noqa: E402
from rehearsal.providers import FakeTwilio, FakeWhatsApp  # noqa: E402
from sam_template import load, translate  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "eu-west-1"
ACCOUNT = "123456789012"
STACK = "relais"
FUNCTIONS = {
    "PmsWebhookFunction": "pms-webhook",
    "CampaignsApiFunction": "campaigns-api",
    "DeliveryStatusFunction": "delivery-status",
    "SweepFunction": "sweep",
    "EvaluatorFunction": "evaluator",
    "DispatcherFunction": "dispatcher",
}
# Resources moto's CloudFormation mishandles (a Ref to a custom bus resolves to an object, and
# the rule on that bus fails with HTTP 500): the loader creates them from the template with the SDK.
LOADER_CREATES = {"EventBus", "ReservationChangedRule", "EventQueuesPolicy", "SweepDLQPolicy"}

# One action each function's policy must deny (boto3 call with that function's credentials).
DENIED = {
    "PmsWebhookFunction": ("sqs:SendMessage on the dispatch queue", "sqs", "send_message"),
    "CampaignsApiFunction": ("dynamodb:DeleteTable", "dynamodb", "delete_table"),
    "DeliveryStatusFunction": ("dynamodb:DeleteTable", "dynamodb", "delete_table"),
    "SweepFunction": ("events:PutEvents on the bus", "events", "put_events"),
    "EvaluatorFunction": ("ssm:GetParameter of the WhatsApp token", "ssm", "get_parameter"),
    "DispatcherFunction": ("ses:SendEmail", "sesv2", "send_email"),
}


class Step(Exception):
    pass


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, name, detail=""):
        self.passed += 1
        print(f"ok    {name}" + (f": {detail}" if detail else ""), flush=True)

    def fail(self, name, error):
        self.failed += 1
        print(f"FAIL  {name}: {error}", flush=True)

    def note(self, text):
        print(f"note  {text}", flush=True)

    def run(self, name, fn, fatal=True):
        try:
            detail = fn()
            self.ok(name, detail or "")
            return True
        except (Step, InvokeError, ClientError, AssertionError) as e:
            self.fail(name, str(e) or repr(e))
        except Exception as e:  # a bug in the rehearsal itself: show where
            self.fail(name, f"{type(e).__name__}: {e} [{traceback.format_exc(limit=3).splitlines()[-3].strip()}]")
        if fatal:
            raise SystemExit(self.finish())
        return False

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


def policy_document(doc):
    """A policy document as IAM returns it: a dict, JSON text, or (moto, for CloudFormation-made
    roles) the text of a Python dict."""
    if isinstance(doc, dict):
        return doc
    text = urllib.parse.unquote(doc)
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Rehearsal:
    def __init__(self, args):
        self.args = args
        self.report = Report()
        self.logs = args.logs or tempfile.mkdtemp(prefix="relais-rehearsal-")
        os.makedirs(self.logs, exist_ok=True)
        self.functions = {}
        self.keys = {}
        self.moto = None
        self.configs = {}

    # -------------------------------------------------------------- emulator and clients
    def client(self, service, keys=None):
        keys = keys or self.admin
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=keys["AccessKeyId"], aws_secret_access_key=keys["SecretAccessKey"])

    def start_moto(self):
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3", MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        log = open(os.path.join(self.logs, "moto.log"), "wb")
        self.moto = subprocess.Popen([sys.executable, os.path.join(ROOT, "infra", "moto_serve.py"), "127.0.0.1",
                                      str(port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise Step("moto did not start")
        # The first three requests are unauthenticated: they create the deployer.
        anonymous = {"AccessKeyId": "bootstrap", "SecretAccessKey": "bootstrap"}
        iam = boto3.client("iam", endpoint_url=self.url, region_name=REGION,
                           aws_access_key_id=anonymous["AccessKeyId"],
                           aws_secret_access_key=anonymous["SecretAccessKey"])
        iam.create_user(UserName="deployer")
        self.admin = iam.create_access_key(UserName="deployer")["AccessKey"]
        iam.put_user_policy(UserName="deployer", PolicyName="deploy", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        # Enforcement is on: an unknown key is refused.
        try:
            boto3.client("sqs", endpoint_url=self.url, region_name=REGION, aws_access_key_id="AKIAUNKNOWN",
                         aws_secret_access_key="x").list_queues()
            raise Step("moto accepted an unknown access key: IAM is not enforced")
        except ClientError as e:
            code = e.response["Error"]["Code"]
        return f"{self.url}, IAM enforced after 3 requests (an unknown key gets {code})"

    @contextlib.contextmanager
    def lambda_control_plane(self):
        """moto's signature check refuses every Lambda REST call once IAM is enforced, even the
        deployer's; the deployer's reads of the function configurations and event source mappings
        run with enforcement paused, which no function call ever does (functions never call Lambda)."""
        post = lambda count: urllib.request.urlopen(urllib.request.Request(  # noqa: E731
            f"{self.url}/moto-api/reset-auth", data=str(count).encode(), method="POST",
            headers={"Content-Type": "text/plain"}), timeout=5).read()
        post(10**6)
        try:
            yield
        finally:
            post(0)

    # -------------------------------------------------------------- template
    def translate(self):
        self.sam = load(os.path.join(ROOT, "template.yaml"))
        self.cfn = translate(self.sam, lambda logical: f"s3://relais-artifacts/{FUNCTIONS[logical]}.zip")
        types = sorted({r["Type"] for r in self.cfn["Resources"].values()})
        return f"{len(self.cfn['Resources'])} resources of {len(types)} types"

    def upload(self):
        s3 = self.client("s3")
        s3.create_bucket(Bucket="relais-artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
        sizes = []
        for logical, binary in FUNCTIONS.items():
            path = self.bootstrap(binary)
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                info = zipfile.ZipInfo("bootstrap")
                info.external_attr = 0o755 << 16
                with open(path, "rb") as f:
                    z.writestr(info, f.read())
            s3.put_object(Bucket="relais-artifacts", Key=f"{binary}.zip", Body=buf.getvalue())
            sizes.append(f"{binary} {os.path.getsize(path) / 2**20:.1f} MiB")
        return ", ".join(sizes)

    def bootstrap(self, binary):
        path = os.path.join(self.args.bootstraps, binary)
        if not os.path.isfile(path):
            raise Step(f"no bootstrap at {path}")
        return path

    def parameters(self):
        self.whatsapp_token = "EAAG" + secrets.token_hex(16)
        self.app_secret = secrets.token_hex(16)
        self.verify_token = secrets.token_hex(8)
        self.twilio_sid = "AC" + secrets.token_hex(16)
        self.twilio_token = secrets.token_hex(16)
        self.whatsapp = FakeWhatsApp(self.whatsapp_token)
        self.twilio = FakeTwilio(self.twilio_sid, self.twilio_token)
        return {
            "JwtIssuer": "https://login.rehearsal.example", "JwtAudience": "console-client",
            "MailFrom": "relais@rehearsal.example", "MailIdentity": "rehearsal.example",
            "PublicUrl": "https://api.rehearsal.example", "WhatsAppApiBase": self.whatsapp.url,
            "TwilioApiBase": self.twilio.url, "TwilioAccountSid": self.twilio_sid,
            "ConsoleAuthDomain": "https://login.rehearsal.example", "ConsoleClientId": "console-client",
        }

    def resolve(self, value, physical):
        """Intrinsic functions of the few resources the loader creates itself."""
        if isinstance(value, dict):
            if "Ref" in value:
                name = value["Ref"]
                return {"AWS::StackName": STACK, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                        "AWS::Partition": "aws"}.get(name) or physical[name]
            if "Fn::GetAtt" in value:
                logical, attribute = value["Fn::GetAtt"]
                return physical[f"{logical}.{attribute}"]
            if "Fn::Sub" in value:
                text = value["Fn::Sub"]
                for k, v in {"AWS::StackName": STACK, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                             "AWS::Partition": "aws"}.items():
                    text = text.replace("${" + k + "}", v)
                return text
            return {k: self.resolve(v, physical) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, physical) for v in value]
        return value

    def deploy(self):
        params = self.parameters()
        template = copy.deepcopy(self.cfn)
        resources = template["Resources"]
        # The bus first (functions reference it), by the loader.
        bus_name = self.resolve(resources["EventBus"]["Properties"]["Name"], {})
        self.client("events").create_event_bus(Name=bus_name)
        template["Resources"] = {k: v for k, v in resources.items() if k not in LOADER_CREATES}
        template = json.loads(json.dumps(template).replace('{"Ref": "EventBus"}', json.dumps(bus_name)))
        cfn = self.client("cloudformation")
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"],
                         Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])
        for _ in range(100):
            status = cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]
            if status.endswith("COMPLETE") or status.endswith("FAILED"):
                break
            time.sleep(0.2)
        if status != "CREATE_COMPLETE":
            raise Step(f"stack {status}")
        summaries = cfn.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
        self.physical = {s["LogicalResourceId"]: s.get("PhysicalResourceId") for s in summaries}
        created = {s["LogicalResourceId"] for s in summaries if s["ResourceStatus"] == "CREATE_COMPLETE"}
        # Attributes the loader's resources need.
        sqs = self.client("sqs")
        physical = dict(self.physical)
        physical["EventBus"] = bus_name
        for logical, res in self.cfn["Resources"].items():
            if res["Type"] == "AWS::SQS::Queue":
                url = self.physical[logical]
                attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
                physical[f"{logical}.Arn"] = attrs["QueueArn"]
                physical[f"{logical}.QueueName"] = url.rsplit("/", 1)[-1]
                physical[logical] = url
        events = self.client("events")
        rule = self.cfn["Resources"]["ReservationChangedRule"]["Properties"]
        arn = events.put_rule(Name=f"{STACK}-ReservationChangedRule", EventBusName=bus_name,
                              EventPattern=json.dumps(rule["EventPattern"]), State=rule["State"],
                              Description=rule.get("Description", ""))["RuleArn"]
        physical["ReservationChangedRule.Arn"] = arn
        targets = self.resolve(rule["Targets"], physical)
        events.put_targets(Rule=f"{STACK}-ReservationChangedRule", EventBusName=bus_name, Targets=targets)
        physical["SweepFunctionSchedule.Arn"] = (
            f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{self.physical.get('SweepFunctionSchedule')}")
        for name in ("EventQueuesPolicy", "SweepDLQPolicy"):
            props = self.cfn["Resources"][name]["Properties"]
            policy = self.resolve(props["PolicyDocument"], physical)
            for q in self.resolve(props["Queues"], physical):
                sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps(policy)})
        self.bus_name = bus_name
        self.queues = {k: v for k, v in physical.items() if k.endswith("Queue") or k.endswith("DLQ")}
        # Conditional resources whose condition is false (e.g. no alarm e-mail) are not expected.
        wanted = {k for k, v in self.cfn["Resources"].items() if "Condition" not in v}
        unsupported = sorted(wanted - created - LOADER_CREATES)
        kinds = sorted({self.cfn["Resources"][k]["Type"] for k in unsupported})
        self.report.note(f"created by the emulator's CloudFormation: {len(created)} resources; by the loader from "
                         f"the template: {', '.join(sorted(LOADER_CREATES))}")
        self.report.note(f"not emulated ({len(unsupported)}): {', '.join(kinds)} (the HTTP API's routes are served "
                         f"by the rehearsal from the template's API definition; alarms are not evaluated)")
        return f"stack {STACK} CREATE_COMPLETE"

    def check_resources(self):
        ddb = self.client("dynamodb")
        table = ddb.describe_table(TableName=self.physical["Table"])["Table"]
        indexes = sorted(i["IndexName"] for i in table.get("GlobalSecondaryIndexes", []))
        sqs = self.client("sqs")
        redrive = {}
        for logical in ("DispatchQueue", "EvaluatorQueue"):
            attrs = sqs.get_queue_attributes(QueueUrl=self.queues[logical], AttributeNames=["All"])["Attributes"]
            policy = json.loads(attrs.get("RedrivePolicy", "{}"))
            if policy.get("maxReceiveCount") not in (5, "5"):
                raise Step(f"{logical} has no redrive policy with maxReceiveCount 5: {policy}")
            redrive[logical] = policy["deadLetterTargetArn"].rsplit(":", 1)[-1]
        targets = self.client("events").list_targets_by_rule(Rule=f"{STACK}-ReservationChangedRule",
                                                             EventBusName=self.bus_name)["Targets"]
        if not targets or not targets[0]["Arn"].endswith(self.queues["EvaluatorQueue"].rsplit("/", 1)[-1]):
            raise Step(f"the ReservationChanged rule does not target the evaluator queue: {targets}")
        return (f"table with GSIs {','.join(indexes)}; redrive {redrive}; bus rule -> evaluator queue")

    def secrets_and_identity(self):
        ssm = self.client("ssm")
        prefix = self.sam["Parameters"]["SecretsPrefix"]["Default"]
        for name, value in (("whatsapp-token", self.whatsapp_token), ("whatsapp-app-secret", self.app_secret),
                            ("whatsapp-verify-token", self.verify_token), ("twilio-auth-token", self.twilio_token)):
            ssm.put_parameter(Name=f"{prefix}/{name}", Value=value, Type="SecureString")
        self.client("sesv2").create_email_identity(EmailIdentity="rehearsal.example")
        self.client("ses").verify_email_identity(EmailAddress="relais@rehearsal.example")
        return f"4 SecureString placeholders under {prefix}/, SES identity rehearsal.example"

    def principals(self):
        """An IAM user per function carrying exactly its role's policies (moto answers 500 to
        sts:AssumeRole with enforcement on), resources widened to * (moto matches actions only)."""
        iam = self.client("iam")
        lam = self.client("lambda")
        # The functions' configurations as the emulator holds them.
        with self.lambda_control_plane():
            configs = {f["FunctionName"]: f for f in lam.list_functions()["Functions"]}
        drops = {}
        for item in self.args.drop:
            logical, action = item.split(":", 1)
            drops.setdefault(logical, set()).add(action)
        lines = []
        for logical in FUNCTIONS:
            config = configs[self.physical[logical]]
            role = config["Role"].rsplit("/", 1)[-1]
            documents = []
            for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
                documents.append(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
            for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
                policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
                version = iam.get_policy_version(PolicyArn=attached["PolicyArn"],
                                                 VersionId=policy["DefaultVersionId"])["PolicyVersion"]
                documents.append(version["Document"])
            statements = []
            for doc in documents:
                doc = policy_document(doc)
                for st in doc.get("Statement", []):
                    st = dict(st)
                    actions = st.get("Action", [])
                    actions = [actions] if isinstance(actions, str) else list(actions)
                    actions = [a for a in actions if a not in drops.get(logical, set())]
                    if not actions:
                        continue
                    # AWS authorises a transaction by its items' actions; moto asks for the
                    # operation's own name. Grant that alias only with every item action ours use.
                    if {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"} <= set(actions):
                        actions.append("dynamodb:TransactWriteItems")
                    if "dynamodb:GetItem" in actions:
                        actions.append("dynamodb:TransactGetItems")
                    st["Action"] = actions
                    st["Resource"] = "*"
                    statements.append(st)
            user = f"fn-{FUNCTIONS[logical]}"
            iam.create_user(UserName=user)
            iam.put_user_policy(UserName=user, PolicyName="role",
                                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))
            self.keys[logical] = iam.create_access_key(UserName=user)["AccessKey"]
            self.configs[logical] = config
            actions = sorted({a for st in statements for a in st["Action"] if not a.startswith(("logs:", "xray:"))})
            lines.append(f"{FUNCTIONS[logical]}: {len(actions)} actions")
        self.report.note("moto checks IAM actions, not resource ARNs: each function's statements are kept with "
                         "their actions and Resource widened to \"*\"; resource scoping is checked statically by "
                         "infra/check_template.py. moto authorises DynamoDB transactions as TransactWriteItems / "
                         "TransactGetItems where AWS checks each item's PutItem, UpdateItem, ConditionCheckItem or "
                         "GetItem: those aliases are granted with the item actions")
        if drops:
            self.report.note(f"permissions removed for this run: {drops}")
        return "; ".join(lines)

    def mappings(self):
        lam = self.client("lambda")
        self.esm = {}
        with self.lambda_control_plane():
            for m in lam.list_event_source_mappings()["EventSourceMappings"]:
                logical = next(lg for lg in FUNCTIONS if self.physical[lg] in m["FunctionArn"])
                self.esm[logical] = m
                # The rehearsal polls the queues itself (moto would invoke through Docker).
                lam.update_event_source_mapping(UUID=m["UUID"], Enabled=False)
        return ", ".join(f"{FUNCTIONS[lg]} <- {m['EventSourceArn'].rsplit(':', 1)[-1].split('-')[1]} "
                         f"(batch {m['BatchSize']}, {','.join(m.get('FunctionResponseTypes', []))})"
                         for lg, m in self.esm.items())

    def start_functions(self):
        out = []
        for logical, binary in FUNCTIONS.items():
            config = self.configs[logical]
            fn = Function(logical, config, self.bootstrap(binary), self.keys[logical], self.url, REGION,
                          os.path.join(self.logs, f"{binary}.log"))
            self.functions[logical] = fn
            out.append(f"{binary}[{','.join(sorted(k for k in fn.environment if k.startswith('RELAIS_')))}]")
        self.api = HttpApi(self.cfn["Resources"]["HttpApi"]["Properties"]["Body"], self.functions)
        return "; ".join(out)

    # -------------------------------------------------------------- journey helpers
    def http(self, method, path, body=None, user=None, headers=None, expect=(200, 201)):
        claims = None
        if user is not None:
            claims = {"sub": user, "account_id": "acc-rehearsal", "role": self.roles[user]}
        raw = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        hdrs = {"content-type": "application/json", **(headers or {})}
        status, _, data = self.api.request(method, path, raw, hdrs, claims)
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = data
        if expect and status not in expect:
            cause = self.api.last_target.last_error() if status >= 500 else None
            raise Step(f"{method} {path} answered {status}: {str(doc)[:300]}"
                       + (f"; {FUNCTIONS[self.api.last_target.logical]} logged: {cause}" if cause else ""))
        return status, doc

    def drain(self, logical, want_records=True):
        sqs = self.client("sqs")
        total, failed = 0, []
        for _ in range(20):
            n, f = poll_mapping(sqs, self.esm[logical], self.functions[logical], REGION)
            total += n
            failed += f
            if n == 0:
                break
        if failed:
            fn = self.functions[logical]
            raise Step(f"{FUNCTIONS[logical]} reported batch item failures {failed}: "
                       f"{fn.last_error() or fn.log_tail(3)}")
        if want_records and total == 0:
            raise Step(f"no record reached {FUNCTIONS[logical]}")
        return total

    def whatsapp_webhook(self, doc):
        body = json.dumps(doc).encode()
        signature = "sha256=" + hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return self.http("POST", "/webhooks/whatsapp", body, headers={"x-hub-signature-256": signature})

    def sent_emails(self):
        quota = self.client("ses").get_send_quota()
        return int(quota.get("SentLast24Hours", 0))

    # -------------------------------------------------------------- the journey
    def journey(self):
        r = self.report
        table = self.physical["Table"]

        def init_account():
            env = dict(os.environ, AWS_ENDPOINT_URL=self.url, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION,
                       AWS_ACCESS_KEY_ID=self.admin["AccessKeyId"], AWS_SECRET_ACCESS_KEY=self.admin["SecretAccessKey"],
                       RELAIS_TABLE=table)
            out = subprocess.run([self.args.relais, "init-account", "--account-id", "acc-rehearsal", "--account-name",
                                  "Casa Azul Hotels", "--admin-id", "u-admin", "--admin-email", "admin@rehearsal.example"],
                                 env=env, capture_output=True, text=True, timeout=60)
            if out.returncode != 0:
                raise Step(out.stderr.strip()[-400:])
            self.roles = {"u-admin": "admin"}
            return out.stdout.strip()
        r.run("relais init-account: first account and admin in the table", init_account)

        def console():
            status, _, page = self.api.request("GET", "/", None, {}, None)
            assert status == 200 and b"<html" in page.lower(), f"GET / answered {status}"
            _, config = self.http("GET", "/console/config.json")
            assert config["oidc"]["client_id"] == "console-client", config
            return f"GET / 200 ({len(page)} bytes), config.json names {config['oidc']['authorize_url']}"
        r.run("campaigns-api: the console and its hosted-login settings", console)

        def setup():
            _, prop = self.http("POST", "/properties", {
                "name": "Casa Azul Lisboa", "time_zone": "Europe/Lisbon", "check_in_time": "15:00",
                "check_out_time": "11:00", "pms": "mews", "webhook_secret": "rehearsal-webhook-secret-0123"},
                user="u-admin")
            self.property_id = prop["id"]
            _, bot = self.http("POST", "/chatbots", {
                "name": "Lisboa bot", "property_ids": [self.property_id], "languages": ["en"],
                "whatsapp": {"phone_number_id": "1098765", "waba_id": "2000001"}, "sms": {"sender": "+15550001111"}},
                user="u-admin")
            self.chatbot_id = bot["id"]
            _, editor = self.http("POST", "/users", {"role": "editor", "name": "Rita", "email": "rita@rehearsal.example",
                                                     "email_notifications": True}, user="u-admin")
            _, approver = self.http("POST", "/users", {"role": "approver", "name": "Ana",
                                                       "email": "ana@rehearsal.example"}, user="u-admin")
            self.roles[editor["id"]] = "editor"
            self.roles[approver["id"]] = "approver"
            self.editor, self.approver = editor["id"], approver["id"]
            return f"property {self.property_id}, chatbot {self.chatbot_id}, editor {self.editor}, approver {self.approver}"
        r.run("campaigns-api: property, chatbot and users set up by the admin", setup)

        def campaign():
            emails = self.sent_emails()
            _, c = self.http("POST", "/campaigns", {
                "category": "pre_stay", "name": "Welcome", "property_id": self.property_id,
                "chatbot_id": self.chatbot_id, "period": {"start": None, "end": None},
                "trigger": {"type": "relative", "anchor": "confirmation", "offset_days": 0, "offset_minutes": 1},
                "target": {"statuses": ["confirmed"]},
                "channel": {"primary": "whatsapp", "fallback": "sms"},
                "messages": {"en": {"whatsapp": {"type": "text", "body": "Hi {{guest_first_name}}, welcome!"},
                                    "sms": {"type": "text", "body": "Hi {{guest_first_name}}, welcome!"}}},
                "reservation_conditions": [], "message_conditions": []}, user=self.editor)
            self.campaign_id = c["id"]
            self.http("POST", f"/campaigns/{self.campaign_id}/submit", {}, user=self.editor)
            _, approved = self.http("POST", f"/campaigns/{self.campaign_id}/approve", {}, user=self.approver)
            templates = [t for t in self.whatsapp.requests if t["kind"] == "template"]
            assert templates, "approval registered no template with the WhatsApp Business Management API"
            self.template = self.whatsapp.templates[-1]
            sent = self.sent_emails() - emails
            assert sent >= 1, "no e-mail went through SES on submission"
            return (f"created, submitted ({sent} e-mail via SES), approved: template {self.template['name']} "
                    f"registered at Meta, campaign {approved.get('status')}")
        r.run("campaigns-api: campaign created, submitted and approved", campaign)

        def template_approved():
            emails = self.sent_emails()
            self.whatsapp_webhook({"object": "whatsapp_business_account", "entry": [{"id": "2000001", "changes": [{
                "field": "message_template_status_update", "value": {
                    "event": "APPROVED", "message_template_id": int(self.template["id"]),
                    "message_template_name": self.template["name"],
                    "message_template_language": self.template["language"], "reason": "NONE"}}]}]})
            _, c = self.http("GET", f"/campaigns/{self.campaign_id}", user=self.editor)
            assert c["status"] == "active", f"campaign is {c['status']} after Meta's approval"
            sent = self.sent_emails() - emails
            assert sent >= 1, "delivery-status sent no 'campaign active' e-mail"
            return f"signed template status APPROVED -> campaign active, {sent} e-mail via SES"
        r.run("delivery-status: Meta's template approval activates the campaign", template_approved)

        def webhook():
            now = int(time.time())
            self.reservation_id = "r-1"
            body = json.dumps({"event_id": "evt-1", "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
                "reservation": {"id": self.reservation_id, "property_id": self.property_id, "source": "direct",
                    "status": "confirmed", "check_in": time.strftime("%Y-%m-%d", time.gmtime(now + 10 * 86400)),
                    "check_out": time.strftime("%Y-%m-%d", time.gmtime(now + 13 * 86400)),
                    "guest": {"first_name": "Ana", "last_name": "Silva", "phone": "+351912345678", "language": "en"},
                    "adults": 2, "children": 0, "total_amount": "450.00", "host_payout": "400.00",
                    "balance_due": "0.00", "currency": "EUR", "check_in_form_submitted": False,
                    "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}}).encode()
            signature = "sha256=" + hmac.new(b"rehearsal-webhook-secret-0123", f"{now}.".encode() + body,
                                             hashlib.sha256).hexdigest()
            self.confirmed_at = time.time()
            _, doc = self.http("POST", f"/webhooks/pms/canonical/{self.property_id}", body,
                               headers={"x-relais-timestamp": str(now), "x-relais-signature": signature})
            return f"signed canonical webhook stored: {doc}"
        r.run("pms-webhook: a signed PMS webhook", webhook)

        def custom_fields():
            _, doc = self.http("PATCH", f"/reservations/{self.reservation_id}/custom-fields?property_id="
                               f"{self.property_id}", {"vip": True}, user=self.editor)
            return f"operator field vip set (re-check published on the bus): {str(doc)[:120]}"
        r.run("campaigns-api: an operator custom field", custom_fields)

        def evaluator():
            n = self.drain("EvaluatorFunction")
            assert n >= 2, f"{n} events reached the evaluator (the webhook's and the custom field's expected)"
            return f"{n} ReservationChanged events from the bus rule via the evaluator queue"
        r.run("EventBridge -> SQS -> evaluator", evaluator)

        def denied():
            out = []
            for logical, (what, service, op) in DENIED.items():
                client = self.client(service, self.keys[logical])
                kwargs = {
                    "send_message": {"QueueUrl": self.queues["DispatchQueue"], "MessageBody": "{}"},
                    "put_events": {"Entries": [{"Source": "relais.pms", "DetailType": "ReservationChanged",
                                                "Detail": "{}", "EventBusName": self.bus_name}]},
                    "send_email": {"FromEmailAddress": "relais@rehearsal.example",
                                   "Destination": {"ToAddresses": ["x@rehearsal.example"]},
                                   "Content": {"Simple": {"Subject": {"Data": "x"}, "Body": {"Text": {"Data": "x"}}}}},
                    "get_parameter": {"Name": "/relais/whatsapp-token", "WithDecryption": True},
                    "delete_table": {"TableName": self.physical["Table"]},
                }[op]
                try:
                    getattr(client, op)(**kwargs)
                    raise Step(f"{FUNCTIONS[logical]} was allowed {what}")
                except ClientError as e:
                    code = e.response["Error"]["Code"]
                    status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                    if "AccessDenied" not in code and "Authorization" not in code and status != 403:
                        raise Step(f"{FUNCTIONS[logical]} {what}: {code}, not an access denial")
                    out.append(f"{FUNCTIONS[logical]} {what}: {code if code != '403' else 'AccessDenied (403)'}")
            return "; ".join(out)

        r.run("each function's policy denies what it must not do", denied, fatal=False)

        def sweep():
            wait = self.confirmed_at + 61 - time.time()
            if wait > 0:
                time.sleep(wait)
            rule = self.physical["SweepFunctionSchedule"]
            reply = self.functions["SweepFunction"].invoke(
                scheduled_event(f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}", REGION))
            assert reply and reply.get("enqueued", 0) >= 1, f"the sweep queued nothing: {reply}"
            return f"scheduled event -> {reply}"
        r.run("sweep: the scheduled event queues the due message", sweep)

        def dispatch():
            self.drain("DispatcherFunction")
            sent = self.whatsapp.messages()
            assert len(sent) == 1, f"{len(sent)} WhatsApp messages reached the Cloud API"
            doc = sent[0]["doc"]
            assert doc.get("type") == "template" and doc["template"]["name"] == self.template["name"], doc
            self.wamid = sent[0]["wamid"]
            return f"one WhatsApp template message {doc['template']['name']} to the Cloud API ({self.wamid[:14]}...)"
        r.run("dispatcher: sends through the WhatsApp Cloud API", dispatch)

        def failed_status():
            status = {"object": "whatsapp_business_account", "entry": [{"id": "2000001", "changes": [{"field": "messages",
                "value": {"messaging_product": "whatsapp",
                          "metadata": {"display_phone_number": "15550001111", "phone_number_id": "1098765"},
                          "statuses": [{"id": self.wamid, "status": "failed", "timestamp": str(int(time.time())),
                                        "recipient_id": "351912345678",
                                        "errors": [{"code": 131026, "title": "Message undeliverable"}]}]}}]}]}
            self.whatsapp_webhook(status)
            self.drain("DispatcherFunction")
            self.whatsapp_webhook(status)  # Meta redelivers: nothing more happens
            self.drain("DispatcherFunction", want_records=False)
            sms = [x for x in self.twilio.requests if x["kind"] == "sms"]
            assert len(sms) == 1, f"{len(sms)} SMS sent for one failure"
            return "signed failed status (twice) -> exactly one SMS through the Twilio API"
        r.run("delivery-status: WhatsApp failed -> SMS fallback once", failed_status)

        def timeline():
            _, doc = self.http("GET", f"/reservations/{self.reservation_id}/messages?property_id={self.property_id}",
                               user=self.editor, expect=None)
            text = json.dumps(doc)
            assert "fallback_after:whatsapp_failed" in text, text[:400]
            return "the timeline shows the fallback: fallback_after:whatsapp_failed"
        r.run("campaigns-api: the reservation's timeline", timeline)

    def stop(self):
        for fn in self.functions.values():
            fn.stop()
        if self.moto:
            self.moto.terminate()
        for server in ("whatsapp", "twilio"):
            if hasattr(self, server):
                getattr(self, server).close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstraps", required=True, help="directory holding the six function binaries")
    parser.add_argument("--relais", required=True, help="the relais CLI (init-account)")
    parser.add_argument("--drop", action="append", default=[], help="Logical:action to remove from a policy")
    parser.add_argument("--logs", help="directory for the function and emulator logs")
    args = parser.parse_args()
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    rehearsal = Rehearsal(args)
    r = rehearsal.report
    try:
        r.run("template translated offline (SAM transform)", rehearsal.translate)
        r.run("moto server with IAM enforced", rehearsal.start_moto)
        r.run("bootstraps uploaded as the functions' code", rehearsal.upload)
        r.run("stack created from the translated template", rehearsal.deploy)
        r.run("table, queues with DLQs, bus and rule as the template says", rehearsal.check_resources)
        r.run("SSM secrets and SES identity (placeholders)", rehearsal.secrets_and_identity)
        r.run("one IAM principal per function, carrying its role's policy", rehearsal.principals)
        r.run("SQS event source mappings read from the stack", rehearsal.mappings)
        r.run("bootstraps started under local Runtime APIs with the stack's environment", rehearsal.start_functions)
        rehearsal.journey()
        code = r.finish()
    except SystemExit as e:
        code = e.code
    finally:
        rehearsal.stop()
        print(f"logs: {rehearsal.logs}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
