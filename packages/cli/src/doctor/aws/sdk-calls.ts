/** The code an AWS SDK exception carries as its name (EC2's Code, SSM's ParameterNotFound, ...). */
export const errorCode = (error: unknown): string | undefined =>
  (error as { name?: string } | undefined)?.name;

/** The HTTP status of a failed call: all there is to go by when the answer has no body (S3 HEAD). */
export const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** What `read` answers, or undefined when it fails with one of `codes` (no such thing, say). */
export const undefinedOn = async <T>(
  codes: readonly string[],
  read: () => Promise<T>,
): Promise<T | undefined> => {
  try {
    return await read();
  } catch (error) {
    if (codes.includes(errorCode(error) ?? "")) return undefined;
    throw error;
  }
};

/** Every item of every page a paginator yields. */
export const collectPages = async <Page, Item>(
  pages: AsyncIterable<Page>,
  items: (page: Page) => readonly Item[] | undefined,
): Promise<Item[]> => {
  const all: Item[] = [];
  for await (const page of pages) all.push(...(items(page) ?? []));
  return all;
};
