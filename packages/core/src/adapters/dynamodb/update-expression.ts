import type { UpdateCommandInput } from "@aws-sdk/lib-dynamodb";

type Update = Pick<
  UpdateCommandInput,
  "UpdateExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
>;

/**
 * Builds `SET a = :a, … REMOVE b, …` with every attribute name aliased, so no field can collide
 * with DynamoDB's reserved words (`status`, `name`, …). Undefined values are not set.
 */
export const buildUpdate = (
  set: Readonly<Record<string, unknown>>,
  remove: readonly string[] = [],
  extraValues: Readonly<Record<string, unknown>> = {},
): Update => {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = { ...extraValues };
  const alias = (attribute: string) => {
    const name = `#${attribute}`;
    names[name] = attribute;
    return name;
  };
  const assignments = Object.entries(set)
    .filter(([, value]) => value !== undefined)
    .map(([attribute, value]) => {
      values[`:${attribute}`] = value;
      return `${alias(attribute)} = :${attribute}`;
    });
  const removals = remove.map(alias);
  const expression = [
    assignments.length > 0 ? `SET ${assignments.join(", ")}` : "",
    removals.length > 0 ? `REMOVE ${removals.join(", ")}` : "",
  ].join(" ");
  return {
    UpdateExpression: expression.trim(),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};
