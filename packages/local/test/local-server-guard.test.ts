import { once } from "node:events";
import { request as httpRequest, type OutgoingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { invokeReaper } from "../../cli/src/commands/reap";
import { isLoopbackAddress } from "../src/loopback-guard";
import { createLocalServer, MAX_INVOKE_BODY_BYTES } from "../src/server";

const STORE_KEY = "ABCDEFGHIJKLMNOPQRST";
const REAPER_REPORT = { reap: { skipped: false, retired: {} }, actions: [] };

let server: Server;
let port: number;
/** The events the reaper was invoked with. */
let reaperEvents: unknown[];
beforeAll(async () => {
  server = createLocalServer({
    webhook: async () => ({ statusCode: 200, body: "" }),
    health: () => ({ tableName: "guarded", dynamodbAccessKeyId: STORE_KEY }),
    functions: () => ({
      reaper: async (event) => {
        reaperEvents.push(event);
        return REAPER_REPORT;
      },
    }),
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  reaperEvents = [];
});

/** A request with exactly these headers (Node's fetch sets Host itself and sends no Origin). */
const send = (
  method: string,
  path: string,
  headers: OutgoingHttpHeaders,
  body?: string,
): Promise<{ status: number; body: Record<string, unknown> }> =>
  new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, method, path, headers }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });

const JSON_TYPE = { "content-type": "application/json" };

describe("the local stack's invoke route", () => {
  it("runs the reaper for the CLI's own request (npm run cli -- reap --dry-run)", async () => {
    const report = await invokeReaper({ dryRun: true }, { PORT: String(port) });

    expect(report).toEqual(REAPER_REPORT);
    expect(reaperEvents).toEqual([{ dryRun: true }]);
  });

  it("accepts a same-origin request", async () => {
    const answer = await send(
      "POST",
      "/-/invoke/reaper",
      { ...JSON_TYPE, origin: `http://localhost:${port}`, host: `localhost:${port}` },
      "{}",
    );

    expect(answer.status).toBe(200);
  });

  it("refuses a cross-site text/plain POST, which any web page can send unasked", async () => {
    const answer = await send(
      "POST",
      "/-/invoke/reaper",
      { "content-type": "text/plain", origin: "https://evil.example" },
      '{"dryRun":false}',
    );

    expect(answer).toMatchObject({ status: 403, body: { error: "forbidden" } });
    expect(answer.body.message).toContain("https://evil.example");
    expect(reaperEvents).toEqual([]);
  });

  it("refuses a request that names another host (a DNS-rebinding page)", async () => {
    const answer = await send(
      "POST",
      "/-/invoke/reaper",
      { ...JSON_TYPE, host: `rebind.evil.example:${port}` },
      "{}",
    );

    expect(answer).toMatchObject({ status: 403, body: { error: "forbidden" } });
    expect(answer.body.message).toContain("rebind.evil.example");
    expect(reaperEvents).toEqual([]);
  });

  it("refuses a loopback name with another port (another local server's page)", async () => {
    const answer = await send("POST", "/-/invoke/reaper", { ...JSON_TYPE, host: "127.0.0.1:1" });

    expect(answer.status).toBe(403);
  });

  it("answers 415 to a body that does not say it is JSON", async () => {
    const answer = await send("POST", "/-/invoke/reaper", {}, '{"dryRun":true}');

    expect(answer).toMatchObject({ status: 415, body: { error: "unsupported_media_type" } });
    expect(reaperEvents).toEqual([]);
  });

  it("answers 413 to a body over 64 KiB, unread", async () => {
    const body = JSON.stringify({ padding: "x".repeat(MAX_INVOKE_BODY_BYTES) });

    const answer = await send("POST", "/-/invoke/reaper", JSON_TYPE, body);

    expect(answer).toMatchObject({ status: 413, body: { error: "payload_too_large" } });
    expect(reaperEvents).toEqual([]);
  });

  it("answers 400 to a body that is not JSON, and 404 to a name that is no function", async () => {
    const invalid = await send("POST", "/-/invoke/reaper", JSON_TYPE, "{dryRun");
    const inherited = await send("POST", "/-/invoke/constructor", JSON_TYPE, "{}");

    expect(invalid).toMatchObject({ status: 400, body: { error: "invalid_json" } });
    expect(inherited).toMatchObject({ status: 404, body: { error: "not_found" } });
  });
});

describe("the local stack's /healthz (it carries the store's key)", () => {
  it("tells the key to a caller on this machine", async () => {
    const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).json();

    expect(health).toEqual({ status: "ok", tableName: "guarded", dynamodbAccessKeyId: STORE_KEY });
  });

  it("refuses a request that names another host (a DNS-rebinding page)", async () => {
    const answer = await send("GET", "/healthz", { host: `rebind.evil.example:${port}` });

    expect(answer).toMatchObject({ status: 403, body: { error: "forbidden" } });
    expect(JSON.stringify(answer.body)).not.toContain(STORE_KEY);
  });
});

describe("isLoopbackAddress (the socket's peer, which no header can change)", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.8.9.10", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["10.0.0.7", false],
    ["::ffff:192.168.1.20", false],
    ["fe80::1", false],
    [undefined, false],
  ])("%s → %s", (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});
