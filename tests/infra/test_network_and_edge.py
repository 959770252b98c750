"""The stack's network modes, its edge (CloudFront headers, the origin secret) and which database
credentials each function gets, read from the SAM-transformed template."""

from __future__ import annotations

import gzip
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import moto
import pytest
from fastapi.testclient import TestClient
from infra.cfn_model import conditions_for, deployed, of_type, parameter_values
from infra.sam_tools import REPO_ROOT
from infra.test_samconfig import overrides
from mhc.api import create_app
from mhc.api.middleware import ORIGIN_VERIFY_HEADER
from mhc.api.static import UI_CSP
from mhc.config import get_settings

PERSONAL = {"NetworkMode": "nat-instance"}
MANAGED = {"NetworkMode": "nat-gateway"}
EXISTING = {"ExistingVpcId": "vpc-0abc", "ExistingPrivateSubnetIds": "subnet-a,subnet-b"}
FUNCTIONS = ("LookupFunction", "EventsPollerFunction", "StatsPollerFunction", "MigrateFunction")
APP_SECRET = {"Ref": "AppDatabaseSecret"}
SSM_ARN = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter"
MASTER_SECRET = {"Fn::GetAtt": ["Database", "MasterUserSecret.SecretArn"]}


def network_modes(cfn: dict[str, Any]) -> list[str]:
    modes: list[str] = cfn["Parameters"]["NetworkMode"]["AllowedValues"]
    return modes


def props(resources: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    value: dict[str, Any] = resources[name]["Properties"]
    return value


# ------------------------------------------------------------------ network modes


def test_the_personal_mode_has_no_nat_gateway(cfn: dict[str, Any]) -> None:
    # Given the stack deployed in the personal network mode
    resources = deployed(cfn, **PERSONAL)

    # Then there is no NAT gateway and no address of its own, and the private subnets' default
    # route goes to the NAT instance
    assert of_type(resources, "AWS::EC2::NatGateway") == {}
    assert "NatAddress" not in resources
    assert of_type(resources, "AWS::EC2::EIP") == {}
    route = props(resources, "PrivateDefaultRoute")
    assert route == {
        "RouteTableId": {"Ref": "PrivateRouteTable"},
        "DestinationCidrBlock": "0.0.0.0/0",
        "InstanceId": {"Ref": "NatInstance"},
    }
    # And both private subnets use that route table
    associations = of_type(resources, "AWS::EC2::SubnetRouteTableAssociation").values()
    private = {
        a["Properties"]["SubnetId"]["Ref"]
        for a in associations
        if a["Properties"]["RouteTableId"] == {"Ref": "PrivateRouteTable"}
    }
    assert private == {"PrivateSubnetA", "PrivateSubnetB"}


def test_the_nat_instance_forwards_only_the_functions_https(cfn: dict[str, Any]) -> None:
    resources = deployed(cfn, **PERSONAL)
    (name,) = of_type(resources, "AWS::EC2::Instance")
    instance = props(resources, name)
    # Smallest ARM instance, no burst billing, a NAT (source/dest check off), IMDSv2 only
    assert cfn["Parameters"]["NatInstanceType"]["Default"] == "t4g.nano"
    assert instance["InstanceType"] == {"Ref": "NatInstanceType"}
    assert instance["CreditSpecification"] == {"CPUCredits": "standard"}
    assert instance["SourceDestCheck"] is False
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    assert "IamInstanceProfile" not in instance  # it needs no AWS permission at all
    assert "KeyName" not in instance  # and nobody logs in
    (interface,) = instance["NetworkInterfaces"]
    assert interface["SubnetId"] == {"Ref": "PublicSubnet"}
    assert interface["AssociatePublicIpAddress"] is True
    assert interface["GroupSet"] == [{"Ref": "NatInstanceSecurityGroup"}]
    assert all(m["Ebs"]["Encrypted"] for m in instance["BlockDeviceMappings"])
    # Its security group takes HTTPS from the functions only and sends HTTPS only
    group = props(resources, "NatInstanceSecurityGroup")
    assert [
        (r["IpProtocol"], r["FromPort"], r["ToPort"], r["SourceSecurityGroupId"])
        for r in group["SecurityGroupIngress"]
    ] == [("tcp", 443, 443, {"Ref": "FunctionSecurityGroup"})]
    assert [
        (r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in group["SecurityGroupEgress"]
    ] == [("tcp", 443, 443)]
    # No other rule opens the NAT instance
    extra = [
        r
        for kind in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")
        for r in of_type(resources, kind).values()
        if r["Properties"]["GroupId"] == {"Ref": "NatInstanceSecurityGroup"}
    ]
    assert extra == []


def boot_script(cfn: dict[str, Any]) -> list[str]:
    user_data = cfn["Resources"]["NatInstance"]["Properties"]["UserData"]["Fn::Base64"]["Fn::Sub"]
    lines = [line.strip() for line in user_data.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def first(lines: list[str], pattern: str) -> int:
    found = [i for i, line in enumerate(lines) if re.search(pattern, line)]
    assert found, f"no line matches {pattern!r}"
    return found[0]


def test_the_nat_instance_never_forwards_without_translating(cfn: dict[str, Any]) -> None:
    # A NAT that forwards without translating is an outage its status checks never see:
    # forwarding must be off until the translation rule is verified, and the route must move to
    # a new instance only after it says so.
    lines = boot_script(cfn)
    assert "set -e" not in lines
    forward_off = first(lines, r"sysctl -w net\.ipv4\.ip_forward=0")
    install = first(lines, r"dnf install -y .*nftables")
    swap = first(lines, r"swapon /swapfile")
    masquerade = first(lines, r"\bmasquerade$")
    verify = first(lines, r"nft list chain ip mhc_nat postrouting \| grep -q masquerade")
    signal_ok = first(lines, r'^signal 0 "')
    assert forward_off < swap < install < masquerade < verify < signal_ok
    # Forwarding is only ever switched on by the service that loads the rules, after it did
    enabling = [line for line in lines if re.search(r"ip_forward=1", line)]
    assert enabling == ["ExecStartPost=/usr/sbin/sysctl -w net.ipv4.ip_forward=1"]
    assert first(lines, r"systemctl enable nftables") < verify
    # Every check that can fail powers the instance off after a failure signal
    assert re.search(r"\|\|\s*fail ", lines[verify + 1]) or "|| fail" in lines[verify]
    fail_body = lines[first(lines, r"^fail\(\) \{") : first(lines, r"^fail\(\) \{") + 7]
    assert any("poweroff" in line for line in fail_body)
    assert any(line.startswith("signal 1") for line in fail_body)
    # And CloudFormation waits for that signal before anything uses the instance
    policy = cfn["Resources"]["NatInstance"]["CreationPolicy"]["ResourceSignal"]
    assert policy["Count"] == 1
    assert policy["Timeout"].startswith("PT")


def test_the_nat_instance_is_recovered_and_rebooted_by_alarms(cfn: dict[str, Any]) -> None:
    resources = deployed(cfn, **PERSONAL)
    alarms = {
        a["Properties"]["MetricName"]: a["Properties"]
        for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/EC2"
    }
    actions = {
        metric: [a.get("Fn::Sub", a) for a in alarm["AlarmActions"]]
        for metric, alarm in alarms.items()
    }
    assert actions == {
        "StatusCheckFailed_System": [
            "arn:${AWS::Partition}:automate:${AWS::Region}:ec2:recover",
            {"Ref": "AlarmTopic"},
        ],
        "StatusCheckFailed_Instance": [
            "arn:${AWS::Partition}:automate:${AWS::Region}:ec2:reboot",
            {"Ref": "AlarmTopic"},
        ],
    }
    for alarm in alarms.values():
        assert alarm["Dimensions"] == [{"Name": "InstanceId", "Value": {"Ref": "NatInstance"}}]


def test_the_managed_mode_is_todays_nat_gateway(cfn: dict[str, Any]) -> None:
    resources = deployed(cfn, **MANAGED)
    assert set(of_type(resources, "AWS::EC2::NatGateway")) == {"NatGateway"}
    assert of_type(resources, "AWS::EC2::Instance") == {}
    assert props(resources, "PrivateDefaultRoute")["NatGatewayId"] == {"Ref": "NatGateway"}
    assert "InstanceId" not in props(resources, "PrivateDefaultRoute")
    assert cfn["Parameters"]["NetworkMode"]["Default"] == "nat-gateway"


def test_an_existing_network_creates_no_nat_of_ours(cfn: dict[str, Any]) -> None:
    for mode in network_modes(cfn):
        resources = deployed(cfn, NetworkMode=mode, **EXISTING)
        for kind in ("AWS::EC2::VPC", "AWS::EC2::NatGateway", "AWS::EC2::Instance"):
            assert of_type(resources, kind) == {}, (mode, kind)


def test_every_mode_keeps_every_capability(cfn: dict[str, Any]) -> None:
    # Whatever the mode: the functions in the private subnets, the database private and
    # reachable from them only, and a default route out of the private subnets
    for mode in network_modes(cfn):
        resources = deployed(cfn, NetworkMode=mode)
        for name in FUNCTIONS:
            vpc = props(resources, name)["VpcConfig"]
            assert vpc["SubnetIds"] == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]
        assert props(resources, "Database")["PubliclyAccessible"] is False
        route = props(resources, "PrivateDefaultRoute")
        assert route["DestinationCidrBlock"] == "0.0.0.0/0"
        targets = {"NatGatewayId", "InstanceId"} & set(route)
        assert len(targets) == 1, mode
        # The public subnet is the NAT's only: no function or database lives there
        assert "PublicSubnet" not in str(props(resources, "DatabaseSubnetGroup"))


def test_samconfig_deploys_the_personal_mode(cfn: dict[str, Any]) -> None:
    for env in ("default", "prod"):
        mode = overrides(env)["NetworkMode"]
        assert mode == "nat-instance", env
        assert conditions_for(cfn, **{"NetworkMode": mode})["UseNatInstance"]


# ------------------------------------------------------------------ CloudFront


def test_the_ui_is_served_with_the_csp_mhc_run_sends(cfn: dict[str, Any]) -> None:
    config = cfn["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    policy_ref = config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
    assert policy_ref == {"Ref": "FrontendHeadersPolicy"}
    policy = cfn["Resources"]["FrontendHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    headers = policy["SecurityHeadersConfig"]
    # One CSP: the template's string is the one `mhc run` sends (mhc.api.static.UI_CSP)
    assert headers["ContentSecurityPolicy"] == {"ContentSecurityPolicy": UI_CSP, "Override": True}
    # And the headers AWS's managed SecurityHeadersPolicy gave are all still there
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["XSSProtection"]["Protection"] is True
    custom = {h["Header"].lower(): h["Value"] for h in policy["CustomHeadersConfig"]["Items"]}
    assert custom == {"cross-origin-opener-policy": "same-origin"}


def test_the_api_origin_carries_the_origin_secret(cfn: dict[str, Any]) -> None:
    config = cfn["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in config["Origins"]}
    (header,) = origins["api"]["OriginCustomHeaders"]
    assert header["HeaderName"] == ORIGIN_VERIFY_HEADER
    # CloudFront sends the first of the parameter's comma-separated values
    assert header["HeaderValue"] == {
        "Fn::Select": [0, {"Fn::Split": [",", {"Ref": "OriginSecret"}]}]
    }
    assert "OriginCustomHeaders" not in origins["frontend"]
    # CloudFormation resolves the value from SSM on every deploy; the API reads the same one
    assert cfn["Parameters"]["OriginSecret"]["Type"] == "AWS::SSM::Parameter::Value<String>"
    lookup = cfn["Resources"]["LookupFunction"]["Properties"]
    assert lookup["Environment"]["Variables"]["MHC_ORIGIN_SECRET_PARAM"] == {
        "Ref": "OriginSecretParam"
    }


def test_the_origin_secret_parameters_name_one_ssm_parameter(cfn: dict[str, Any]) -> None:
    defaults = parameter_values(cfn)
    assert defaults["OriginSecret"] == defaults["OriginSecretParam"]
    for env, stage in (("default", "dev"), ("prod", "prod")):
        given = overrides(env)
        assert given["OriginSecret"] == given["OriginSecretParam"] == f"/mhc/{stage}/origin-secret"


def test_the_app_requires_the_header_cloudfront_sends(
    cfn: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the parameter mid-rotation ("new,old") and the API configured from it
    stored = "new-origin-secret,old-origin-secret"
    monkeypatch.setenv("MHC_ORIGIN_SECRET", stored)
    monkeypatch.setenv("MHC_API_TOKEN", "some-token-long-enough-for-the-minimum-32")
    get_settings.cache_clear()
    client = TestClient(create_app(lambda: None))  # type: ignore[arg-type,return-value]
    # When CloudFront forwards a request with the value the template gives it
    origins = cfn["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    (header,) = next(o for o in origins if o["Id"] == "api")["OriginCustomHeaders"]
    index, split = header["HeaderValue"]["Fn::Select"]
    separator, _parameter = split["Fn::Split"]
    sent = stored.split(separator)[index]
    through = client.get("/api/watchlists", headers={header["HeaderName"]: sent})
    direct = client.get("/api/watchlists")
    # Then it passes the origin check (and meets the token check); a direct call does not
    assert through.status_code == 401
    assert direct.status_code == 403
    get_settings.cache_clear()


# ------------------------------------------------------------------ database credentials


SM_CREDENTIALS = {"DatabaseCredentials": "secrets-manager"}
SSM_CREDENTIALS = {"DatabaseCredentials": "ssm"}
APP_PARAM = {"Fn::Sub": SSM_ARN + "${AppDatabasePasswordParam}"}
MASTER_PARAM = {"Fn::Sub": SSM_ARN + "${DatabaseMasterPasswordParam}"}


def allowed(resources: dict[str, dict[str, Any]], function: str, action: str) -> list[Any]:
    """The resources `function`'s role may use `action` on, as deployed."""
    role = props(resources, function)["Role"]["Fn::GetAtt"][0]
    found: list[Any] = []
    for policy in props(resources, role).get("Policies", []):
        statements = policy["PolicyDocument"]["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if action in str(statement["Action"]):
                resource = statement["Resource"]
                found += resource if isinstance(resource, list) else [resource]
    return found


def variables(resources: dict[str, dict[str, Any]], function: str) -> dict[str, Any]:
    value: dict[str, Any] = props(resources, function)["Environment"]["Variables"]
    return value


def test_functions_other_than_migrate_get_the_app_roles_secret_only(cfn: dict[str, Any]) -> None:
    resources = deployed(cfn, **SM_CREDENTIALS)
    for name in FUNCTIONS[:-1]:
        env = variables(resources, name)
        assert env["MHC_DB_SECRET_ARN"] == APP_SECRET, name
        assert "MHC_APP_DB_SECRET_ARN" not in env, name
        assert "MHC_DB_PASSWORD_PARAM" not in env, name
        assert allowed(resources, name, "secretsmanager:GetSecretValue") == [APP_SECRET], name
    # The migrate function alone connects as the master user, and manages the app role
    migrate = variables(resources, "MigrateFunction")
    assert migrate["MHC_DB_SECRET_ARN"] == MASTER_SECRET
    assert migrate["MHC_APP_DB_SECRET_ARN"] == APP_SECRET
    assert allowed(resources, "MigrateFunction", "secretsmanager:GetSecretValue") == [
        MASTER_SECRET,
        APP_SECRET,
    ]


def test_with_ssm_credentials_there_is_no_secret_and_each_function_reads_its_password(
    cfn: dict[str, Any],
) -> None:
    # Given the stack deployed with DatabaseCredentials=ssm (the personal deployment)
    resources = deployed(cfn, **SSM_CREDENTIALS)

    # Then no Secrets Manager secret exists and no function may read one
    assert of_type(resources, "AWS::SecretsManager::Secret") == {}
    for name in FUNCTIONS:
        assert allowed(resources, name, "secretsmanager:") == [], name
    # The functions read the application role's password, and may not write it
    for name in FUNCTIONS[:-1]:
        env = variables(resources, name)
        assert env["MHC_DB_PASSWORD_PARAM"] == {"Ref": "AppDatabasePasswordParam"}, name
        assert env["MHC_DB_USERNAME"] == "mhc_app", name
        assert "MHC_DB_SECRET_ARN" not in env, name
        assert APP_PARAM in allowed(resources, name, "ssm:GetParameter"), name
        assert MASTER_PARAM not in allowed(resources, name, "ssm:GetParameter"), name
        assert APP_PARAM not in allowed(resources, name, "ssm:PutParameter"), name
    # The migrate function connects as the master user with the owner's password, and writes
    # the application role's (it generates it when absent)
    migrate = variables(resources, "MigrateFunction")
    assert migrate["MHC_DB_PASSWORD_PARAM"] == {"Ref": "DatabaseMasterPasswordParam"}
    assert migrate["MHC_DB_USERNAME"] == props(resources, "Database")["MasterUsername"]
    assert migrate["MHC_APP_DB_PASSWORD_PARAM"] == {"Ref": "AppDatabasePasswordParam"}
    assert migrate["MHC_APP_DB_USERNAME"] == "mhc_app"
    assert {"MHC_DB_SECRET_ARN", "MHC_APP_DB_SECRET_ARN"}.isdisjoint(migrate)
    assert allowed(resources, "MigrateFunction", "ssm:GetParameter") == [MASTER_PARAM, APP_PARAM]
    assert allowed(resources, "MigrateFunction", "ssm:PutParameter") == [APP_PARAM]
    # And RDS gets the owner's master password from SSM, not a managed secret
    database = props(resources, "Database")
    assert database["ManageMasterUserPassword"] is False
    assert "resolve:ssm-secure:${DatabaseMasterPasswordParam}" in str(
        database["MasterUserPassword"]
    )
    # And nothing refers to the secrets that do not exist
    text = json.dumps(resources)
    assert "AppDatabaseSecret" not in text
    assert "MasterUserSecret" not in text
    outputs = cfn["Outputs"]
    assert outputs["DatabaseSecretArn"]["Condition"] == "UseSecretsManager"
    assert outputs["AppDatabaseSecretArn"]["Condition"] == "UseSecretsManager"


def test_rds_proxy_is_refused_without_secrets_manager(cfn: dict[str, Any]) -> None:
    # RDS Proxy authenticates with Secrets Manager secrets only: the template's rule refuses
    # EnableRdsProxy=true with DatabaseCredentials=ssm, and the proxy's condition implies both
    rule = cfn["Rules"]["RdsProxyNeedsSecretsManager"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "EnableRdsProxy"}, "true"]}
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Equals": [{"Ref": "DatabaseCredentials"}, "secrets-manager"]
    }
    assert not conditions_for(cfn, EnableRdsProxy="true", **SSM_CREDENTIALS)["UseRdsProxy"]
    assert conditions_for(cfn, EnableRdsProxy="true", **SM_CREDENTIALS)["UseRdsProxy"]


def test_samconfig_deploys_ssm_credentials_with_per_stage_names() -> None:
    for env, stage in (("default", "dev"), ("prod", "prod")):
        given = overrides(env)
        assert given["DatabaseCredentials"] == "ssm", env
        assert given["DatabaseMasterPasswordParam"] == f"/mhc/{stage}/db-master-password"
        assert given["AppDatabasePasswordParam"] == f"/mhc/{stage}/db-app-password"


def test_the_app_roles_secret_is_generated_and_usable_through_rds_proxy(
    cfn: dict[str, Any],
) -> None:
    secret = cfn["Resources"]["AppDatabaseSecret"]["Properties"]["GenerateSecretString"]
    assert secret["GenerateStringKey"] == "password"
    assert '"username": "mhc_app"' in secret["SecretStringTemplate"]
    assert secret["PasswordLength"] >= 32
    assert secret["ExcludePunctuation"] is True  # no quoting in URLs or SQL, by construction
    resources = deployed(cfn, EnableRdsProxy="true")
    auth = [a["SecretArn"] for a in props(resources, "RdsProxy")["Auth"]]
    assert APP_SECRET in auth


def test_samconfig_sets_every_new_parameter_per_stage() -> None:
    config = tomllib.loads((REPO_ROOT / "samconfig.toml").read_text("utf-8"))
    for env in ("default", "prod"):
        text = config[env]["deploy"]["parameters"]["parameter_overrides"]
        for name in ("NetworkMode", "OriginSecretParam", "OriginSecret"):
            assert f"{name}=" in text, (env, name)


def test_the_nat_image_is_an_arm64_al2023_image_with_the_mapped_root_device(
    cfn: dict[str, Any],
) -> None:
    # Offline evidence, from moto's copy of AWS's public SSM parameters and image list: the
    # default parameter exists in us-east-1 and names an arm64 Amazon Linux 2023 image whose
    # root device is the one the template encrypts.
    resources = Path(moto.__file__).parent
    name = cfn["Parameters"]["NatInstanceImage"]["Default"]
    public = json.loads(
        gzip.decompress(
            (resources / "ssm/resources/ami-amazon-linux-latest/us-east-1.json.gz").read_bytes()
        )
    )
    (parameter,) = [p for p in public if p["Name"] == name]
    images = json.loads(
        gzip.decompress((resources / "ec2/resources/latest_amis/us-east-1.json.gz").read_bytes())
    )
    (image,) = [i for i in images if i["ami_id"] == parameter["Value"]]
    assert image["architecture"] == "arm64"
    assert image["name"].startswith("al2023-ami-")
    mappings = cfn["Resources"]["NatInstance"]["Properties"]["BlockDeviceMappings"]
    assert [m["DeviceName"] for m in mappings] == [image["root_device_name"]]
    assert cfn["Parameters"]["NatInstanceType"]["AllowedPattern"].startswith("^t4g")


def test_the_nat_instance_boots_the_minimal_image_on_a_small_volume(cfn: dict[str, Any]) -> None:
    # The minimal AL2023 image (a 2 GB snapshot; the standard one is 8 GB) on a 4 GB gp3 volume:
    # room for the 1 GB swap file and the packages the boot script installs, half the bill
    name = cfn["Parameters"]["NatInstanceImage"]["Default"]
    assert name.endswith("/al2023-ami-minimal-kernel-default-arm64")
    size = cfn["Parameters"]["NatInstanceVolumeSize"]
    assert size["Default"] == 4
    assert size["MinValue"] >= 2  # the minimal image's snapshot
    (mapping,) = cfn["Resources"]["NatInstance"]["Properties"]["BlockDeviceMappings"]
    assert mapping["Ebs"]["VolumeSize"] == {"Ref": "NatInstanceVolumeSize"}
    assert mapping["Ebs"]["VolumeType"] == "gp3"
    # What the minimal image lacks and the boot script needs is installed before it is used
    lines = boot_script(cfn)
    install = lines[first(lines, r"dnf install -y ")].split()
    assert {"nftables", "aws-cfn-bootstrap", "procps-ng"} <= set(install)
    assert first(lines, r"dnf install -y ") < first(lines, r"systemctl enable nftables")


def test_the_personal_deployment_as_samconfig_ships_it(cfn: dict[str, Any]) -> None:
    # Given the stack with samconfig.toml's own overrides (dev and prod)
    for env in ("default", "prod"):
        resources = deployed(cfn, **overrides(env))
        # Then: no NAT gateway, no address of its own, one NAT instance on a 4 GB volume
        assert of_type(resources, "AWS::EC2::NatGateway") == {}, env
        assert of_type(resources, "AWS::EC2::EIP") == {}, env
        (instance,) = of_type(resources, "AWS::EC2::Instance").values()
        (mapping,) = instance["Properties"]["BlockDeviceMappings"]
        assert parameter_values(cfn, **overrides(env))["NatInstanceVolumeSize"] == 4
        assert mapping["Ebs"]["VolumeSize"] == {"Ref": "NatInstanceVolumeSize"}
        # No Secrets Manager secret (the passwords are SecureStrings), no RDS Proxy, no traces
        assert of_type(resources, "AWS::SecretsManager::Secret") == {}, env
        assert of_type(resources, "AWS::RDS::DBProxy") == {}, env
        for name in FUNCTIONS:
            assert props(resources, name)["TracingConfig"] == {"Mode": {"Ref": "TracingMode"}}
        assert overrides(env)["TracingMode"] == "PassThrough"
        # And the ten alarms the cost table counts
        assert len(of_type(resources, "AWS::CloudWatch::Alarm")) == 10, env
