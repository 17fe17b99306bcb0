import * as v from "valibot";
import { ConfigurationError } from "../errors";

/**
 * Where a deploy stores its outputs for `doctor` and `connect` (an SSM String parameter): outside
 * every deployment's token path, so that no stage name can land among runner tokens.
 */
export const stageOutputsParameter = (stage: string): string =>
  `/gitlab-runner-autoscaler-stages/${stage}/outputs`;

const name = v.pipe(v.string(), v.minLength(1));

const stageOutputsSchema = v.object({
  deployment: name,
  webhookUrl: v.pipe(v.string(), v.url()),
  tableName: name,
  gitlabTokenSecret: name,
  webhookSecret: name,
  functions: v.record(v.string(), name),
  launchTemplates: v.record(
    v.string(),
    v.object({ launchTemplateId: v.pipe(v.string(), v.startsWith("lt-")), version: name }),
  ),
});

/** What a deploy stores: names and ids, never a secret's value. */
export type StageOutputs = v.InferOutput<typeof stageOutputsSchema>;

/** The parameter's JSON, checked: a hand-edited or older parameter fails with what is wrong. */
export const parseStageOutputs = (json: string, where: string): StageOutputs => {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new ConfigurationError(`${where} is not JSON: deploy the stage again`);
  }
  const parsed = v.safeParse(stageOutputsSchema, raw);
  if (parsed.success) return parsed.output;
  const problems = parsed.issues.map(
    (issue) => `${v.getDotPath(issue) ?? "(outputs)"}: ${issue.message}`,
  );
  throw new ConfigurationError(
    `${where} does not hold this version's outputs (${problems.join("; ")}): deploy the stage again`,
  );
};
