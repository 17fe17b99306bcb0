import { parseWebhookCredentials } from "@ger/core";
import type { HookOwner } from "@ger/core/types";
import type { DeploymentTarget } from "../deployment-target";
import { connectHook, disconnectHook } from "./connect-hook";
import { hookTokenFor } from "./hook-token";

const MANUAL_STEPS =
  'without Maintainer (project) or Owner (group) rights, ask someone who has them, or add it by hand: README, "Deploy to AWS", step 4';

/** `connect` on a deployment: what it did, in one line, and notes for stderr. */
export const connectDeployment = async (
  target: DeploymentTarget,
  owner: HookOwner,
  remove: boolean,
): Promise<{ message: string; notes: string[] }> => {
  const outputs = await target.account.stageOutputs(target.stage);
  if (!outputs)
    throw new Error(
      `stage ${target.stage} is not deployed here: npx sst deploy --stage ${target.stage} (or set AWS_REGION / AWS_PROFILE to where it is)`,
    );
  const { setup } = target.gitlab(await target.account.readSecret(outputs.gitlabTokenSecret));
  const context = {
    setup,
    connected: target.connectedHooks(outputs),
    webhookUrl: outputs.webhookUrl,
  };
  const where = `${owner.kind} ${owner.id}`;
  if (remove) {
    const removed = await disconnectHook(context, owner);
    if (removed.kind === "forbidden")
      throw new Error(`the token may not read ${where}'s hooks; ${MANUAL_STEPS}`);
    return {
      message:
        removed.hookIds.length > 0
          ? `removed hook ${removed.hookIds.join(", ")} from ${where}`
          : `${where} had no hook to ${outputs.webhookUrl}; nothing to remove`,
      notes: [],
    };
  }
  const credentials = parseWebhookCredentials(
    await target.account.readSecret(outputs.webhookSecret),
  );
  const token = hookTokenFor(credentials, owner, outputs.webhookSecret);
  if (token.kind === "missing") throw new Error(`${token.reason}: ${token.fix}`);
  const outcome = await connectHook(context, owner, token.token);
  if (outcome.kind === "forbidden")
    throw new Error(`the token may not manage ${where}'s hooks; ${MANUAL_STEPS}`);
  const duplicates =
    outcome.duplicatesRemoved.length > 0
      ? `; removed duplicate hook ${outcome.duplicatesRemoved.join(", ")}`
      : "";
  return {
    message: `${outcome.action} hook ${outcome.hookId} on ${where}: ${outputs.webhookUrl}, job events only, SSL verification on, token ${token.credential}${duplicates}`,
    notes: credentials.signingKey
      ? [
          "the webhook secret has a signingKey: GitLab must sign with it too; set it as the hook's signing token in GitLab (19.0+) → Settings → Webhooks → Edit",
        ]
      : [],
  };
};
