import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { GitLabRestClient } from "../src/index";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

const serve = async (answer: (request: IncomingMessage, response: ServerResponse) => void) => {
  const server = createServer(answer);
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

const client = (baseUrl: string) =>
  new GitLabRestClient({ baseUrl, token: async () => "glpat-admin-token", maxAttempts: 1 });

describe("GitLabRestClient keeps its token to GitLab", () => {
  it("refuses a redirect instead of following it with the token to another host", async () => {
    const received: (string | undefined)[] = [];
    const elsewhere = await serve((request, response) => {
      received.push(request.headers["private-token"] as string | undefined);
      response.end("[]");
    });
    const gitlab = await serve((request, response) => {
      response.writeHead(302, { location: `${elsewhere}${request.url}` }).end();
    });

    await expect(client(gitlab).getJob(5, 7)).rejects.toThrow(
      /answered 302 redirecting to http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/5\/jobs\/7: redirects are not followed/,
    );
    expect(received).toEqual([]);
  });

  it.each(["http://gitlab.example.com", "http://10.0.0.5:8080", "ftp://gitlab.example.com"])(
    "refuses %s: the token would travel in clear text",
    (baseUrl) => {
      expect(() => client(baseUrl)).toThrow(/must use https:\/\//);
    },
  );

  it.each(["https://gitlab.example.com", "http://127.0.0.1:8080", "http://localhost:3000"])(
    "accepts %s",
    (baseUrl) => {
      expect(() => client(baseUrl)).not.toThrow();
    },
  );
});
