import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * The SST CLI's side of `$SST_SERVER/rpc`: Go's net/rpc over JSON-RPC 1.0, which SST's components
 * call (platform/src/components/rpc/rpc.ts). An error is answered as the CLI does, with status 200
 * and `error` set; a method not served answers "rpc: can't find method", which the components
 * read as not found.
 */

export type RpcMethods = Readonly<Record<string, (args: never) => Promise<unknown>>>;

export interface CliServer {
  /** For SST_SERVER. */
  readonly url: string;
  /** Every call the program made, by method, in order: the test reads what SST asked for. */
  readonly calls: readonly { readonly method: string; readonly args: unknown }[];
  close(): Promise<void>;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export const startCliServer = async (methods: RpcMethods): Promise<CliServer> => {
  const calls: { method: string; args: unknown }[] = [];
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const {
      id = null,
      method,
      params,
    } = JSON.parse(body) as {
      id?: unknown;
      method: string;
      params: [unknown];
    };
    const [args] = params;
    calls.push({ method, args });
    const handler = methods[method];
    let answer: { result: unknown; error: string | null };
    try {
      if (!handler) throw new Error(`rpc: can't find method ${method}`);
      answer = { result: await handler(args as never), error: null };
    } catch (error) {
      answer = { result: null, error: messageOf(error) };
    }
    response.writeHead(200, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ id, ...answer }));
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise((closed) => {
        server.closeAllConnections();
        server.close(() => closed());
      }),
  };
};
