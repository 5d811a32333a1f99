"""The provider catalog: what each common CodePipeline action is allowed and required to carry.

Data, in one place, used by the builders (actions.py), the validator, the drawing and the
simulator. Numbers and keys come from the CodePipeline action reference; each entry names its
page (see ../shared/reference/codepipeline-rules.md sections 2.4 and 3 for the sources).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DOCS = "https://docs.aws.amazon.com/codepipeline/latest/userguide/"


@dataclass(frozen=True)
class RequiredWhen:
    """A configuration key that becomes required in some situations.

    Either when configuration[when_key] is one of when_values, or (when_inputs_over is set)
    when the action has more input artifacts than that number.
    """

    key: str
    reason: str
    when_key: str | None = None
    when_values: tuple[str, ...] = ()
    when_inputs_over: int | None = None

    def applies(self, configuration: dict, input_count: int) -> bool:
        if self.when_inputs_over is not None:
            return input_count > self.when_inputs_over
        return configuration.get(self.when_key) in self.when_values


@dataclass(frozen=True)
class ProviderSpec:
    """One action provider: identity, artifact limits, configuration keys, timeout, docs."""

    title: str
    category: str
    owner: str
    provider: str
    inputs: tuple[int, int]
    outputs: tuple[int, int]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    required_when: tuple[RequiredWhen, ...] = ()
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    timeout_minutes: int = 60
    cross_region: bool = True
    v2_only: bool = False
    doc: str = ""
    # Configuration keys whose value must be the name of one of the action's input artifacts,
    # and keys written "ArtifactName::path/in/artifact" whose artifact must be an input.
    artifact_keys: tuple[str, ...] = ()
    artifact_path_keys: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.category, self.owner, self.provider)

    @property
    def known_keys(self) -> tuple[str, ...]:
        conditional = tuple(r.key for r in self.required_when)
        return self.required + tuple(k for k in self.optional + conditional if k not in self.required)


TRUE_FALSE = ("true", "false")
CLONE_FORMATS = ("CODE_ZIP", "CODEBUILD_CLONE_REF")
CFN_MODES = ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "DELETE_ONLY", "CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE")
CFN_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")

MINUTES_PER_DAY = 24 * 60

PROVIDERS: tuple[ProviderSpec, ...] = (
    # ---- sources: first stage only, never cross-region, no inputs, exactly one output
    ProviderSpec(
        "GitHub, Bitbucket, GitHub Enterprise Server or GitLab (connection)",
        "Source", "AWS", "CodeStarSourceConnection", (0, 0), (1, 1),
        required=("ConnectionArn", "FullRepositoryId", "BranchName"),
        optional=("OutputArtifactFormat", "DetectChanges"),
        choices={"OutputArtifactFormat": CLONE_FORMATS, "DetectChanges": TRUE_FALSE},
        cross_region=False, doc=DOCS + "action-reference-CodestarConnectionSource.html",
    ),
    ProviderSpec(
        "CodeCommit", "Source", "AWS", "CodeCommit", (0, 0), (1, 1),
        required=("RepositoryName", "BranchName"),
        optional=("PollForSourceChanges", "OutputArtifactFormat"),
        choices={"PollForSourceChanges": TRUE_FALSE, "OutputArtifactFormat": CLONE_FORMATS},
        cross_region=False, doc=DOCS + "action-reference-CodeCommit.html",
    ),
    ProviderSpec(
        "Amazon S3 source", "Source", "AWS", "S3", (0, 0), (1, 1),
        required=("S3Bucket", "S3ObjectKey"),
        optional=("PollForSourceChanges", "AllowOverrideForS3ObjectKey"),
        choices={"PollForSourceChanges": TRUE_FALSE, "AllowOverrideForS3ObjectKey": TRUE_FALSE},
        cross_region=False, doc=DOCS + "action-reference-S3.html",
    ),
    ProviderSpec(
        "Amazon ECR source", "Source", "AWS", "ECR", (0, 0), (1, 1),
        required=("RepositoryName",), optional=("ImageTag",),
        cross_region=False, doc=DOCS + "action-reference-ECR.html",
    ),
    ProviderSpec(
        "GitHub (version 1, OAuth token; legacy)", "Source", "ThirdParty", "GitHub", (0, 0), (1, 1),
        required=("Owner", "Repo", "Branch", "OAuthToken"),
        optional=("PollForSourceChanges",),
        choices={"PollForSourceChanges": TRUE_FALSE},
        cross_region=False, doc=DOCS + "action-reference-GitHub.html",
    ),
    # ---- build and test
    ProviderSpec(
        "CodeBuild", "Build", "AWS", "CodeBuild", (1, 5), (0, 5),
        required=("ProjectName",),
        optional=("EnvironmentVariables", "BatchEnabled", "CombineArtifacts"),
        required_when=(RequiredWhen("PrimarySource", "there is more than one input artifact",
                                    when_inputs_over=1),),
        choices={"BatchEnabled": TRUE_FALSE, "CombineArtifacts": TRUE_FALSE},
        artifact_keys=("PrimarySource",),
        timeout_minutes=8 * 60, doc=DOCS + "action-reference-CodeBuild.html",
    ),
    ProviderSpec(
        "CodeBuild (test)", "Test", "AWS", "CodeBuild", (1, 5), (0, 5),
        required=("ProjectName",),
        optional=("EnvironmentVariables", "BatchEnabled", "CombineArtifacts"),
        required_when=(RequiredWhen("PrimarySource", "there is more than one input artifact",
                                    when_inputs_over=1),),
        choices={"BatchEnabled": TRUE_FALSE, "CombineArtifacts": TRUE_FALSE},
        artifact_keys=("PrimarySource",),
        timeout_minutes=8 * 60, doc=DOCS + "action-reference-CodeBuild.html",
    ),
    ProviderSpec(
        "Commands (V2)", "Compute", "AWS", "Commands", (1, 10), (0, 1),
        # "The commands action is not supported for cross-account or cross-Region actions."
        v2_only=True, cross_region=False, timeout_minutes=60, doc=DOCS + "action-reference-Commands.html",
    ),
    ProviderSpec(
        "Jenkins (custom action)", "Build", "Custom", "Jenkins", (0, 5), (0, 5),
        required=("ProjectName",), cross_region=False, timeout_minutes=MINUTES_PER_DAY,
        doc=DOCS + "tutorials-four-stage-pipeline.html",
    ),
    ProviderSpec(
        "Jenkins (custom test action)", "Test", "Custom", "Jenkins", (0, 5), (0, 5),
        required=("ProjectName",), cross_region=False, timeout_minutes=MINUTES_PER_DAY,
        doc=DOCS + "tutorials-four-stage-pipeline.html",
    ),
    ProviderSpec(
        "Device Farm", "Test", "AWS", "DeviceFarm", (1, 1), (0, 0),
        required=("AppType", "ProjectId", "App", "DevicePoolArn", "TestType"),
        optional=("AppiumVersion", "TestSpec", "RadioBluetoothEnabled", "RecordAppPerformanceData",
                  "RecordVideo", "RadioWifiEnabled", "RadioNfcEnabled", "RadioGpsEnabled", "Test",
                  "FuzzEventCount", "FuzzEventThrottle", "FuzzRandomizerSeed",
                  "CustomHostMachineArtifacts", "CustomDeviceArtifacts", "UnmeteredDevicesOnly",
                  "JobTimeoutMinutes", "Latitude", "Longitude"),
        choices={"AppType": ("iOS", "Android", "Web")},
        doc=DOCS + "action-reference-DeviceFarm.html",
    ),
    # ---- approval
    ProviderSpec(
        "Manual approval", "Approval", "AWS", "Manual", (0, 0), (0, 0),
        optional=("NotificationArn", "ExternalEntityLink", "CustomData"),
        timeout_minutes=7 * MINUTES_PER_DAY, doc=DOCS + "approvals-action-add.html",
    ),
    # ---- deploy
    ProviderSpec(
        "CloudFormation", "Deploy", "AWS", "CloudFormation", (0, 10), (0, 1),
        required=("ActionMode", "StackName"),
        optional=("Capabilities", "OutputFileName", "ParameterOverrides", "TemplateConfiguration"),
        required_when=(
            RequiredWhen("ChangeSetName", "ActionMode is CHANGE_SET_REPLACE or CHANGE_SET_EXECUTE",
                         "ActionMode", ("CHANGE_SET_REPLACE", "CHANGE_SET_EXECUTE")),
            RequiredWhen("TemplatePath", "ActionMode is CREATE_UPDATE, REPLACE_ON_FAILURE or CHANGE_SET_REPLACE",
                         "ActionMode", ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "CHANGE_SET_REPLACE")),
            RequiredWhen("RoleArn", "ActionMode is CREATE_UPDATE, REPLACE_ON_FAILURE, DELETE_ONLY or CHANGE_SET_REPLACE",
                         "ActionMode", ("CREATE_UPDATE", "REPLACE_ON_FAILURE", "DELETE_ONLY", "CHANGE_SET_REPLACE")),
        ),
        choices={"ActionMode": CFN_MODES},
        artifact_path_keys=("TemplatePath", "TemplateConfiguration"),
        timeout_minutes=3 * MINUTES_PER_DAY, doc=DOCS + "action-reference-CloudFormation.html",
    ),
    ProviderSpec(
        "CodeDeploy", "Deploy", "AWS", "CodeDeploy", (1, 1), (0, 0),
        required=("ApplicationName", "DeploymentGroupName"),
        timeout_minutes=5 * MINUTES_PER_DAY, doc=DOCS + "action-reference-CodeDeploy.html",
    ),
    ProviderSpec(
        "Amazon ECS (rolling update)", "Deploy", "AWS", "ECS", (1, 1), (0, 0),
        required=("ClusterName", "ServiceName"), optional=("FileName", "DeploymentTimeout"),
        timeout_minutes=60, doc=DOCS + "action-reference-ECS.html",
    ),
    ProviderSpec(
        "Amazon ECS blue/green (CodeDeploy)", "Deploy", "AWS", "CodeDeployToECS", (1, 5), (0, 0),
        required=("ApplicationName", "DeploymentGroupName", "TaskDefinitionTemplateArtifact",
                  "AppSpecTemplateArtifact"),
        optional=("TaskDefinitionTemplatePath", "AppSpecTemplatePath") + tuple(
            f"Image{n}{what}" for n in range(1, 5) for what in ("ArtifactName", "ContainerName")
        ),
        artifact_keys=("TaskDefinitionTemplateArtifact", "AppSpecTemplateArtifact")
        + tuple(f"Image{n}ArtifactName" for n in range(1, 5)),
        timeout_minutes=5 * MINUTES_PER_DAY, doc=DOCS + "action-reference-ECSbluegreen.html",
    ),
    ProviderSpec(
        "Amazon S3 deploy", "Deploy", "AWS", "S3", (1, 1), (0, 0),
        required=("BucketName", "Extract"),
        optional=("KMSEncryptionKeyARN", "CannedACL", "CacheControl"),
        required_when=(RequiredWhen("ObjectKey", "Extract is false", "Extract", ("false",)),),
        choices={"Extract": TRUE_FALSE},
        timeout_minutes=90, doc=DOCS + "action-reference-S3Deploy.html",
    ),
    ProviderSpec(
        "Elastic Beanstalk", "Deploy", "AWS", "ElasticBeanstalk", (1, 1), (0, 0),
        required=("ApplicationName", "EnvironmentName"), doc=DOCS + "action-reference-Beanstalk.html",
    ),
    # ---- invoke
    ProviderSpec(
        "AWS Lambda", "Invoke", "AWS", "Lambda", (0, 5), (0, 5),
        required=("FunctionName",), optional=("UserParameters",),
        timeout_minutes=MINUTES_PER_DAY, doc=DOCS + "action-reference-Lambda.html",
    ),
    ProviderSpec(
        "AWS Step Functions", "Invoke", "AWS", "StepFunctions", (0, 1), (0, 1),
        required=("StateMachineArn",), optional=("ExecutionNamePrefix", "InputType"),
        required_when=(RequiredWhen("Input", "InputType is FilePath", "InputType", ("FilePath",)),),
        choices={"InputType": ("Literal", "FilePath")},
        timeout_minutes=7 * MINUTES_PER_DAY, doc=DOCS + "action-reference-StepFunctions.html",
    ),
)

_BY_KEY = {spec.key: spec for spec in PROVIDERS}



@dataclass(frozen=True)
class RuleSpec:
    """One stage-condition rule provider (V2): its configuration keys and where it may be used.

    Only the keys the rule reference marks required are checked; other keys are not rejected,
    because the reference pages do not say that AWS refuses them.
    """

    provider: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    required_when: tuple[RequiredWhen, ...] = ()
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    uses_commands: bool = False
    allowed_with_skip: bool = False
    doc: str = ""


# Rule reference (docs.aws.amazon.com/codepipeline/latest/userguide/rule-reference.html and its
# per-rule pages): category "Rule", owner "AWS", version "1". "For beforeEntry conditions that are
# configured with the Skip result, only the following rules are available: LambdaInvoke and
# VariableCheck" (rule-reference-Commands / rule-reference-CodeBuild).
RULES: tuple[RuleSpec, ...] = (
    RuleSpec("CloudWatchAlarm", required=("AlarmName",), optional=("AlarmStates", "WaitTime"),
             doc=DOCS + "rule-reference-CloudWatchAlarm.html"),
    RuleSpec("CodeBuild", required=("ProjectName",),
             optional=("BatchEnabled", "CombineArtifacts", "EnvironmentVariables"),
             required_when=(RequiredWhen("PrimarySource", "there is more than one input artifact",
                                         when_inputs_over=1),),
             choices={"BatchEnabled": TRUE_FALSE, "CombineArtifacts": TRUE_FALSE},
             doc=DOCS + "rule-reference-CodeBuild.html"),
    RuleSpec("Commands", uses_commands=True, doc=DOCS + "rule-reference-Commands.html"),
    RuleSpec("DeploymentWindow", required=("Cron",), optional=("TimeZone",),
             doc=DOCS + "rule-reference-DeploymentWindow.html"),
    RuleSpec("LambdaInvoke", required=("FunctionName",), optional=("UserParameters",),
             allowed_with_skip=True, doc=DOCS + "rule-reference-LambdaInvoke.html"),
    RuleSpec("VariableCheck", required=("Operator", "Variable", "Value"),
             choices={"Operator": ("EQ", "CONTAINS", "MATCHES", "NE")},
             allowed_with_skip=True, doc=DOCS + "rule-reference-VariableCheck.html"),
)

_RULES_BY_PROVIDER = {spec.provider: spec for spec in RULES}

# Stage-condition rule providers (V2), by name.
RULE_PROVIDERS = tuple(spec.provider for spec in RULES)

CUSTOM_ACTION_TIMEOUT_MINUTES = MINUTES_PER_DAY
DEFAULT_ACTION_TIMEOUT_MINUTES = 60


def provider_spec(category: str | None, owner: str | None, provider: str | None) -> ProviderSpec | None:
    """The catalog entry for an action type, or None for custom and unknown providers."""
    return _BY_KEY.get((category, owner, provider))


def rule_spec(provider: str | None) -> RuleSpec | None:
    """The catalog entry for a stage-condition rule provider, or None when it is not one."""
    return _RULES_BY_PROVIDER.get(provider)


def action_timeout_minutes(category: str | None, owner: str | None, provider: str | None,
                           timeout_in_minutes: int | None = None) -> int:
    """How long CodePipeline lets an action run before it fails it (section 2.4 of the reference)."""
    spec = provider_spec(category, owner, provider)
    if spec and spec.provider == "Manual" and isinstance(timeout_in_minutes, int):
        return timeout_in_minutes
    if spec:
        return spec.timeout_minutes
    return CUSTOM_ACTION_TIMEOUT_MINUTES if owner in ("Custom", "ThirdParty") else DEFAULT_ACTION_TIMEOUT_MINUTES
