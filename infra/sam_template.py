"""Read template.yaml and translate it offline with aws-sam-translator (no AWS account): the one
translation both infra/check_template.py (static rules) and infra/rehearse.py (deployment
rehearsal) use."""
import copy

import yaml
from samtranslator.parser.parser import Parser
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

# The placeholder `sam package` would put in place of a local CodeUri.
PLACEHOLDER_CODE_URI = "s3://relais-artifacts/placeholder.zip"


class CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _tag)


class FixedPolicies(ManagedPolicyLoader):
    """No IAM calls: the managed policies SAM may look up, by name."""

    def __init__(self):
        super().__init__(None)

    def load(self):
        names = ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole",
                 "AWSLambdaRole", "AWSXRayDaemonWriteAccess"]
        return {n: f"arn:aws:iam::aws:policy/service-role/{n}" for n in names}


def load(path):
    """The SAM template as a dict (intrinsic tags as their JSON forms)."""
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


def translate(sam, code_uri=PLACEHOLDER_CODE_URI):
    """The CloudFormation template SAM deploys, with every function's CodeUri at `code_uri`
    (a callable of the logical id, or one URI for all). Raises InvalidDocumentException."""
    source = copy.deepcopy(sam)
    for logical, res in source["Resources"].items():
        if res["Type"] == "AWS::Serverless::Function":
            res["Properties"]["CodeUri"] = code_uri(logical) if callable(code_uri) else code_uri
    return transform(source, {}, FixedPolicies(), Parser())
