import { ApprovalLinks, type ApprovalLink } from "../policy/approvalLinks.js";
import { isPrivateAddress } from "../policy/privateAddress.js";
import type { ApprovalServer } from "./approvalServer.js";

/**
 * The approval links of one process and the page that answers them, on 127.0.0.1 at a free
 * port, started the first time a link is given out (a server whose payments never need
 * approval opens no port). Shared by every MCP session of the process.
 */
export class ApprovalDesk {
  readonly links: ApprovalLinks;
  private server: Promise<ApprovalServer> | undefined;
  private port: number | null = null;

  constructor(linkSeconds: number) {
    this.links = new ApprovalLinks(linkSeconds * 1000);
  }

  /** The page's address for this link (it carries the link's secret token). */
  async urlFor(link: ApprovalLink): Promise<string> {
    const server = await this.start();
    return `${server.origin}/approve?token=${link.token}`;
  }

  /**
   * Whether a connection to this address and port reaches the approval page. The HTTP
   * client asks it of every socket it opens: the agent's requests never reach the page,
   * whatever name or address they use for it.
   */
  isApprovalPage(address: string, port: number): boolean {
    return this.port !== null && port === this.port && isPrivateAddress(address);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await (await server?.catch(() => undefined))?.close();
  }

  private start(): Promise<ApprovalServer> {
    this.server ??= import("./approvalServer.js")
      .then(({ startApprovalServer }) => startApprovalServer(this.links))
      .then((server) => {
        this.port = server.port;
        return server;
      });
    // A failed start is tried again by the next link, not remembered.
    this.server.catch(() => (this.server = undefined));
    return this.server;
  }
}
