import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { CodedError, ErrorCode } from "../errors.js";
import { isPrivateAddress } from "../policy/privateAddress.js";

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net.connect that refuses private addresses. It runs on the address the
 * socket will actually connect to, so a hostname that resolves to 127.0.0.1 (or is
 * rebound to it between two lookups) is refused too.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const list = addresses as LookupAddress[];
    const refused = list.find((a) => isPrivateAddress(a.address));
    if (refused) return callback(privateAddressError(hostname, refused.address), []);
    if (options.all) return callback(null, list);
    const first = list[0];
    if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), []);
    callback(null, first.address, first.family);
  });
}

export function privateAddressError(host: string, address: string): CodedError {
  return new CodedError(
    ErrorCode.PRIVATE_ADDRESS_BLOCKED,
    `${host} resolves to ${address}, a loopback, private or link-local address; requests there are refused. If you run a local service on purpose, set hosts.allowPrivate to true in the config.`,
    { host, address },
  );
}
