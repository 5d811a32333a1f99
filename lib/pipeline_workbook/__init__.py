"""CodePipeline Workbook: model, validate, draw and simulate AWS CodePipeline pipelines."""

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
