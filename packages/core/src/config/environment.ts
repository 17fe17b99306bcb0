import * as v from "valibot";
import { ConfigurationError } from "../errors";

/** Parses environment variables once, at start-up; the error names every bad variable and why. */
export const parseEnvironment = <TSchema extends v.GenericSchema>(
  schema: TSchema,
  env: Readonly<Record<string, string | undefined>>,
  component: string,
): v.InferOutput<TSchema> => {
  const parsed = v.safeParse(schema, env);
  if (parsed.success) return parsed.output;
  const problems = parsed.issues.map(
    (issue) => `${v.getDotPath(issue) ?? "(environment)"}: ${issue.message}`,
  );
  throw new ConfigurationError(`${component} is misconfigured: ${problems.join("; ")}`);
};
