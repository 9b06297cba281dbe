import { createHash, timingSafeEqual } from "node:crypto";
import { InvalidTokenError } from "@modelcontextprotocol/sdk/server/auth/errors.js";
import type { OAuthTokenVerifier } from "@modelcontextprotocol/sdk/server/auth/provider.js";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import type { AgentConfig } from "../runtime.js";

/** Agent tokens never expire by themselves; the owner revokes one by removing its entry. */
const NO_EXPIRY_SECONDS = 365 * 24 * 3600;

export function sha256Hex(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Checks a bearer token against the configured agents. Only token hashes are kept, and
 * every agent's hash is compared in constant time, so neither the tokens nor which agent
 * almost matched can be learned from the config or from timing.
 */
export function agentTokenVerifier(agents: readonly AgentConfig[]): OAuthTokenVerifier {
  const hashes = agents.map((agent) => ({ agent, hash: Buffer.from(agent.tokenSha256, "hex") }));
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const presented = Buffer.from(sha256Hex(token), "hex");
      let match: AgentConfig | undefined;
      for (const { agent, hash } of hashes) if (timingSafeEqual(presented, hash) && !match) match = agent;
      if (!match) throw new InvalidTokenError("Unknown token");
      return { token, clientId: match.name, scopes: [], expiresAt: Math.floor(Date.now() / 1000) + NO_EXPIRY_SECONDS };
    },
  };
}
