/** One way to pay, as a v1 or v2 server offered it, mapped into one internal shape. */
export interface PaymentOption {
  x402Version: 1 | 2;
  scheme: string;
  /** CAIP-2 (`eip155:84532`), even when a v1 server wrote `base-sepolia`. */
  network: string;
  /** The network exactly as the server wrote it; v1 signing needs the v1 name. */
  wireNetwork: string;
  amount: bigint;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
  /** The resource the payment is for, as the server named it. */
  resource: string | undefined;
  description: string | undefined;
  /** The requirement object as received: v2 payments echo it back as `accepted`. */
  wire: Record<string, unknown>;
}

/** A 402 answer after parsing: the valid options, and why the others were dropped. */
export interface PaymentRequired {
  x402Version: 1 | 2;
  /** The server's own explanation (`error`), e.g. why a payment was not accepted. */
  error: string | undefined;
  resource: { url: string; description?: string | undefined; mimeType?: string | undefined } | undefined;
  extensions: Record<string, unknown> | undefined;
  options: PaymentOption[];
  malformed: { index: number; reason: string }[];
}
