import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApprovalQuestion, PaymentCall } from "./approval.js";

/** Whose payment, to whom, for what, exactly: a link approves this and nothing else. */
export interface PaymentBinding extends PaymentCall {
  /** The agent (HTTP mode) whose call asked; null on stdio. */
  agent: string | null;
  question: ApprovalQuestion;
}

export type LinkState = "pending" | "approved" | "declined";

export interface ApprovalLink {
  /** Public id (an elicitationId); it grants nothing. */
  readonly id: string;
  /** The secret the link carries (256 bits); whoever holds it can see the page. */
  readonly token: string;
  /** The page's anti-CSRF secret: only a page served with it can answer. */
  readonly csrf: string;
  readonly binding: PaymentBinding;
  readonly expiresAt: Date;
  state: LinkState;
  /** Resolves once the person answers on the page. */
  readonly decided: Promise<"approved" | "declined">;
}

/** What a retry of a payment finds. */
export type PriorApproval =
  | { kind: "approved" }
  | { kind: "declined" }
  | { kind: "expired" }
  | { kind: "pending"; link: ApprovalLink }
  | { kind: "none" };

/** More live links than this and the oldest goes: an agent looping over URLs cannot grow memory without bound. */
const MAX_LINKS = 64;

interface Entry {
  link: ApprovalLink;
  /** Set for a link a retry redeems; a link a waiting call watches (URL elicitation) has none. */
  key: string | null;
  decide: (state: "approved" | "declined") => void;
}

/**
 * One-time approval links, in memory: each bound to one payment (agent, method, URL, body,
 * token, amount, payee, network) and to a lifetime. An approval is consumed by the first
 * payment that matches it, so two parallel retries cannot both pay on one "yes".
 */
export class ApprovalLinks {
  private readonly byToken = new Map<string, Entry>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A link for this payment. `redeemable`: an approval on it waits for the retry of the same
   * call (`take`); otherwise the caller waits for `decided` itself.
   */
  open(binding: PaymentBinding, redeemable: boolean): ApprovalLink {
    this.sweep();
    let resolve!: (state: "approved" | "declined") => void;
    const decided = new Promise<"approved" | "declined">((r) => (resolve = r));
    const link: ApprovalLink = {
      id: randomBytes(16).toString("base64url"),
      token: randomBytes(32).toString("base64url"),
      csrf: randomBytes(32).toString("base64url"),
      binding,
      expiresAt: new Date(this.now() + this.lifetimeMs),
      state: "pending",
      decided,
    };
    this.byToken.set(tokenKey(link.token), { link, key: redeemable ? bindingKey(binding) : null, decide: resolve });
    while (this.byToken.size > MAX_LINKS) this.byToken.delete(this.byToken.keys().next().value!);
    return link;
  }

  /**
   * What the person said about exactly this payment, for its retry. An approval or a refusal
   * is used up here: the next call of the same payment asks again.
   */
  take(binding: PaymentBinding): PriorApproval {
    const key = bindingKey(binding);
    for (const [digested, entry] of this.byToken) {
      if (entry.key !== key) continue;
      if (entry.link.state === "pending" && !this.expired(entry.link)) return { kind: "pending", link: entry.link };
      this.byToken.delete(digested);
      if (this.expired(entry.link)) return { kind: "expired" };
      return { kind: entry.link.state === "approved" ? "approved" : "declined" };
    }
    return { kind: "none" };
  }

  /** The link this token opens, expired or not; undefined for a token never issued (or forgotten). */
  find(token: string): ApprovalLink | undefined {
    return this.byToken.get(tokenKey(token))?.link;
  }

  /** The person's answer on the page: only once, only before expiry, only with the page's CSRF token. */
  decide(link: ApprovalLink, csrf: string, decision: "approved" | "declined"): "ok" | "expired" | "decided" | "forbidden" {
    const entry = this.byToken.get(tokenKey(link.token));
    if (!entry || entry.link !== link) return "expired";
    if (!timingSafeEqual(digest(csrf), digest(link.csrf))) return "forbidden";
    if (link.state !== "pending") return "decided";
    if (this.expired(link)) return "expired";
    link.state = decision;
    entry.decide(decision);
    return "ok";
  }

  /** Forgets a link (its waiting call ended): the page then answers that it expired. */
  drop(link: ApprovalLink): void {
    this.byToken.delete(tokenKey(link.token));
  }

  expired(link: ApprovalLink): boolean {
    return this.now() >= link.expiresAt.getTime();
  }

  /** Links dead for a whole lifetime are forgotten; a recently expired one still answers its retry with "expired". */
  private sweep(): void {
    for (const [digested, entry] of this.byToken) {
      if (this.now() >= entry.link.expiresAt.getTime() + this.lifetimeMs) this.byToken.delete(digested);
    }
  }
}

function bindingKey({ agent, method, body, question }: PaymentBinding): string {
  const bodyDigest = body === undefined ? null : digest(body).toString("base64");
  return JSON.stringify([agent, method, question.url, bodyDigest, question.networkId, question.asset.toLowerCase(), question.amount, question.payTo.toLowerCase()]);
}

/** Links are found by the token's digest, so a lookup's timing says nothing about the token. */
function tokenKey(token: string): string {
  return digest(token).toString("hex");
}

/** Equal-length digests, so comparing secrets takes the same time whatever was sent. */
function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
