import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/** 127.0.0.0/8 and ::1, also written as IPv4-mapped IPv6. */
export const isLoopbackAddress = (address: string | undefined): boolean =>
  address === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address ?? "");

/** The Host values that name the stack on this machine: a loopback name and the port it answers on. */
const loopbackHosts = (port: number | undefined): string[] => [
  ...LOOPBACK_NAMES.map((name) => `${name}:${port}`),
  // A client omits the default port.
  ...(port === 80 ? LOOPBACK_NAMES : []),
];

/**
 * Why this request may not act on the stack (run its functions, learn its store's key), or
 * undefined when it may. It must come from this machine (the socket's address: a header can say
 * anything); name the stack by a loopback address and its port (a DNS-rebinding page sends its own
 * host name); and come from no web page of another origin (a browser always sends that Origin).
 */
export const refusalOutsideThisMachine = (request: IncomingMessage): string | undefined => {
  const { remoteAddress, localPort } = request.socket;
  if (!isLoopbackAddress(remoteAddress))
    return `only a caller on this machine may use this route, not ${remoteAddress ?? "an unknown address"}`;
  const host = request.headers.host?.toLowerCase();
  const hosts = loopbackHosts(localPort);
  if (!host || !hosts.includes(host))
    return `Host ${JSON.stringify(request.headers.host ?? "")} is not this stack's address (one of ${hosts.join(", ")})`;
  const { origin } = request.headers;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`)
    return `a request from ${JSON.stringify(origin)} may not use this route (only http://${host} or no Origin)`;
  return undefined;
};
