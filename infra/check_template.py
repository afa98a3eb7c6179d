"""Translate template.yaml with aws-sam-translator (offline) and check Relais's rules on the result.

Rules (each failure is printed; exit 1 if any):
- the translation succeeds;
- all six functions exist, arm64, provided.al2023, built with rust-cargolambda;
- every SQS-fed function reports partial batch failures and its queue has a redrive policy to a DLQ
  (maxReceiveCount 5); every asynchronously invoked function (schedule) has a DLQ;
- every DLQ has a CloudWatch alarm on its depth; every HTTP function has an error alarm;
- no IAM policy statement has a wildcard ("*") resource;
- the table has the GSIs the code queries, TTL and point-in-time recovery;
- campaigns routes carry the JWT authorizer, webhook/callback routes carry none.
Prints "N passed, N failed".
"""
import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException

from sam_template import load, translate


FUNCTIONS = {
    "PmsWebhookFunction": "pms-webhook",
    "CampaignsApiFunction": "campaigns-api",
    "SweepFunction": "sweep",
    "EvaluatorFunction": "evaluator",
    "DispatcherFunction": "dispatcher",
    "DeliveryStatusFunction": "delivery-status",
}
HTTP_FUNCTIONS = {"PmsWebhookFunction", "CampaignsApiFunction", "DeliveryStatusFunction"}
OPEN_ROUTES = {"/webhooks/pms/{pms}/{property_id}", "/webhooks/whatsapp", "/webhooks/twilio/status",
               "/webhooks/twilio/inbound", "/openapi.json", "/", "/console/{file}"}


def ref_name(value):
    """The logical id a Ref/GetAtt points at, if any."""
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def main(path):
    passed, failed = [], []

    def check(ok, what):
        (passed if ok else failed).append(what)
        if not ok:
            print("FAIL:", what)

    sam = load(path)
    try:
        cfn = translate(sam)
    except InvalidDocumentException as e:
        for cause in e.causes:
            print("FAIL: SAM translation:", cause.message)
        print(f"{len(passed)} passed, {len(failed) + 1} failed")
        return 1
    check(True, "SAM translation")
    resources = cfn["Resources"]

    # Functions
    for logical, binary in FUNCTIONS.items():
        src = sam["Resources"].get(logical)
        check(src is not None, f"{logical} exists")
        if src is None:
            continue
        meta = src.get("Metadata", {})
        check(meta.get("BuildMethod") == "rust-cargolambda", f"{logical} builds with rust-cargolambda")
        check(meta.get("BuildProperties", {}).get("Binary") == binary, f"{logical} builds binary {binary}")
        fn = resources[logical]["Properties"]
        check(fn.get("Architectures") == ["arm64"], f"{logical} is arm64")
        check(fn.get("Runtime") == "provided.al2023", f"{logical} runs on provided.al2023")

    # Queues with redrive, DLQs with alarms
    queues = {k: v for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue"}
    dlqs = set()
    for name, q in queues.items():
        redrive = q.get("Properties", {}).get("RedrivePolicy")
        if redrive:
            dlqs.add(ref_name(redrive["deadLetterTargetArn"]))
            check(int(redrive["maxReceiveCount"]) == 5, f"{name} moves a message to its DLQ after 5 receives")
    mappings = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::Lambda::EventSourceMapping"]
    sqs_fed = {}
    for m in mappings:
        fn = ref_name(m["FunctionName"])
        queue = ref_name(m["EventSourceArn"])
        sqs_fed[fn] = queue
        check("ReportBatchItemFailures" in m.get("FunctionResponseTypes", []),
              f"{fn} reports partial batch failures")
        check(queue in queues and "RedrivePolicy" in queues[queue].get("Properties", {}),
              f"{fn}'s queue {queue} has a DLQ")
    for logical in FUNCTIONS:
        fn = resources[logical]["Properties"]
        if logical in HTTP_FUNCTIONS:
            continue
        if logical in sqs_fed:
            continue
        target = fn.get("DeadLetterConfig", {}).get("TargetArn")
        check(target is not None, f"{logical} (asynchronous) has a DLQ")
        if target is not None:
            dlqs.add(ref_name(target))
    for v in resources.values():
        if v["Type"] == "AWS::Events::Rule":
            for t in v["Properties"].get("Targets", []):
                dl = t.get("DeadLetterConfig", {}).get("Arn")
                check(dl is not None, f"event rule target {t.get('Id')} has a DLQ")
                if dl is not None:
                    dlqs.add(ref_name(dl))
    alarms = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::CloudWatch::Alarm"]
    alarmed_queues = set()
    alarmed_functions = set()
    for a in alarms:
        for d in a.get("Dimensions", []):
            if d["Name"] == "QueueName":
                alarmed_queues.add(ref_name(d["Value"]))
            if d["Name"] == "FunctionName":
                alarmed_functions.add(ref_name(d["Value"]))
    for dlq in sorted(d for d in dlqs if d):
        check(dlq in alarmed_queues, f"DLQ {dlq} has an alarm on its depth")
    for logical in sorted(HTTP_FUNCTIONS):
        check(logical in alarmed_functions, f"{logical} (synchronous) has an error alarm")

    # A function is given a secret setting (`ssm:<name>`) only with ssm:GetParameter on exactly that
    # parameter, and e-mail settings only with ses:SendEmail: what its init and its work call.
    for logical in FUNCTIONS:
        fn = resources[logical]["Properties"]
        variables = fn.get("Environment", {}).get("Variables", {})
        role = resources.get(ref_name(fn["Role"]), {}).get("Properties", {})
        statements = [st for p in role.get("Policies", []) for st in p["PolicyDocument"].get("Statement", [])]

        def allowed(action):
            found = []
            for st in statements:
                actions = st.get("Action", [])
                actions = [actions] if isinstance(actions, str) else actions
                if action in actions:
                    res = st.get("Resource")
                    found.extend(res if isinstance(res, list) else [res])
            return json.dumps(found)

        for name, value in variables.items():
            sub = value.get("Fn::Sub") if isinstance(value, dict) else None
            if isinstance(sub, str) and sub.startswith("ssm:"):
                parameter = sub[len("ssm:"):]
                check(f"parameter{parameter}" in allowed("ssm:GetParameter"),
                      f"{logical} may read the SSM parameter of {name} ({parameter})")
        readable = allowed("ssm:GetParameter")
        for parameter in ("whatsapp-token", "whatsapp-app-secret", "whatsapp-verify-token", "twilio-auth-token"):
            if parameter in readable:
                check(any(isinstance(v, dict) and str(v.get("Fn::Sub", "")).endswith("/" + parameter)
                          for v in variables.values()),
                      f"{logical} reads {parameter} only if a setting of its names it")
        if "RELAIS_MAIL_FROM" in variables:
            check("identity/" in allowed("ses:SendEmail"), f"{logical} (RELAIS_MAIL_FROM) may send e-mail")

    # No wildcard resources in IAM statements
    for name, v in resources.items():
        if v["Type"] not in ("AWS::IAM::Role", "AWS::IAM::Policy"):
            continue
        policies = v["Properties"].get("Policies", [])
        if v["Type"] == "AWS::IAM::Policy":
            policies = [v["Properties"]]
        for p in policies:
            for st in p["PolicyDocument"].get("Statement", []):
                res = st.get("Resource")
                res = res if isinstance(res, list) else [res]
                wild = [r for r in res if r == "*" or (isinstance(r, str) and r.endswith(":*"))]
                check(not wild, f"{name}/{p.get('PolicyName')}: {st.get('Action')} is not on a wildcard resource")

    # Table
    table = resources["Table"]["Properties"]
    gsis = sorted(g["IndexName"] for g in table["GlobalSecondaryIndexes"])
    check(gsis == ["DUE", "GSI1", "GSI2", "GSI3", "GSI4", "OPEN"], "table GSIs match the code")
    check(table.get("TimeToLiveSpecification", {}).get("AttributeName") == "ttl", "table TTL on ttl")
    check(table.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True,
          "table point-in-time recovery")

    # Routes and authorizers
    routes = [v["Properties"] for v in resources.values() if v["Type"] == "AWS::ApiGatewayV2::Route"]
    api = next((v for v in resources.values() if v["Type"] == "AWS::ApiGatewayV2::Api"), None)
    paths = {}
    if api is not None and "Body" in api["Properties"]:
        for path, methods in api["Properties"]["Body"].get("paths", {}).items():
            for method, op in methods.items():
                security = op.get("security") or []
                paths[(method, path)] = any(name != "NONE" for req in security for name in req)
    for p in routes:
        method, _, path = p["RouteKey"].partition(" ")
        paths[(method.lower(), path)] = p.get("AuthorizationType", "NONE") != "NONE"
    check(len(paths) >= 20, f"the API has its routes ({len(paths)})")
    for (method, path), secured in sorted(paths.items()):
        if path in OPEN_ROUTES:
            check(not secured, f"{method.upper()} {path} has no authorizer (signed by the caller)")
        else:
            check(secured, f"{method.upper()} {path} requires the JWT authorizer")

    print(f"{len(passed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml"))
