import type { WebhookProbe } from "./aws-stage-checks";

/**
 * A Job Hook without a token: the webhook must refuse it (401) without recording anything. Any
 * other answer says the function, its secret or the API in front of it is not ready.
 */
export const probeWebhook: WebhookProbe = async (url) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-gitlab-event": "Job Hook" },
    body: "{}",
    signal: AbortSignal.timeout(10_000),
    redirect: "manual",
  });
  return { status: response.status, body: await response.text() };
};
