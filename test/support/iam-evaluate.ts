import { type EvaluationResult, runSimulation } from "@cloud-copilot/iam-simulate";
import { policyDocument, type Statement } from "../../infra/lib/iam";

/*
 * Decides one request against a caller's identity policies as IAM does: the allows of every
 * policy add up, a deny wins. On @cloud-copilot/iam-simulate (AGPL-3.0): tests only, never
 * imported by a function.
 */

/** An IAM policy document as JSON: ours from `policyDocument`, AWS's as it publishes them. */
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly object[];
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

export interface IamRequest {
  /** Every identity policy of the caller: its inline policies and each attached managed policy. */
  readonly policies: readonly NamedPolicy[];
  readonly action: string;
  /** One resource's ARN, or "*" for an action without resource-level permissions. */
  readonly resource: string;
  /** The condition keys AWS sends, e.g. `ec2:SourceInstanceARN`, `ssm:resourceTag/<key>`. */
  readonly context?: Readonly<Record<string, string>>;
  /** Who signs the request: a role session in the test account unless given. */
  readonly principal?: string;
}

export type Decision = "allowed" | "implicitly_denied" | "explicitly_denied";

export const TEST_ACCOUNT = "123456789012";

const ROLE_SESSION = `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/role-under-test/session`;

const DECISIONS = {
  Allowed: "allowed",
  ImplicitlyDenied: "implicitly_denied",
  ExplicitlyDenied: "explicitly_denied",
} as const satisfies Record<EvaluationResult, Decision>;

/** An ARN's account; empty for "*" and for ARNs without one (S3 buckets). */
const accountOf = (arn: string) => arn.split(":")[4] ?? "";

/** Statements of infra/lib/iam.ts as the inline policy a role is given. */
export const inlinePolicy = (name: string, statements: readonly Statement[]): NamedPolicy => ({
  name,
  document: policyDocument(statements),
});

/** Whether IAM allows the request; throws where the answer would prove nothing. */
export const evaluate = async ({
  policies,
  action,
  resource,
  context = {},
  principal = ROLE_SESSION,
}: IamRequest): Promise<Decision> => {
  const simulation = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource, accountId: accountOf(resource) || accountOf(principal) },
        contextVariables: { ...context },
      },
      identityPolicies: policies.map(({ name, document }) => ({ name, policy: document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    { simulationMode: "Strict" },
  );
  if (simulation.resultType === "error")
    throw new Error(`cannot evaluate ${action}: ${JSON.stringify(simulation.errors, null, 2)}`);
  if (simulation.resultType === "wildcard")
    throw new Error(`${action}: evaluate one resource, not the pattern ${resource}`);
  // A key AWS does not send with this action would be dropped, and a condition on it never met.
  const ignored = simulation.result.ignoredContextKeys ?? [];
  if (ignored.length > 0)
    throw new Error(`${action} on ${resource} is sent without ${ignored.join(", ")}`);
  return DECISIONS[simulation.overallResult];
};
