import { Worker } from "node:worker_threads";
import type { HtmlMarkdown } from "./htmlToMarkdown.js";
import type { ConversionReply, ConversionRequest } from "./htmlWorker.js";

export type HtmlConverterLimits = {
  /** From the call to the answer, waiting behind other pages included, the worker's start-up not. */
  deadlineMs: number;
  maxBytes: number;
  /** Start tags: the DOM, Readability and Turndown work per element. */
  maxElements: number;
};

/**
 * Measured on a 2-core machine: a 1 MB article of 32 000 elements converts in about 3 s, a
 * 20 000-row table in 2 s. Larger pages go to plain text without trying; a page that still
 * runs past the deadline (deep nesting makes Turndown quadratic) is stopped.
 */
export const HTML_LIMITS: HtmlConverterLimits = { deadlineMs: 5_000, maxBytes: 2_000_000, maxElements: 50_000 };

/** "skipped": the page went over a limit, and `reason` says which, for the note above its plain text. */
export type HtmlConversion =
  | { outcome: "converted"; converted: HtmlMarkdown }
  | { outcome: "skipped"; reason: string }
  | { outcome: "failed" };

type Job = ConversionRequest & { timer: NodeJS.Timeout | undefined; resolve(conversion: HtmlConversion): void };

/** The worker's heap: ample for a page within the limits, and an out-of-memory ends the worker, not the server. */
const WORKER_HEAP_MB = 512;
/**
 * How long a worker may take to load its modules. Not part of a page's deadline: on a busy
 * machine the first start can take seconds, and that page should still be converted.
 */
const STARTUP_MS = 30_000;

/**
 * Converts HTML to markdown on one long-lived worker thread, one page at a time, so that a
 * page that takes seconds (or never ends) cannot stall the server's event loop: every other
 * call, /healthz and the ledger lock's refresh keep running. The worker starts on the first
 * page. A page past its deadline has its worker terminated; the next page starts a new one.
 */
export class HtmlConverter {
  readonly #limits: HtmlConverterLimits;
  readonly #queue: Job[] = [];
  #worker: Worker | undefined;
  /** The worker has loaded its modules; until then no deadline runs. */
  #ready = false;
  #running: Job | undefined;
  #nextId = 1;

  constructor(limits: HtmlConverterLimits = HTML_LIMITS) {
    this.#limits = limits;
  }

  convert(html: string, url: string): Promise<HtmlConversion> {
    const tooLarge = this.#overLimit(html);
    if (tooLarge) return Promise.resolve({ outcome: "skipped", reason: tooLarge });
    return new Promise((resolve) => {
      const job: Job = { id: this.#nextId++, html, url, resolve, timer: undefined };
      if (this.#worker && this.#ready) this.#startDeadline(job);
      this.#queue.push(job);
      this.#startNext();
    });
  }

  /** Ends the worker; pages being converted or waiting get "failed". */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    const pending = [...(this.#running ? [this.#running] : []), ...this.#queue.splice(0)];
    this.#running = undefined;
    for (const job of pending) {
      clearTimeout(job.timer);
      job.resolve({ outcome: "failed" });
    }
    await worker?.terminate();
  }

  #overLimit(html: string): string | undefined {
    const bytes = Buffer.byteLength(html);
    if (bytes > this.#limits.maxBytes) return `the page is ${size(bytes)}, over the ${size(this.#limits.maxBytes)} this server converts`;
    const tags = /<[a-zA-Z]/g;
    let count = 0;
    while (tags.test(html)) {
      if (++count > this.#limits.maxElements) return `the page has over ${this.#limits.maxElements} elements, more than this server converts`;
    }
    return undefined;
  }

  #startNext(): void {
    if (this.#running) return;
    const job = this.#queue.shift();
    if (!job) return;
    this.#running = job;
    this.#worker ??= this.#spawn();
    this.#worker.postMessage({ id: job.id, html: job.html, url: job.url } satisfies ConversionRequest);
  }

  #startDeadline(job: Job): void {
    job.timer ??= setTimeout(() => this.#expire(job), this.#limits.deadlineMs);
  }

  #spawn(): Worker {
    const worker = startWorker();
    this.#ready = false;
    const startup = setTimeout(() => this.#failStart(worker), STARTUP_MS);
    worker.on("message", (reply: ConversionReply) => {
      if (worker !== this.#worker) return;
      if ("ready" in reply) {
        clearTimeout(startup);
        this.#ready = true;
        for (const job of [...(this.#running ? [this.#running] : []), ...this.#queue]) this.#startDeadline(job);
        return;
      }
      if (this.#running?.id !== reply.id) return;
      this.#finish(this.#running, "converted" in reply ? { outcome: "converted", converted: reply.converted } : { outcome: "failed" });
    });
    const lost = () => {
      clearTimeout(startup);
      if (worker !== this.#worker) return;
      this.#worker = undefined;
      if (this.#running) this.#finish(this.#running, { outcome: "failed" });
    };
    worker.on("error", lost);
    worker.on("exit", lost);
    // An idle worker must not keep the process alive (a job's deadline timer does while it runs).
    // After the listeners: adding a "message" listener refs the worker again.
    worker.unref();
    return worker;
  }

  /** A worker that never finished loading: every page waiting for it falls back to text. */
  #failStart(worker: Worker): void {
    if (worker !== this.#worker) return;
    this.#worker = undefined;
    void worker.terminate();
    for (const job of [...(this.#running ? [this.#running] : []), ...this.#queue.splice(0)]) {
      this.#finish(job, { outcome: "skipped", reason: `the converter did not start within ${STARTUP_MS / 1000} s` });
    }
  }

  #expire(job: Job): void {
    if (this.#running === job) {
      const worker = this.#worker;
      this.#worker = undefined;
      void worker?.terminate();
    } else {
      this.#queue.splice(this.#queue.indexOf(job), 1);
    }
    this.#finish(job, { outcome: "skipped", reason: `converting it took longer than ${this.#limits.deadlineMs / 1000} s` });
  }

  #finish(job: Job, conversion: HtmlConversion): void {
    clearTimeout(job.timer);
    if (this.#running === job) this.#running = undefined;
    job.resolve(conversion);
    this.#startNext();
  }
}

function startWorker(): Worker {
  const options = { resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB } };
  const self = import.meta.url;
  if (self.endsWith(".js")) return new Worker(new URL("./htmlWorker.js", self), options);
  // Run from the TypeScript source (tests, tsx): a worker starts without the parent's loader, so it loads tsx itself.
  const tsx = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./htmlWorker.ts", self).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(self)}))`, { ...options, eval: true });
}

function size(bytes: number): string {
  return bytes >= 1_000_000 ? `${(bytes / 1_000_000).toFixed(1)} MB` : `${Math.ceil(bytes / 1_000)} kB`;
}
