/**
 * A minimal MCP Apps host, bundled for the browser: ext-apps' own host side (AppBridge and its
 * PostMessageTransport) with the MCP client SDK's Client, whose messages the test relays to
 * the real server over stdio (window.__toServer / window.__fromServer). It renders a tool's UI
 * resource in a sandboxed iframe, as a chat host does.
 */
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";

// The test tsconfig leaves out the DOM library (it clashes with linkedom's types in src/):
// the few browser globals this page uses, typed as it uses them.
interface IFrame {
  setAttribute(name: string, value: string): void;
  style: { cssText: string; height: string };
  contentWindow: unknown;
  srcdoc: string;
}
declare const window: { __toServer(json: string): Promise<void>; __fromServer?: (json: string) => void; host: AppHost };
declare const document: { createElement(tag: "iframe"): IFrame; getElementById(id: string): { append(node: IFrame): void } };

class RelayTransport implements Transport {
  onmessage?: (message: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  async start(): Promise<void> {
    window.__fromServer = (json) => this.onmessage?.(JSON.parse(json) as JSONRPCMessage);
  }
  async send(message: JSONRPCMessage): Promise<void> {
    await window.__toServer(JSON.stringify(message));
  }
  async close(): Promise<void> {
    this.onclose?.();
  }
}

const client = new Client({ name: "ext-apps-test-host", version: "1.0.0" });
let bridge: AppBridge | undefined;
const opened: string[] = [];

const host = {
  opened,
  connect: () => client.connect(new RelayTransport()),
  tools: async () => (await client.listTools()).tools.map((t) => ({ name: t.name, meta: t._meta })),
  call: async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
  /** Calls `toolName` and shows its UI resource with the result, as a host does; returns what the server declared. */
  async show(toolName: string, theme: "light" | "dark") {
    const tool = (await client.listTools()).tools.find((t) => t.name === toolName);
    const uri = (tool?._meta?.ui as { resourceUri?: string } | undefined)?.resourceUri;
    if (!uri) throw new Error(`${toolName} declares no UI resource`);
    const resource = (await client.readResource({ uri })).contents[0]!;
    const result = await host.call(toolName);
    const iframe = document.createElement("iframe");
    iframe.setAttribute("sandbox", "allow-scripts");
    iframe.style.cssText = "width: 100%; border: 0; display: block; height: 200px;";
    document.getElementById("chat").append(iframe);
    bridge = new AppBridge(client, { name: "ext-apps-test-host", version: "1.0.0" }, { openLinks: {}, serverTools: {}, logging: {} }, { hostContext: { theme } });
    bridge.oninitialized = () => {
      void bridge!.sendToolInput({ arguments: {} });
      void bridge!.sendToolResult(result);
    };
    bridge.onsizechange = ({ height }) => {
      if (height) iframe.style.height = `${height}px`;
    };
    bridge.onopenlink = async ({ url }) => {
      opened.push(url);
      return {};
    };
    await bridge.connect(new PostMessageTransport(iframe.contentWindow as never, iframe.contentWindow as never));
    iframe.srcdoc = (resource as { text: string }).text;
    return { uri, mimeType: resource.mimeType, text: (result.content[0] as { text: string }).text };
  },
  setTheme: (theme: "light" | "dark") => bridge?.setHostContext({ theme }),
};
export type AppHost = typeof host;
window.host = host;
