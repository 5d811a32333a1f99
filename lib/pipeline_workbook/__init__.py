"""CodePipeline Workbook: model, validate, draw and simulate AWS CodePipeline pipelines.

The package itself imports only the model; the other modules are imported where they are used
(actions, patterns, validate, draw, simulate, world, metrics, lint, cloudformation, local_aws,
sandbox, widgets), so that importing the model stays quick.
"""

from .model import (
    Action,
    ActionTypeId,
    ArtifactStore,
    BeforeEntryConditions,
    BlockerDeclaration,
    Condition,
    EncryptionKey,
    EnvironmentVariable,
    FailureConditions,
    FilterCriteria,
    GitConfiguration,
    GitPullRequestFilter,
    GitPushFilter,
    InputArtifact,
    OutputArtifact,
    Pipeline,
    PipelineError,
    PipelineVariable,
    Problem,
    ProblemList,
    RetryConfiguration,
    Rule,
    RuleTypeId,
    Stage,
    SuccessConditions,
    Trigger,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ActionTypeId",
    "ArtifactStore",
    "BeforeEntryConditions",
    "BlockerDeclaration",
    "Condition",
    "EncryptionKey",
    "EnvironmentVariable",
    "FailureConditions",
    "FilterCriteria",
    "GitConfiguration",
    "GitPullRequestFilter",
    "GitPushFilter",
    "InputArtifact",
    "OutputArtifact",
    "Pipeline",
    "PipelineError",
    "PipelineVariable",
    "Problem",
    "ProblemList",
    "RetryConfiguration",
    "Rule",
    "RuleTypeId",
    "Stage",
    "SuccessConditions",
    "Trigger",
]
