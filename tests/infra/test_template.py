"""Assertions on the SAM-transformed template (aws-sam-translator, offline)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from infra.cfn_model import deployed
from infra.sam_tools import TEMPLATE

#: Inline IAM statements allowed to use Resource "*", each with the reason AWS requires it.
#: Empty: every statement we write names its resources (SSM parameters, the database secret,
#: the poller's own ARN). AWS-managed policies attached by SAM (basic execution, VPC access,
#: X-Ray) are checked separately by name.
WILDCARD_RESOURCE_ALLOWED: dict[tuple[str, str], str] = {}

#: The only managed policies a function role may carry (all attached by SAM itself).
MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",  # logs
    "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",  # ENIs: needs "*"
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",  # X-Ray has no resource-level ARNs
}

FUNCTIONS = (
    "LookupFunction",
    "EventsPollerFunction",
    "StatsPollerFunction",
    "MigrateFunction",
    "ChatImportFunction",
)
SSM_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"


def resources(cfn: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in cfn["Resources"].items() if v["Type"] == kind}


def props(cfn: dict[str, Any], name: str) -> dict[str, Any]:
    value: dict[str, Any] = cfn["Resources"][name]["Properties"]
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def each_credentials_mode(cfn: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The template as deployed with each DatabaseCredentials value (conditions resolved)."""
    for mode in cfn["Parameters"]["DatabaseCredentials"]["AllowedValues"]:
        yield mode, {**cfn, "Resources": deployed(cfn, DatabaseCredentials=mode)}


def test_the_five_functions_exist_on_python312_arm64(cfn: dict[str, Any]) -> None:
    functions = resources(cfn, "AWS::Lambda::Function")
    assert set(functions) == set(FUNCTIONS)
    for name in FUNCTIONS:
        assert props(cfn, name)["Runtime"] == "python3.12", name
        assert props(cfn, name)["Architectures"] == ["arm64"], name


def test_every_function_has_the_common_layer(cfn: dict[str, Any]) -> None:
    (layer,) = resources(cfn, "AWS::Lambda::LayerVersion")
    for name in FUNCTIONS:
        assert props(cfn, name)["Layers"] == [{"Ref": layer}], name


def test_every_function_logs_to_a_group_with_retention(cfn: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        group = props(cfn, name)["LoggingConfig"]["LogGroup"]["Ref"]
        group_props = props(cfn, group)
        assert cfn["Resources"][group]["Type"] == "AWS::Logs::LogGroup"
        assert group_props["RetentionInDays"], name
        # The group is the one Lambda would write to anyway: nothing escapes retention.
        expected = props(cfn, name)["FunctionName"]["Fn::Sub"]
        assert group_props["LogGroupName"]["Fn::Sub"] == f"/aws/lambda/{expected}"


def test_every_function_runs_in_the_private_subnets(cfn: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        vpc = props(cfn, name)["VpcConfig"]
        assert vpc["SecurityGroupIds"] == [{"Ref": "FunctionSecurityGroup"}]
        assert vpc["SubnetIds"]["Fn::If"][1] == [
            {"Ref": "PrivateSubnetA"},
            {"Ref": "PrivateSubnetB"},
        ]


def test_events_poller_chain_settings(cfn: dict[str, Any]) -> None:
    poller = props(cfn, "EventsPollerFunction")
    assert poller["ReservedConcurrentExecutions"] == 1
    assert poller["RecursiveLoop"] == "Allow"
    assert poller["FunctionName"] == {"Fn::Sub": "mhc-${Stage}-events-poller"}
    (config,) = [
        v["Properties"]
        for v in resources(cfn, "AWS::Lambda::EventInvokeConfig").values()
        if v["Properties"]["FunctionName"] == {"Ref": "EventsPollerFunction"}
    ]
    assert config["MaximumRetryAttempts"] == 0
    assert config["MaximumEventAgeInSeconds"] <= 120


def test_events_poller_may_invoke_only_itself(cfn: dict[str, Any]) -> None:
    for mode, view in each_credentials_mode(cfn):
        invoke = [
            s
            for s in statements(view, "EventsPollerFunctionRole")
            if "lambda:InvokeFunction" in as_list(s["Action"])
        ]
        assert [s["Resource"] for s in invoke] == [
            {
                "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:"
                "function:mhc-${Stage}-events-poller"
            }
        ], mode


def test_the_api_may_invoke_only_the_stats_poller_and_the_chat_import(cfn: dict[str, Any]) -> None:
    # "Run now" on a job: the API invokes the stats poller (the chat import, its own function)
    for mode, view in each_credentials_mode(cfn):
        invoke = [
            s
            for s in statements(view, "LookupFunctionRole")
            if "lambda:InvokeFunction" in as_list(s["Action"])
        ]
        assert [s["Resource"] for s in invoke] == [
            {"Fn::GetAtt": ["StatsPollerFunction", "Arn"]},
            {"Fn::GetAtt": ["ChatImportFunction", "Arn"]},
        ], mode
    env = props(cfn, "LookupFunction")["Environment"]["Variables"]
    assert env["MHC_STATS_POLLER_FUNCTION"] == {"Ref": "StatsPollerFunction"}
    assert env["MHC_CHAT_IMPORT_FUNCTION"] == {"Ref": "ChatImportFunction"}


def test_events_poller_reads_and_writes_only_its_cursor(cfn: dict[str, Any]) -> None:
    for mode, view in each_credentials_mode(cfn):
        writes = [
            s
            for s in statements(view, "EventsPollerFunctionRole")
            if "ssm:PutParameter" in s["Action"]
        ]
        assert [s["Resource"] for s in writes] == [{"Fn::Sub": SSM_ARN + "${EventsCursorParam}"}], (
            mode
        )
    env = props(cfn, "EventsPollerFunction")["Environment"]["Variables"]
    assert env["MHC_EVENTS_CURSOR_PARAM"] == {"Ref": "EventsCursorParam"}


def test_schedules_omit_names_and_do_not_retry(cfn: dict[str, Any]) -> None:
    schedules = resources(cfn, "AWS::Scheduler::Schedule")
    rates = {
        "EventsPollerFunctionWatchdog": "rate(5 minutes)",
        "StatsPollerFunctionEvery5Minutes": "rate(5 minutes)",
        "ChatImportFunctionHourly": "rate(1 hour)",
    }
    assert set(schedules) == set(rates)
    for name, schedule in schedules.items():
        assert "Name" not in schedule["Properties"], name
        assert schedule["Properties"]["ScheduleExpression"] == rates[name]
        assert schedule["Properties"]["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    watchdog = schedules["EventsPollerFunctionWatchdog"]["Properties"]["Target"]
    assert json.loads(watchdog["Input"]) == {"trigger": "watchdog"}


def test_http_api_uses_the_default_stage_with_throttling(cfn: dict[str, Any]) -> None:
    (stage,) = resources(cfn, "AWS::ApiGatewayV2::Stage").values()
    assert stage["Properties"]["StageName"] == "$default"
    throttling = stage["Properties"]["DefaultRouteSettings"]
    assert throttling["ThrottlingBurstLimit"] > 0
    assert throttling["ThrottlingRateLimit"] > 0
    api = props(cfn, "HttpApi")
    # One catch-all route to the lookup function: FastAPI does the routing.
    assert list(api["Body"]["paths"]) == ["$default"]


def statements(cfn: dict[str, Any], role: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in props(cfn, role).get("Policies", []):
        found += as_list(policy["PolicyDocument"]["Statement"])
    return found


def test_no_iam_statement_allows_every_resource(cfn: dict[str, Any]) -> None:
    offenders = []
    for mode, view in each_credentials_mode(cfn):
        for role in resources(view, "AWS::IAM::Role"):
            for statement in statements(view, role):
                if statement["Effect"] != "Allow":
                    continue
                for action in as_list(statement["Action"]):
                    if "*" in as_list(statement.get("Resource")) and (
                        (role, action) not in WILDCARD_RESOURCE_ALLOWED
                    ):
                        offenders.append((mode, role, action))
    assert offenders == []


def test_function_roles_carry_only_the_expected_managed_policies(cfn: dict[str, Any]) -> None:
    for name in FUNCTIONS:
        role = props(cfn, name)["Role"]["Fn::GetAtt"][0]
        assert set(props(cfn, role).get("ManagedPolicyArns", [])) <= MANAGED_POLICIES, role


def test_ssm_permissions_name_exact_parameters(cfn: dict[str, Any]) -> None:
    for mode, view in each_credentials_mode(cfn):
        for role in resources(view, "AWS::IAM::Role"):
            for statement in statements(view, role):
                if not any(a.startswith("ssm:") for a in as_list(statement["Action"])):
                    continue
                for resource in as_list(statement["Resource"]):
                    arn = resource["Fn::Sub"]
                    assert arn.startswith(SSM_ARN + "${"), (mode, role, arn)
                    assert arn.endswith("Param}"), (mode, role, arn)
                    assert "*" not in arn, (mode, role, arn)


def test_frontend_bucket_is_private_and_encrypted(cfn: dict[str, Any]) -> None:
    bucket = props(cfn, "FrontendBucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    policy = props(cfn, "FrontendBucketPolicy")["PolicyDocument"]["Statement"]
    allows = [s for s in policy if s["Effect"] == "Allow"]
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]


def test_cloudfront_serves_the_bucket_through_oac_and_routes_api(cfn: dict[str, Any]) -> None:
    config = props(cfn, "Distribution")["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["frontend"]["OriginAccessControlId"] == {
        "Fn::GetAtt": ["FrontendOriginAccessControl", "Id"]
    }
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/api/*"
    assert api["TargetOriginId"] == "api"
    assert "POST" in api["AllowedMethods"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    # SPA fallback on the S3 behavior only (custom error pages would also hide API 404s).
    assert "CustomErrorResponses" not in config
    assert config["DefaultCacheBehavior"]["FunctionAssociations"][0]["EventType"] == (
        "viewer-request"
    )


def test_database_is_private_encrypted_and_backed_up(cfn: dict[str, Any]) -> None:
    db = props(cfn, "Database")
    assert db["PubliclyAccessible"] is False
    assert db["StorageEncrypted"] is True
    # The master password: RDS's managed secret, or the owner's SSM SecureString resolved by
    # CloudFormation (a dynamic reference: the template never holds the value)
    managed = deployed(cfn, DatabaseCredentials="secrets-manager")["Database"]["Properties"]
    assert managed["ManageMasterUserPassword"] is True
    assert "MasterUserPassword" not in managed
    owned = deployed(cfn, DatabaseCredentials="ssm")["Database"]["Properties"]
    assert owned["ManageMasterUserPassword"] is False
    assert owned["MasterUserPassword"] == {
        "Fn::Sub": "{{resolve:ssm-secure:${DatabaseMasterPasswordParam}}}"
    }
    assert db["BackupRetentionPeriod"]["Fn::If"][1:] == [14, 7]
    assert db["DeletionProtection"] == {"Fn::If": ["IsProd", True, False]}
    assert cfn["Resources"]["Database"]["DeletionPolicy"] == "Snapshot"
    # A full engine version (major.minor), never a bare major.
    version = cfn["Parameters"]["DatabaseEngineVersion"]["Default"]
    assert version.count(".") == 1


def test_database_accepts_only_the_functions(cfn: dict[str, Any]) -> None:
    ingress = resources(cfn, "AWS::EC2::SecurityGroupIngress")
    for name, rule in ingress.items():
        assert rule["Properties"]["GroupId"] == {"Ref": "DatabaseSecurityGroup"}, name
        assert "CidrIp" not in rule["Properties"], name
        assert rule["Properties"]["FromPort"] == rule["Properties"]["ToPort"] == 5432
    assert "SecurityGroupIngress" not in props(cfn, "DatabaseSecurityGroup")


def test_alarms_cover_silent_failures_and_notify_the_topic(cfn: dict[str, Any]) -> None:
    alarms = resources(cfn, "AWS::CloudWatch::Alarm")
    metrics = {
        (a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms.values()
    }
    assert {
        ("AWS/Lambda", "Errors"),  # events poller and stats poller failures
        ("MHC", "EventsIngested"),  # staleness: no finished poll
        ("MHC", "JobFailed"),  # job_runs failures
        ("AWS/ApiGateway", "5xx"),
    } <= metrics
    stale = alarms["EventsPollerStaleAlarm"]["Properties"]
    assert stale["TreatMissingData"] == "breaching"
    for name, alarm in alarms.items():
        actions = alarm["Properties"]["AlarmActions"]
        assert {"Ref": "AlarmTopic"} in actions, name
        # Besides the topic, only EC2's own recover/reboot of the NAT instance
        others = [a["Fn::Sub"] for a in actions if a != {"Ref": "AlarmTopic"}]
        assert all(
            re.fullmatch(
                r"arn:\$\{AWS::Partition\}:automate:\$\{AWS::Region\}:ec2:(recover|reboot)", a
            )
            for a in others
        ), name


def test_every_function_has_invoke_events(cfn: dict[str, Any]) -> None:
    events = Path(TEMPLATE).parent / "events"
    prefixes = {
        "LookupFunction": "lookup_",
        "EventsPollerFunction": "events_poller_",
        "StatsPollerFunction": "stats_poller_",
        "MigrateFunction": "migrate_",
        "ChatImportFunction": "chat_import_",
    }
    for name, prefix in prefixes.items():
        samples = list(events.glob(f"{prefix}*.json"))
        assert samples, f"no events/{prefix}*.json for {name}"
        for sample in samples:
            json.loads(sample.read_text("utf-8"))


def test_env_json_example_names_every_function(cfn: dict[str, Any]) -> None:
    example = json.loads((Path(TEMPLATE).parent / "env.json").read_text("utf-8"))
    assert set(example) == set(FUNCTIONS)
    text = json.dumps(example)
    assert "SecureString" not in text


def test_every_mhc_alarm_watches_a_metric_the_code_publishes(cfn: dict[str, Any]) -> None:
    # An alarm on a metric nobody publishes never fires (or, treating missing data as breaching,
    # always fires): the names must come from mhc.observability.
    from mhc.observability import ALWAYS_SENT, Metric

    published = {m.value for m in Metric}
    alarms = resources(cfn, "AWS::CloudWatch::Alarm")
    ours = {
        name: p["Properties"]
        for name, p in alarms.items()
        if p["Properties"].get("Namespace") == "MHC"
    }
    assert ours, "expected alarms on MHC's own metrics"
    for name, properties in ours.items():
        assert properties["MetricName"] in published, f"{name} watches an unpublished metric"
        assert {"Name": "service", "Value": "mhc"} in properties.get("Dimensions", [])
        # A metric sent only when it has something to say is missing the rest of the time: its
        # alarm must read that as "nothing happened". Only a metric sent on every poll, zero
        # included, may treat its absence as the failure (no poll finished).
        missing = properties["TreatMissingData"]
        if properties["MetricName"] in ALWAYS_SENT:
            assert missing == "breaching", name
        else:
            assert missing == "notBreaching", name
            assert properties["ComparisonOperator"].startswith("GreaterThan"), name


# -- the chat import (issue 16) ---------------------------------------------------------------
PLUS_PARAMS = [
    {"Fn::Sub": SSM_ARN + "${PlusSessionParam}"},
    {"Fn::Sub": SSM_ARN + "${PlusXsrfParam}"},
]


def _ssm(cfn: dict[str, Any], role: str) -> dict[str, list[Any]]:
    """SSM action -> the parameters a role may use it on."""
    found: dict[str, list[Any]] = {}
    for statement in statements(cfn, role):
        for action in as_list(statement["Action"]):
            if action.startswith("ssm:"):
                found.setdefault(action, []).extend(as_list(statement["Resource"]))
    return found


def test_the_chat_import_reads_and_keeps_only_the_two_session_parameters(
    cfn: dict[str, Any],
) -> None:
    password = {"Fn::Sub": SSM_ARN + "${AppDatabasePasswordParam}"}
    for mode, deployed_cfn in each_credentials_mode(cfn):
        # (with DatabaseCredentials=ssm it also reads the database password, nothing else)
        extra = [password] if mode == "ssm" else []
        assert _ssm(deployed_cfn, "ChatImportFunctionRole") == {
            "ssm:GetParameter": extra + PLUS_PARAMS,
            "ssm:GetParameters": PLUS_PARAMS,
            "ssm:PutParameter": PLUS_PARAMS,
        }, mode
    env = props(cfn, "ChatImportFunction")["Environment"]["Variables"]
    assert env["MHC_STATBATE_PLUS_SESSION_PARAM"] == {"Ref": "PlusSessionParam"}
    assert env["MHC_STATBATE_PLUS_XSRF_PARAM"] == {"Ref": "PlusXsrfParam"}
    # and it invokes nothing
    assert not [s for s in statements(cfn, "ChatImportFunctionRole") if "lambda:" in str(s)]


def test_the_api_may_write_the_session_but_never_read_it(cfn: dict[str, Any]) -> None:
    for mode, deployed_cfn in each_credentials_mode(cfn):
        ssm = _ssm(deployed_cfn, "LookupFunctionRole")
        assert ssm["ssm:PutParameter"] == PLUS_PARAMS, mode
        read = [r for action, rs in ssm.items() if action != "ssm:PutParameter" for r in rs]
        assert not [r for r in read if r in PLUS_PARAMS], mode
    env = props(cfn, "LookupFunction")["Environment"]["Variables"]
    assert env["MHC_STATBATE_PLUS_SESSION_PARAM"] == {"Ref": "PlusSessionParam"}


def test_the_chat_import_runs_alone_for_up_to_15_minutes(cfn: dict[str, Any]) -> None:
    function = props(cfn, "ChatImportFunction")
    assert function["Timeout"] == 900
    assert function["ReservedConcurrentExecutions"] == 1
    assert function["FunctionName"] == {"Fn::Sub": "mhc-${Stage}-chat-import"}
    (config,) = [
        v["Properties"]
        for v in resources(cfn, "AWS::Lambda::EventInvokeConfig").values()
        if v["Properties"]["FunctionName"] == {"Ref": "ChatImportFunction"}
    ]
    assert config["MaximumRetryAttempts"] == 0


def test_an_expired_plus_session_alarms(cfn: dict[str, Any]) -> None:
    alarm = props(cfn, "ChatImportSessionExpiredAlarm")
    assert (alarm["Namespace"], alarm["MetricName"]) == ("MHC", "JobAuthExpired")
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
