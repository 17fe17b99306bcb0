import type { Reply } from "./reply";

/** GitLab counts a listing's pages only up to this many results. */
const COUNTED_RESULTS = 10_000;

/** One page of a listing, with GitLab's paging headers. */
export const paged = <T>(
  items: readonly T[],
  query: URLSearchParams,
  render: (item: T) => unknown,
): Reply => {
  const perPage = Math.min(100, Number(query.get("per_page") ?? 20));
  const page = Number(query.get("page") ?? 1);
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  return {
    status: 200,
    headers: {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-next-page": page < totalPages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
      ...(items.length <= COUNTED_RESULTS && {
        "x-total": String(items.length),
        "x-total-pages": String(totalPages),
      }),
    },
    body: items.slice((page - 1) * perPage, page * perPage).map(render),
  };
};
