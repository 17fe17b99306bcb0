import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigurationError } from "@ger/core";

/** Base32's alphabet: 20 of its letters carry 100 random bits and fit any file name. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const KEY_LENGTH = 20;
const KEY_PATTERN = /^[A-Z2-7]{20}$/;

/** The file in DYNAMODB_DATA_DIR that keeps the key, so that a restart finds its data. */
export const STORE_KEY_FILE = "access-key-id";

export const randomAccessKeyId = (): string =>
  // 256 is a multiple of 32: every letter is equally likely.
  Array.from(randomBytes(KEY_LENGTH), (byte) => ALPHABET[byte % ALPHABET.length]).join("");

const openToOthers = (mode: number) => (mode & 0o077) !== 0;
const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, "0");

/** DynamoDB Local names its files after the key (`<key>_<region>.db`): others must not list them. */
const ensurePrivateDirectory = async (dataDir: string) => {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { mode } = await stat(dataDir);
  if (openToOthers(mode))
    throw new ConfigurationError(
      `DYNAMODB_DATA_DIR ${dataDir} is open to other users (mode ${octal(mode)}), and the names of DynamoDB Local's files in it carry the local store's access key: chmod 700 ${dataDir}`,
    );
};

const readKeyFile = async (file: string): Promise<string> => {
  const stats = await lstat(file);
  if (!stats.isFile())
    throw new ConfigurationError(`${file} must be a regular file holding the local store's key`);
  if (openToOthers(stats.mode))
    throw new ConfigurationError(
      `${file} holds the local store's access key but is open to other users (mode ${octal(stats.mode)}): chmod 600 ${file}`,
    );
  const key = (await readFile(file, "utf8")).trim();
  if (!KEY_PATTERN.test(key))
    throw new ConfigurationError(
      `${file} holds no access key the local stack wrote; remove it to start on an empty store`,
    );
  return key;
};

/**
 * The access key id of the local stack's database in DynamoDB Local, which keeps one database per
 * key and shows it to no other: a random one per start, or with a data directory the one kept
 * there (created 0600) so that a restart finds its data again.
 */
export const storeAccessKeyId = async (dataDir?: string): Promise<string> => {
  if (!dataDir) return randomAccessKeyId();
  await ensurePrivateDirectory(dataDir);
  const file = join(dataDir, STORE_KEY_FILE);
  const key = randomAccessKeyId();
  try {
    // "wx" creates the file or fails: an existing one (or a link planted there) is never written.
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: "wx" });
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readKeyFile(file);
};
