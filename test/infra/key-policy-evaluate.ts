import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { KeyPolicyStatement } from "../../infra/lib/kms";
import { type Decision, type NamedPolicy, TEST_ACCOUNT } from "../support/iam-evaluate";

/*
 * A request on a KMS key, decided as KMS does: the key policy must allow it, by itself or by
 * delegating to the account's IAM policies (the default key policy's root statement). Strict as
 * test/support/iam-evaluate.ts is, which takes no resource policy.
 */

export const KEY_ARN = `arn:aws:kms:eu-central-1:${TEST_ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`;
export const OTHER_KEY_ARN = `arn:aws:kms:eu-central-1:${TEST_ACCOUNT}:key/ffffffff-4f50-6172-8394-a5b6c7d8e9f0`;

/** The default key policy's statement: IAM policies decide for the account's principals. */
export const ACCOUNT_DELEGATION = {
  Sid: "Enable IAM User Permissions",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${TEST_ACCOUNT}:root` },
  Action: "kms:*",
  Resource: "*",
} as const;

/** The operator's key: the default policy plus the statements the deployment asks for. */
export const keyPolicy = (statements: readonly KeyPolicyStatement[], delegating = true) => ({
  Version: "2012-10-17",
  Statement: [...(delegating ? [ACCOUNT_DELEGATION] : []), ...statements],
});

export const ROLE_SESSION = `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/role-under-test/session`;

const DECISIONS: Record<string, Decision> = {
  Allowed: "allowed",
  ImplicitlyDenied: "implicitly_denied",
  ExplicitlyDenied: "explicitly_denied",
};

export interface KeyRequest {
  readonly action: string;
  readonly keyPolicy: ReturnType<typeof keyPolicy>;
  /** The caller's identity policies; none for a service or a service-linked role. */
  readonly policies?: readonly NamedPolicy[];
  readonly key?: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly principal?: string;
}

export const evaluateKeyUse = async ({
  action,
  keyPolicy: resourcePolicy,
  policies = [],
  key = KEY_ARN,
  context = {},
  principal = ROLE_SESSION,
}: KeyRequest): Promise<Decision> => {
  const simulation = await runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: key, accountId: TEST_ACCOUNT },
        contextVariables: { ...context },
      },
      identityPolicies: policies.map(({ name, document }) => ({ name, policy: document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy,
    },
    { simulationMode: "Strict" },
  );
  if (simulation.resultType === "error")
    throw new Error(`cannot evaluate ${action}: ${JSON.stringify(simulation.errors, null, 2)}`);
  if (simulation.resultType === "wildcard")
    throw new Error(`${action}: evaluate one key, not the pattern ${key}`);
  const ignored = simulation.result.ignoredContextKeys ?? [];
  if (ignored.length > 0)
    throw new Error(`${action} on ${key} is sent without ${ignored.join(", ")}`);
  const decision = DECISIONS[simulation.overallResult];
  if (!decision) throw new Error(`unexpected result ${simulation.overallResult}`);
  return decision;
};
