import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NamedPolicy } from "./iam-evaluate";

const POLICIES = fileURLToPath(new URL("../infra/aws-managed-policies/", import.meta.url));

/** An AWS managed policy by name, from the JSON AWS publishes for it, checked in beside the tests. */
export const awsManagedPolicy = (name: string): NamedPolicy => {
  const file = `${POLICIES}${name}.json`;
  if (!existsSync(file))
    throw new Error(`${name} is attached but not checked in: add AWS's JSON of it as ${file}`);
  return { name, document: JSON.parse(readFileSync(file, "utf8")) };
};
