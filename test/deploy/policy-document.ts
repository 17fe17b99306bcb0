/*
 * aws.iam.getPolicyDocument as the AWS provider renders it: the statements' JSON, a list of one
 * written as that one value. SST builds every function role's inline policy through it.
 */

interface Principal {
  readonly type: string;
  readonly identifiers: readonly string[];
}

interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly string[];
}

interface StatementArgs {
  readonly sid?: string;
  readonly effect?: string;
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly principals?: readonly Principal[];
  readonly notPrincipals?: readonly Principal[];
  readonly conditions?: readonly Condition[];
}

export interface PolicyDocumentArgs {
  readonly version?: string;
  readonly statements?: readonly StatementArgs[];
}

const oneOrMany = (values: readonly string[]) => (values.length === 1 ? values[0] : [...values]);

const listed = (key: string, values: readonly string[] | undefined) =>
  values && values.length > 0 ? { [key]: oneOrMany(values) } : {};

const principals = (key: string, entries: readonly Principal[] | undefined) =>
  entries && entries.length > 0
    ? {
        [key]: Object.fromEntries(
          entries.map((entry) => [entry.type, oneOrMany(entry.identifiers)]),
        ),
      }
    : {};

const conditions = (entries: readonly Condition[] | undefined) => {
  if (!entries || entries.length === 0) return {};
  const byTest: Record<string, Record<string, string | string[] | undefined>> = {};
  for (const { test, variable, values } of entries)
    byTest[test] = { ...byTest[test], [variable]: oneOrMany(values) };
  return { Condition: byTest };
};

export const policyDocumentJson = (args: PolicyDocumentArgs) =>
  JSON.stringify({
    Version: args.version ?? "2012-10-17",
    Statement: (args.statements ?? []).map((statement) => ({
      ...(statement.sid && { Sid: statement.sid }),
      Effect: statement.effect ?? "Allow",
      ...listed("Action", statement.actions),
      ...listed("NotAction", statement.notActions),
      ...listed("Resource", statement.resources),
      ...listed("NotResource", statement.notResources),
      ...principals("Principal", statement.principals),
      ...principals("NotPrincipal", statement.notPrincipals),
      ...conditions(statement.conditions),
    })),
  });
