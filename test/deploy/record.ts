/*
 * What a run of the SST program under mocks declares: every resource with the inputs a deploy
 * would send the AWS provider, and the stack's outputs. Plain JSON: secrets are shown as their
 * values, assets and archives as {"@asset" | "@archive": path}, resources as {"@urn": urn}.
 */

export type Values = Record<string, unknown>;

export interface RecordedResource {
  /** Pulumi's type token, e.g. `aws:lambda/function:Function`; `sst:aws:Function` for components. */
  readonly type: string;
  /** The logical name: unique per type in this program. */
  readonly name: string;
  readonly urn: string;
  /** The parent's URN: the component that declared it, or the stack. */
  readonly parent: string;
  /** False for components, which AWS never sees. */
  readonly custom: boolean;
  readonly inputs: Values;
  /** What the mocks answered as AWS: id, ARN, generated name. */
  readonly outputs: Values;
  readonly retainOnDelete: boolean;
}

/** What the program left behind in the child process, written as JSON for the harness. */
export interface ProgramRecord {
  readonly resources: readonly RecordedResource[];
  readonly outputs: Values;
  /** Why the program failed, as a deploy would report it; absent when it ran through. */
  readonly error?: string;
}

/** A function's bundle, as the harness's Runtime.Build made it. */
export interface BuiltBundle {
  readonly functionID: string;
  /** The directory SST zips and uploads: the bundle and its source map. */
  readonly out: string;
  /** The Lambda handler inside it, e.g. `bundle.handler`. */
  readonly handler: string;
}

export const ofType = (resources: readonly RecordedResource[], type: string) =>
  resources.filter((resource) => resource.type === type);

export const named = (resources: readonly RecordedResource[], type: string, name: string) => {
  const found = resources.find((resource) => resource.type === type && resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name} was declared`);
  return found;
};
