import type { IncomingMessage } from "node:http";

export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
export type Body = Record<string, unknown>;

export const message = (status: number, text: string): Reply => ({
  status,
  body: { message: text },
});

export const readJson = async (request: IncomingMessage): Promise<Body> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text ? (JSON.parse(text) as Body) : {};
};

/** Tags as GitLab accepts them: an array or a comma-separated string. */
export const asTags = (value: unknown): string[] =>
  Array.isArray(value)
    ? value.map(String)
    : typeof value === "string" && value
      ? value.split(",")
      : [];
