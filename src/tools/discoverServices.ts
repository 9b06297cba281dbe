import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { CodedError, ErrorCode } from "../errors.js";
import { formatDecimal, formatUsd } from "../money.js";
import { selectionPolicy } from "../payment/capsFor.js";
import { assertHostAllowed } from "../policy/hosts.js";
import type { Runtime } from "../runtime.js";
import { parsePaymentRequired } from "../x402/parsePaymentRequired.js";
import { evaluateOptions } from "../x402/select.js";
import { toolError } from "./toolError.js";

const DiscoveryItem = z.looseObject({
  resource: z.string().max(8192).optional(),
  url: z.string().max(8192).optional(),
  type: z.string().max(64).optional(),
  x402Version: z.number().optional(),
  description: z.string().max(8192).optional(),
  accepts: z.array(z.unknown()).max(64).default([]),
  lastUpdated: z.union([z.string(), z.number()]).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
const DiscoveryResponse = z.looseObject({
  items: z.array(z.unknown()).max(1000),
  pagination: z.looseObject({ total: z.number().optional() }).optional(),
});

const Service = z.object({
  url: z.string(),
  type: z.string(),
  description: z.string().nullable(),
  x402Version: z.number().nullable(),
  price: z
    .object({ amount: z.string(), symbol: z.string(), usd: z.string(), network: z.string() })
    .nullable()
    .describe("The cheapest option this wallet could pay; null when none is payable here"),
  networks: z.array(z.string()).describe("Every network the service accepts"),
  lastUpdated: z.string().nullable(),
});

export const DiscoverServicesInput = {
  query: z.string().max(200).optional().describe("Words to look for in the service URL, description or tags."),
  limit: z.int().min(1).max(100).default(20).describe("How many services to return (default 20)."),
  offset: z.int().min(0).default(0).describe("Skip this many (for the next page)."),
};

export const DiscoverServicesOutput = { source: z.string(), services: z.array(Service), total: z.number().int().nullable() };

export function registerDiscoverServices(server: McpServer, rt: Runtime): void {
  server.registerTool(
    "discover_services",
    {
      title: "Find paid APIs (x402 Bazaar)",
      description:
        "Search an x402 Bazaar discovery service for paid HTTP APIs: each with its URL, description, price in USD (for options this wallet can pay) and networks. Costs nothing; pay for a service with paid_fetch, after quote_price if unsure.",
      inputSchema: DiscoverServicesInput,
      outputSchema: DiscoverServicesOutput,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async (input, extra) => {
      try {
        const url = new URL(rt.config.discovery.url);
        url.searchParams.set("type", "http");
        url.searchParams.set("limit", String(input.query ? 100 : input.limit));
        url.searchParams.set("offset", String(input.offset));
        assertHostAllowed(url, rt.config.hosts);
        const response = await rt.http.send({ url: url.href, method: "GET", headers: { accept: "application/json" }, body: undefined }, { followRedirects: true, signal: extra.signal });
        const parsed = response.status === 200 ? DiscoveryResponse.safeParse(safeJson(response.body.toString("utf8"))) : undefined;
        if (!parsed?.success) {
          throw new CodedError(
            ErrorCode.HTTP_ERROR,
            `The discovery service at ${url.origin} answered ${response.status === 200 ? "something that is not a discovery listing" : `HTTP ${response.status}`}. Check discovery.url in the config.`,
          );
        }
        const services = parsed.data.items.flatMap((raw) => {
          const item = DiscoveryItem.safeParse(raw);
          return item.success ? [toService(rt, item.data)] : [];
        });
        const matching = (input.query ? services.filter((s) => matches(s, parsed.data.items, input.query!)) : services).slice(0, input.limit);
        const text = matching.length
          ? matching.map((s) => `- ${s.url} — ${s.description ?? "no description"} (${s.price ? `${s.price.usd} USD on ${s.price.network}` : `not payable here; networks ${s.networks.join(", ")}`})`).join("\n")
          : "No services found.";
        return {
          content: [{ type: "text", text }],
          structuredContent: { source: url.origin, services: matching, total: parsed.data.pagination?.total ?? null },
        };
      } catch (error) {
        return toolError(error);
      }
    },
  );
}

type ServiceOut = z.infer<typeof Service>;

function toService(rt: Runtime, item: z.infer<typeof DiscoveryItem>): ServiceOut {
  const url = item.resource ?? item.url ?? "";
  const description = item.description ?? stringOf(item.metadata?.description) ?? firstDescription(item.accepts);
  let price: ServiceOut["price"] = null;
  let networks: string[] = [];
  try {
    const required = parsePaymentRequired({
      url,
      header: () => undefined,
      bodyText: JSON.stringify({ x402Version: item.x402Version === 1 ? 1 : 2, accepts: item.accepts }),
    });
    networks = [...new Set(required.options.map((o) => o.network))];
    const cheapest = evaluateOptions(required, selectionPolicy(rt)).payable[0];
    if (cheapest) {
      price = {
        amount: formatDecimal(cheapest.option.amount, cheapest.asset.decimals),
        symbol: cheapest.asset.symbol,
        usd: formatUsd(cheapest.usdMicros),
        network: cheapest.option.network,
      };
    }
  } catch {
    // A listing whose payment options are unreadable is still worth showing, without a price.
  }
  return {
    url,
    type: item.type ?? "http",
    description: description ?? null,
    x402Version: item.x402Version ?? null,
    price,
    networks,
    lastUpdated: item.lastUpdated === undefined ? null : String(item.lastUpdated),
  };
}

function matches(service: ServiceOut, rawItems: unknown[], query: string): boolean {
  const raw = JSON.stringify(rawItems.find((i) => JSON.stringify(i).includes(service.url)) ?? {});
  const haystack = `${service.url} ${service.description ?? ""} ${raw}`.toLowerCase();
  return query.toLowerCase().split(/\s+/).filter(Boolean).every((word) => haystack.includes(word));
}

function firstDescription(accepts: unknown[]): string | undefined {
  return accepts.map((a) => stringOf((a as { description?: unknown } | null)?.description)).find(Boolean);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() ? value.slice(0, 500) : undefined;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
