import { autoName } from "./aws-mocks";
import type { RecordedResource } from "./record";

/*
 * Limits AWS enforces at create time, from each service's API reference, that no type checker
 * sees: names, descriptions, sizes. A name is the program's, or the provider's auto-name.
 */

interface TextLimit {
  readonly property: string;
  readonly max: number;
  readonly min?: number;
  readonly pattern?: RegExp;
}

const IAM_NAME = /^[\w+=,.@-]+$/;
const EVENTS_NAME = /^[\w.-]+$/;

/** Physical names, by type; a type not here has none (`UNNAMED`) or must be added. */
export const NAME_LIMITS: Readonly<Record<string, TextLimit>> = {
  "aws:apigatewayv2/api:Api": { property: "name", max: 128 },
  "aws:apigatewayv2/stage:Stage": { property: "name", max: 128, pattern: /^[\w$-]+$/ },
  "aws:cloudwatch/dashboard:Dashboard": {
    property: "dashboardName",
    max: 255,
    pattern: /^[\w-]+$/,
  },
  "aws:cloudwatch/eventRule:EventRule": { property: "name", max: 64, pattern: EVENTS_NAME },
  "aws:cloudwatch/eventTarget:EventTarget": { property: "targetId", max: 64, pattern: EVENTS_NAME },
  "aws:cloudwatch/logGroup:LogGroup": { property: "name", max: 512, pattern: /^[\w./#-]+$/ },
  "aws:cloudwatch/metricAlarm:MetricAlarm": {
    property: "name",
    max: 255,
    pattern: /^[^\p{Cc}]+$/u,
  },
  "aws:dynamodb/table:Table": { property: "name", min: 3, max: 255, pattern: /^[\w.-]+$/ },
  "aws:ec2/launchTemplate:LaunchTemplate": {
    property: "name",
    min: 3,
    max: 128,
    pattern: /^[\w()./-]+$/,
  },
  "aws:ec2/securityGroup:SecurityGroup": { property: "name", max: 255 },
  "aws:iam/instanceProfile:InstanceProfile": { property: "name", max: 128, pattern: IAM_NAME },
  "aws:iam/role:Role": { property: "name", max: 64, pattern: IAM_NAME },
  "aws:iam/rolePolicy:RolePolicy": { property: "name", max: 128, pattern: IAM_NAME },
  "aws:lambda/function:Function": { property: "name", max: 64, pattern: /^[\w-]+$/ },
  "aws:lambda/permission:Permission": { property: "statementId", max: 100, pattern: /^[\w-]+$/ },
  "aws:s3/bucket:Bucket": {
    property: "bucket",
    min: 3,
    max: 63,
    pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
  },
  "aws:s3/bucketObjectv2:BucketObjectv2": { property: "key", max: 1024 },
  "aws:scheduler/schedule:Schedule": { property: "name", max: 64, pattern: EVENTS_NAME },
  "aws:secretsmanager/secret:Secret": { property: "name", max: 512, pattern: /^[\w/+=.@-]+$/ },
  "aws:sns/topic:Topic": { property: "name", max: 256, pattern: /^[\w-]+$/ },
  "aws:sqs/queue:Queue": { property: "name", max: 80, pattern: /^[\w-]+(\.fifo)?$/ },
  // AWS's 1011 counts the ARN's prefix too (about 50 characters); slashes delimit a hierarchy.
  "aws:ssm/parameter:Parameter": { property: "name", max: 960, pattern: /^[\w./-]+$/ },
};

/** Types whose resources AWS gives no name of their own: settings of, or links between, others. */
export const UNNAMED = new Set([
  "aws:apigatewayv2/integration:Integration",
  "aws:apigatewayv2/route:Route",
  "aws:iam/rolePoliciesExclusive:RolePoliciesExclusive",
  "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
  "aws:lambda/eventSourceMapping:EventSourceMapping",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:sqs/queuePolicy:QueuePolicy",
  "random:index/randomBytes:RandomBytes",
]);

/** Free text AWS bounds, by type. Security group descriptions are ASCII of a few kinds only. */
const DESCRIPTION_LIMITS: Readonly<Record<string, TextLimit>> = {
  "aws:cloudwatch/eventRule:EventRule": { property: "description", max: 512 },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { property: "alarmDescription", max: 1024 },
  "aws:ec2/launchTemplate:LaunchTemplate": { property: "description", max: 255 },
  "aws:ec2/securityGroup:SecurityGroup": {
    property: "description",
    max: 255,
    pattern: /^[\w .:/()#,@[\]+=&;{}!$*-]+$/,
  },
  "aws:lambda/function:Function": { property: "description", max: 256 },
  "aws:secretsmanager/secret:Secret": { property: "description", max: 2048 },
  "aws:ssm/parameter:Parameter": { property: "description", max: 1024 },
};

/** Lambda: 4 KB of environment variables in all; IAM: 10,240 characters of inline policy per role. */
const LAMBDA_ENVIRONMENT_BYTES = 4096;
const ROLE_INLINE_POLICY_CHARACTERS = 10_240;
/** Lambda: filters per event source mapping (the default quota). */
const FILTERS_PER_MAPPING = 5;
/** SSM: a Standard tier parameter's value. */
const STANDARD_PARAMETER_CHARACTERS = 4096;

const textProblem = (resource: RecordedResource, limit: TextLimit, text: string) => {
  const where = `${resource.type} ${resource.name}: ${limit.property} "${text}"`;
  if (text.length > limit.max) return `${where} is ${text.length} long, over ${limit.max}`;
  if (text.length < (limit.min ?? 1)) return `${where} is under ${limit.min ?? 1} long`;
  if (limit.pattern && !limit.pattern.test(text)) return `${where} has characters AWS refuses`;
  return undefined;
};

const environmentBytes = (variables: Record<string, string>) =>
  Object.entries(variables).reduce(
    (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );

/** IAM counts a policy's characters without whitespace. */
const policyCharacters = (policy: string) => policy.replaceAll(/\s/g, "").length;

const sizeProblems = (resource: RecordedResource): string[] => {
  const { inputs } = resource;
  const where = `${resource.type} ${resource.name}`;
  if (resource.type === "aws:lambda/function:Function") {
    const variables = (inputs.environment as { variables?: Record<string, string> })?.variables;
    const bytes = environmentBytes(variables ?? {});
    return bytes > LAMBDA_ENVIRONMENT_BYTES
      ? [`${where}: ${bytes} bytes of environment, over ${LAMBDA_ENVIRONMENT_BYTES}`]
      : [];
  }
  if (resource.type === "aws:iam/role:Role") {
    const policies = (inputs.inlinePolicies ?? []) as { policy: string }[];
    const characters = policies.reduce((total, { policy }) => total + policyCharacters(policy), 0);
    return characters > ROLE_INLINE_POLICY_CHARACTERS
      ? [
          `${where}: ${characters} characters of inline policy, over ${ROLE_INLINE_POLICY_CHARACTERS}`,
        ]
      : [];
  }
  if (resource.type === "aws:lambda/eventSourceMapping:EventSourceMapping") {
    const filters = (inputs.filterCriteria as { filters?: unknown[] })?.filters ?? [];
    return filters.length > FILTERS_PER_MAPPING
      ? [`${where}: ${filters.length} filters, over ${FILTERS_PER_MAPPING}`]
      : [];
  }
  if (resource.type === "aws:ssm/parameter:Parameter" && inputs.tier === "Standard") {
    const characters = String(inputs.value ?? inputs.insecureValue ?? "").length;
    return characters > STANDARD_PARAMETER_CHARACTERS
      ? [`${where}: a value of ${characters} characters, over ${STANDARD_PARAMETER_CHARACTERS}`]
      : [];
  }
  return [];
};

/** The program's name for the resource, or the one the provider generates. */
const nameOf = (resource: RecordedResource, property: string) => {
  const given = resource.inputs[property];
  return typeof given === "string" ? given : autoName(resource.type, resource.name);
};

/** Every limit a recorded resource would break; a type this table does not know is one too. */
export const limitProblems = (resources: readonly RecordedResource[]): string[] =>
  resources
    .filter((resource) => resource.custom)
    .flatMap((resource) => {
      const name = NAME_LIMITS[resource.type];
      if (!name && !UNNAMED.has(resource.type))
        return [`${resource.type}: add its name limits to test/deploy/aws-limits.ts`];
      const description = DESCRIPTION_LIMITS[resource.type];
      const text = description && resource.inputs[description.property];
      return [
        name && textProblem(resource, name, nameOf(resource, name.property)),
        description && typeof text === "string" && textProblem(resource, description, text),
        ...sizeProblems(resource),
      ].filter((problem): problem is string => typeof problem === "string");
    });
