import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { hostHeaderValidation } from "@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import express, { type NextFunction, type Request, type Response } from "express";
import { CodedError, ErrorCode } from "../errors.js";
import { sessionRuntime, type AgentConfig, type Runtime } from "../runtime.js";
import { agentTokenVerifier } from "./agentAuth.js";
import { startBackgroundReconcile } from "../reconcile/backgroundReconcile.js";
import { createServer } from "./createServer.js";

export interface HttpListen {
  host: string;
  port: number;
}

export interface HttpServerHandle {
  /** The MCP endpoint, e.g. `http://127.0.0.1:8402/mcp`. */
  url: string;
  close(): Promise<void>;
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  /** The agent that opened it; no other agent may use it. */
  agent: string | null;
  lastSeen: number;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);
const MAX_BODY = "2mb";

/**
 * Streamable HTTP (stateful sessions). Each MCP session gets its own server and session
 * budget; agents authenticate with bearer tokens, and an agent only ever reaches its own
 * sessions. Host and Origin are checked before anything else (DNS-rebinding protection).
 */
export async function serveHttp(rt: Runtime, listen: HttpListen): Promise<HttpServerHandle> {
  const agents = rt.config.agents;
  if (!LOOPBACK.has(listen.host) && agents.length === 0) {
    throw new CodedError(
      ErrorCode.CONFIG_INVALID,
      `Refusing to listen on ${listen.host}: a non-loopback address needs at least one entry in "agents" (add one with: x402-wallet-mcp agent add NAME), or listen on 127.0.0.1.`,
    );
  }
  const allowedHosts = [...new Set(["127.0.0.1", "localhost", "[::1]", ...(LOOPBACK.has(listen.host) || isWildcard(listen.host) ? [] : [listen.host]), ...rt.config.http.allowedHosts])];
  const sessions = new Map<string, Session>();

  const app = express();
  app.disable("x-powered-by");
  app.use(hostHeaderValidation(allowedHosts));
  app.use(originValidation(allowedHosts));
  app.get("/healthz", (_req, res) => void res.json({ status: "ok" }));
  const auth = agents.length > 0 ? [requireBearerAuth({ verifier: agentTokenVerifier(agents) })] : [];
  app.use("/mcp", ...auth, express.json({ limit: MAX_BODY }));

  const agentOf = (req: Request): AgentConfig | null => agents.find((a) => a.name === req.auth?.clientId) ?? null;

  app.post("/mcp", async (req, res) => {
    const existing = sessionFor(req, res);
    if (existing === undefined) return;
    if (existing) return existing.transport.handleRequest(req, res, req.body);
    const requestId = (req.body as { id?: string | number } | undefined)?.id ?? null;
    if (!isInitializeRequest(req.body)) {
      return void res.status(400).json(rpcError(-32000, "No session: send initialize first, or the Mcp-Session-Id header of a session of yours"));
    }
    const agent = agentOf(req);
    const refusal = sessionLimitRefusal(agent?.name ?? null);
    if (refusal) {
      rt.logger.log("warning", refusal.log);
      return void res.status(refusal.status).json(rpcError(-32000, refusal.message, requestId));
    }
    const id = randomUUID();
    const server = createServer(sessionRuntime(rt, agent));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
    // The slot is taken before the first await, so a burst of initialize requests cannot overshoot the limits.
    sessions.set(id, { transport, server, agent: agent?.name ?? null, lastSeen: Date.now() });
    transport.onclose = () => void sessions.delete(id);
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } finally {
      // The transport refused the initialize (a bad header or body): no session started, and closing frees its slot.
      if (transport.sessionId === undefined) void server.close().catch(() => undefined);
    }
  });
  const forExisting = async (req: Request, res: Response) => {
    const session = sessionFor(req, res);
    if (session === undefined) return;
    if (!session) return void res.status(400).json(rpcError(-32000, "Missing Mcp-Session-Id header"));
    await session.transport.handleRequest(req, res);
  };
  app.get("/mcp", forExisting);
  app.delete("/mcp", forExisting);

  /** The caller's session, null when none was named, undefined when refused (already answered). */
  function sessionFor(req: Request, res: Response): Session | null | undefined {
    const id = req.headers["mcp-session-id"];
    if (id === undefined) return null;
    const session = typeof id === "string" ? sessions.get(id) : undefined;
    // Another agent's session answers exactly like an unknown one: its existence is not revealed.
    if (!session || session.agent !== (req.auth?.clientId ?? null)) {
      res.status(404).json(rpcError(-32001, "Session not found"));
      return undefined;
    }
    session.lastSeen = Date.now();
    return session;
  }

  /**
   * Each session holds a server in memory until it ends or goes idle, so their number is
   * bounded: an agent's own limit first (it names what that agent can do), then the server's.
   */
  function sessionLimitRefusal(agent: string | null): { status: number; message: string; log: string } | null {
    const { maxSessions, maxSessionsPerAgent, sessionIdleSeconds } = rt.config.http;
    const advice =
      "Reuse a session you hold (send its Mcp-Session-Id), or end the ones you are done with (HTTP DELETE with their Mcp-Session-Id); " +
      `an unused session closes by itself after ${sessionIdleSeconds} s (http.sessionIdleSeconds).`;
    const held = agent === null ? 0 : [...sessions.values()].filter((s) => s.agent === agent).length;
    if (agent !== null && held >= maxSessionsPerAgent) {
      return {
        status: 429,
        message: `Agent "${agent}" already holds ${held} open sessions, the most http.maxSessionsPerAgent allows, so no new session was started. ${advice} The owner can raise http.maxSessionsPerAgent in the config.`,
        log: `refused a new HTTP session for agent "${agent}": it holds ${held} (http.maxSessionsPerAgent)`,
      };
    }
    if (sessions.size >= maxSessions) {
      return {
        status: 503,
        message: `This server already holds ${sessions.size} open sessions, the most http.maxSessions allows, so no new session was started. ${advice} The owner can raise http.maxSessions in the config.`,
        log: `refused a new HTTP session${agent === null ? "" : ` for agent "${agent}"`}: the server holds ${sessions.size} (http.maxSessions)`,
      };
    }
    return null;
  }

  const idleMs = rt.config.http.sessionIdleSeconds * 1000;
  const sweeper = setInterval(() => {
    const cutoff = Date.now() - idleMs;
    for (const [id, session] of sessions) {
      if (session.lastSeen < cutoff) {
        sessions.delete(id);
        // Closing frees the session's state; what it spent stays in the store.
        void session.server.close().catch(() => undefined);
      }
    }
  }, Math.min(60_000, Math.max(1_000, idleMs / 2)));
  sweeper.unref();

  const httpServer: Server = await new Promise((resolve, reject) => {
    const server = app.listen(listen.port, listen.host, () => resolve(server)).on("error", reject);
  });
  // A slow or abusive client cannot hold a connection open while sending its request.
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 30_000;
  const address = httpServer.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const stopReconcile = startBackgroundReconcile(rt);
  rt.logger.log("info", `serving MCP over Streamable HTTP at http://${host}:${address.port}/mcp (${agents.length} agent(s))`);
  return {
    url: `http://${host}:${address.port}/mcp`,
    async close() {
      clearInterval(sweeper);
      await stopReconcile();
      await Promise.all([...sessions.values()].map((s) => s.server.close().catch(() => undefined)));
      sessions.clear();
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      httpServer.closeAllConnections();
      await closed;
    },
  };
}

/** Browsers send Origin: a page on another site must not drive this server. */
function originValidation(allowedHosts: string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    let hostname: string | undefined;
    try {
      hostname = new URL(origin).hostname;
    } catch {
      hostname = undefined;
    }
    if (hostname && (allowedHosts.includes(hostname) || allowedHosts.includes(`[${hostname}]`))) return next();
    res.status(403).json(rpcError(-32000, `Origin not allowed: ${origin}`));
  };
}

function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::";
}

function rpcError(code: number, message: string, id: string | number | null = null) {
  return { jsonrpc: "2.0", error: { code, message }, id };
}
