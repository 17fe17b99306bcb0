import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GitLabRestClient, TokenBucket } from "../src/index";

/**
 * GitLab's offset pagination, as its REST API answers: x-page, x-per-page, x-next-page and
 * x-prev-page (empty at the ends), x-total and x-total-pages (omitted above 10,000 results, with
 * the Link header's rel="last"), and Link. Pending jobs are listed newest first.
 */
let server: Server;
let baseUrl: string;
let pendingJobIds: number[];
let runnerIds: number[];
/** Set to act like GitLab above 10,000 results: no totals, no rel="last". */
let uncounted: boolean;
/** Runs after each answer: lets a test change GitLab while a listing is read. */
let afterAnswer: () => void;
const requested: URL[] = [];

const listingFor = (path: string): unknown[] | undefined => {
  if (path === "/api/v4/projects/5/jobs")
    return [...pendingJobIds]
      .sort((a, b) => b - a)
      .map((id) => ({ id, status: "pending", tag_list: ["linux"] }));
  if (path === "/api/v4/groups/42/runners")
    return runnerIds.map((id) => ({ id, description: `runner-${id}`, status: "online" }));
  return undefined;
};

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", baseUrl);
    requested.push(url);
    const listing = listingFor(url.pathname);
    if (!listing) {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ message: "404 Not Found" }));
      return;
    }
    const page = Number(url.searchParams.get("page") ?? 1);
    const perPage = Number(url.searchParams.get("per_page") ?? 20);
    const totalPages = Math.max(1, Math.ceil(listing.length / perPage));
    const pageLink = (target: number, rel: string) => {
      const link = new URL(url);
      link.searchParams.set("page", String(target));
      return `<${link}>; rel="${rel}"`;
    };
    const links = [
      page > 1 && pageLink(page - 1, "prev"),
      page < totalPages && pageLink(page + 1, "next"),
      pageLink(1, "first"),
      !uncounted && pageLink(totalPages, "last"),
    ].filter(Boolean);
    response.writeHead(200, {
      "content-type": "application/json",
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
      ...(!uncounted && { "x-total": String(listing.length), "x-total-pages": String(totalPages) }),
      link: links.join(", "),
    });
    response.end(JSON.stringify(listing.slice((page - 1) * perPage, page * perPage)));
    afterAnswer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  pendingJobIds = [];
  runnerIds = [];
  uncounted = false;
  afterAnswer = () => {};
  requested.length = 0;
});

const client = () =>
  new GitLabRestClient({
    baseUrl,
    token: async () => "glpat-test",
    // Never waits, never reads the real clock.
    budget: new TokenBucket(1, 1_000, () => 0),
  });
const pagesRead = () => requested.map((url) => Number(url.searchParams.get("page")));
const ids = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => from + index);

describe("GitLabRestClient.listPendingJobs, through GitLab's pages (newest first)", () => {
  it("reads the last pages first and returns the oldest jobs, oldest first", async () => {
    pendingJobIds = ids(1, 45); // pages of 10: 45..36, 35..26, 25..16, 15..6, 5..1

    const jobs = await client().listPendingJobs(5, 12, { perPage: 10 });

    expect(jobs.map((job) => job.id)).toEqual(ids(1, 12));
    expect(jobs[0]).toEqual({ id: 1, projectId: 5, status: "pending", tagList: ["linux"] });
    expect(pagesRead()).toEqual([1, 5, 4]);
    expect(requested[0]?.searchParams.getAll("scope[]")).toEqual(["pending"]);
    expect(requested[0]?.searchParams.get("per_page")).toBe("10");
  });

  it("reads one page of 100 when every pending job fits on it", async () => {
    pendingJobIds = ids(1, 3);

    const jobs = await client().listPendingJobs(5, 100);

    expect(jobs.map((job) => job.id)).toEqual([1, 2, 3]);
    expect(requested.map((url) => url.searchParams.get("per_page"))).toEqual(["100"]);
  });

  it("returns fewer than the limit only when that is every pending job", async () => {
    pendingJobIds = ids(1, 25);

    const jobs = await client().listPendingJobs(5, 30, { perPage: 10 });

    expect(jobs.map((job) => job.id)).toEqual(ids(1, 25));
    expect(pagesRead()).toEqual([1, 3, 2]);
  });

  it("follows x-next-page when GitLab does not count the jobs, up to maxPages", async () => {
    pendingJobIds = ids(1, 45);
    uncounted = true;

    const bounded = await client().listPendingJobs(5, 5, { perPage: 10, maxPages: 3 });
    const boundedPages = pagesRead();
    requested.length = 0;
    const whole = await client().listPendingJobs(5, 5, { perPage: 10, maxPages: 10 });

    expect(bounded.map((job) => job.id)).toEqual(ids(16, 20));
    expect(boundedPages).toEqual([1, 2, 3]);
    expect(whole.map((job) => job.id)).toEqual(ids(1, 5));
    expect(pagesRead()).toEqual([1, 2, 3, 4, 5]);
  });

  it("reads as many pages as the limit needs even with a smaller maxPages", async () => {
    pendingJobIds = ids(1, 45);
    uncounted = true;

    const jobs = await client().listPendingJobs(5, 25, { perPage: 10, maxPages: 1 });

    expect(jobs.map((job) => job.id)).toEqual(ids(1, 25));
  });

  it("lists a job once when new jobs push it onto the next page while reading", async () => {
    pendingJobIds = ids(1, 12);
    afterAnswer = () => {
      pendingJobIds.push(13, 14);
      afterAnswer = () => {};
    };

    const jobs = await client().listPendingJobs(5, 20, { perPage: 10 });

    expect(jobs.map((job) => job.id)).toEqual(ids(1, 12));
  });
});

describe("GitLabRestClient.listRunners, through GitLab's pages", () => {
  it("follows x-next-page and stops where GitLab says the listing ends", async () => {
    runnerIds = ids(1, 200);

    const runners = await client().listRunners({ runnerType: "group_type", groupId: 42 });

    expect(runners.map((runner) => runner.id)).toEqual(ids(1, 200));
    expect(pagesRead()).toEqual([1, 2]);
  });
});
