import { createHmac } from "node:crypto";

/**
 * The secret token of project `projectId`'s hook: HMAC-SHA256 of `project:<id>` under the master,
 * in lower-case hex. Knowing it tells nothing of the master, so nothing of another project's.
 */
export const projectHookToken = (master: string, projectId: number): string =>
  createHmac("sha256", master).update(`project:${projectId}`, "utf8").digest("hex");
