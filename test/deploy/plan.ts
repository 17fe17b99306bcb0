import type { Deployment } from "./harness";
import { ofType, type RecordedResource, type Values } from "./record";

/*
 * The record as a reviewer reads it: what `sst deploy` would create, without an AWS account.
 * Environment variables by name only (SST_KEY and the ARNs are values nobody needs to see).
 */

interface PolicyStatement {
  readonly Effect: string;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (value: string | string[] | undefined) =>
  Array.isArray(value) ? value : [value ?? ""];

const document = (policy: unknown) =>
  (typeof policy === "string" ? JSON.parse(policy) : policy) as { Statement: PolicyStatement[] };

const conditionText = (condition: PolicyStatement["Condition"]) =>
  Object.entries(condition ?? {}).flatMap(([test, keys]) =>
    Object.entries(keys).map(([key, values]) => `${key} ${test} ${list(values).join(" | ")}`),
  );

const statementLines = (policy: unknown, indent: string) =>
  document(policy).Statement.flatMap((statement) => [
    `${indent}${statement.Effect} ${list(statement.Action).join(", ")}`,
    ...list(statement.Resource).map((resource) => `${indent}    on ${resource}`),
    ...conditionText(statement.Condition).map((condition) => `${indent}    if ${condition}`),
  ]);

const trustedBy = (role: RecordedResource) =>
  document(role.inputs.assumeRolePolicy)
    .Statement.map((statement) => JSON.stringify(statement.Principal))
    .join(", ");

const roleLines = (role: RecordedResource, resources: readonly RecordedResource[]) => {
  const name = String(role.inputs.name ?? role.outputs.name);
  const inline = (role.inputs.inlinePolicies ?? []) as { name: string; policy: string }[];
  const attached = ofType(resources, "aws:iam/rolePolicy:RolePolicy").filter(
    (policy) => policy.inputs.role === name,
  );
  const boundary = role.inputs.permissionsBoundary;
  return [
    `  role ${role.inputs.path ?? "/"}${name}, assumed by ${trustedBy(role)}`,
    ...(boundary ? [`    permissions boundary ${boundary}`] : []),
    ...((role.inputs.managedPolicyArns ?? []) as string[]).map((arn) => `    managed ${arn}`),
    ...inline.flatMap((policy) => [
      `    inline policy ${policy.name}:`,
      ...statementLines(policy.policy, "      "),
    ]),
    ...attached.flatMap((policy) => [
      `    policy ${policy.name}:`,
      ...statementLines(policy.inputs.policy, "      "),
    ]),
  ];
};

const functionLines = (deployment: Deployment) => {
  const builds = new Map(
    deployment.calls
      .filter((call) => call.method === "Runtime.Build")
      .map((call) => call.args as { functionID: string; handler: string })
      .map((build) => [`${build.functionID}Function`, build.handler]),
  );
  return ofType(deployment.resources, "aws:lambda/function:Function").flatMap((fn) => {
    const { inputs } = fn;
    const variables = (inputs.environment as { variables?: Values })?.variables ?? {};
    const role = deployment.resources.find(
      (resource) => resource.type === "aws:iam/role:Role" && resource.outputs.arn === inputs.role,
    );
    return [
      `${inputs.name}`,
      `  handler ${builds.get(fn.name) ?? "?"} (bundled: ${inputs.handler})`,
      `  ${inputs.runtime} ${(inputs.architectures as string[]).join(", ")}, ${inputs.memorySize} MB, timeout ${inputs.timeout} s, reserved concurrency ${inputs.reservedConcurrentExecutions ?? "none"}`,
      `  environment ${Object.keys(variables).sort().join(", ")}`,
      ...(role ? roleLines(role, deployment.resources) : [`  role ${inputs.role}`]),
    ];
  });
};

const otherRoleLines = (deployment: Deployment) => {
  const functionRoles = new Set(
    ofType(deployment.resources, "aws:lambda/function:Function").map((fn) => fn.inputs.role),
  );
  return ofType(deployment.resources, "aws:iam/role:Role")
    .filter((role) => !functionRoles.has(role.outputs.arn))
    .flatMap((role) => roleLines(role, deployment.resources).map((line) => line.slice(2)));
};

const scheduleLines = (deployment: Deployment) => [
  ...ofType(deployment.resources, "aws:scheduler/schedule:Schedule").map((schedule) => {
    const target = schedule.inputs.target as { arn: string };
    return `${schedule.inputs.name}: ${schedule.inputs.scheduleExpression} → ${target.arn}`;
  }),
  ...ofType(deployment.resources, "aws:lambda/eventSourceMapping:EventSourceMapping").map(
    (mapping) =>
      `${mapping.name}: ${mapping.inputs.eventSourceArn} → ${mapping.inputs.functionName} (batch ${mapping.inputs.batchSize})`,
  ),
  ...ofType(deployment.resources, "aws:cloudwatch/eventRule:EventRule").map(
    (rule) => `${rule.name}: ${rule.inputs.eventPattern}`,
  ),
];

const alarmLines = (deployment: Deployment) =>
  ofType(deployment.resources, "aws:cloudwatch/metricAlarm:MetricAlarm").map(({ inputs }) => {
    const query = (inputs.metricQueries as { expression: string }[] | undefined)?.[0]?.expression;
    const metric =
      query ?? `${inputs.namespace} ${inputs.metricName} ${JSON.stringify(inputs.dimensions)}`;
    return `${inputs.name}: ${metric} ${inputs.comparisonOperator} ${inputs.threshold}`;
  });

const section = (title: string, lines: readonly string[]) =>
  lines.length > 0 ? [`\n${title}`, ...lines.map((line) => `  ${line}`)] : [];

export const formatPlan = (deployment: Deployment) => {
  const { app, resources } = deployment;
  const inAws = resources.filter((resource) => resource.custom);
  const retained = inAws.filter((resource) => resource.retainOnDelete);
  const counts = new Map<string, number>();
  for (const resource of inAws) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  return [
    `sst deploy --stage ${app.stage} of ${app.name}: ${inAws.length} resources (${resources.length} with SST's components)`,
    `protected: ${app.protect} (sst remove ${app.protect ? "refuses this stage" : "runs"}); removal: ${app.removal}`,
    `kept by sst remove: ${retained.map((resource) => resource.name).join(", ") || "nothing"}`,
    ...section("Functions", functionLines(deployment)),
    ...section("Other roles", otherRoleLines(deployment)),
    ...section("Schedules and event sources", scheduleLines(deployment)),
    ...section("Alarms", alarmLines(deployment)),
    ...section(
      "Resources by type",
      [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([type, count]) => `${count} ${type}`),
    ),
    ...section("Stack outputs", Object.keys(deployment.outputs).sort()),
    "",
  ].join("\n");
};
