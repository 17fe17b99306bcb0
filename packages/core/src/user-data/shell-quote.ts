/** Shell-quotes one value for bash (single quotes, embedded ones closed and escaped). */
export const shellQuote = (value: string): string => `'${value.replaceAll("'", `'"'"'`)}'`;
