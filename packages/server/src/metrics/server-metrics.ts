/**
 * The Prometheus metrics of one server node (prom-client, with its own
 * registry per instance, so several apps in one process do not mix).
 *
 * Label cardinality is bounded everywhere (bounded-label.ts): codes at 64
 * values, witnesses at 32, orgs at {@link MAX_ORG_LABELS} (the log-size
 * gauge is set only for orgs this node published for, so idle orgs cost
 * nothing), routes by their pattern (`/v1/orgs/:org/commands`, never the
 * URL), statuses by class (2xx…5xx).
 *
 * Metrics reveal org activity (org ids, command rates): they are served
 * only on the separate metrics listener (metrics-listener.ts), never on
 * the API.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { BoundedLabel } from './bounded-label.js'

/** Orgs with their own log-size series; later ones share `other`. */
export const MAX_ORG_LABELS = 1000

/** What the gateway reports (gateway-context.ts declares the same slice). */
export interface GatewayMetrics {
  deliverySent(): void
  resultReceived(): void
  rejection(code: string): void
  alert(code: string): void
}

/** What the log reports. */
export interface LogMetrics {
  checkpointPublished(org: string, size: number, seconds: number): void
  witnessRequest(witness: string, seconds: number): void
}

/**
 * @example
 * const metrics = new ServerMetrics({ node: config.nodeId })
 * metrics.deliverySent()
 * const text = await metrics.registry.metrics()
 */
export class ServerMetrics implements GatewayMetrics, LogMetrics {
  readonly registry = new Registry()
  readonly #connected: Gauge
  readonly #deliveries: Counter
  readonly #results: Counter
  readonly #rejections: Counter<'code'>
  readonly #alerts: Counter<'code'>
  readonly #logSize: Gauge<'org'>
  readonly #publish: Histogram
  readonly #witness: Histogram<'witness'>
  readonly #http: Histogram<'method' | 'route' | 'status_class'>
  readonly #bus: Counter<'subject' | 'direction'>
  readonly #codes = new BoundedLabel(64)
  readonly #alertCodes = new BoundedLabel(64)
  readonly #orgs = new BoundedLabel(MAX_ORG_LABELS)
  readonly #witnesses = new BoundedLabel(32)
  readonly #routes = new BoundedLabel(512)
  #connectedSource: () => number = () => 0

  constructor(options: { readonly node?: string } = {}) {
    const registers = [this.registry]
    if (options.node !== undefined) this.registry.setDefaultLabels({ node: options.node })
    collectDefaultMetrics({ register: this.registry, prefix: 'palisade_' })
    const source = (): number => this.#connectedSource()
    this.#connected = new Gauge({
      name: 'palisade_agents_connected',
      help: 'Agents holding an authenticated WebSocket to this node',
      registers,
      collect() {
        this.set(source())
      },
    })
    this.#deliveries = new Counter({ name: 'palisade_deliveries_sent_total', help: 'Deliveries sent to agents by this node', registers })
    this.#results = new Counter({ name: 'palisade_results_received_total', help: 'Signed command results stored from agents of this node', registers })
    this.#rejections = new Counter({ name: 'palisade_rejections_total', help: 'Signed rejections from agents, by code', labelNames: ['code'], registers })
    this.#alerts = new Counter({ name: 'palisade_alerts_total', help: 'Alerts raised from agents of this node, by code', labelNames: ['code'], registers })
    this.#logSize = new Gauge({ name: 'palisade_log_size', help: 'Size of the latest checkpoint this node published, per org', labelNames: ['org'], registers })
    this.#publish = new Histogram({
      name: 'palisade_checkpoint_publish_seconds',
      help: 'Time to sign a checkpoint and collect a witness quorum',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.#witness = new Histogram({
      name: 'palisade_witness_request_seconds',
      help: 'Duration of one add-checkpoint request, by witness host',
      labelNames: ['witness'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.#http = new Histogram({
      name: 'palisade_http_request_seconds',
      help: 'HTTP request duration, by route pattern and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.#bus = new Counter({ name: 'palisade_bus_messages_total', help: 'Bus messages, by subject and direction (in, out, dropped)', labelNames: ['subject', 'direction'], registers })
  }

  /** Where the connected-agents gauge reads its value (the gateway). */
  connectedAgentsFrom(source: () => number): void {
    this.#connectedSource = source
  }

  deliverySent(): void {
    this.#deliveries.inc()
  }

  resultReceived(): void {
    this.#results.inc()
  }

  rejection(code: string): void {
    this.#rejections.inc({ code: this.#codes.code(code) })
  }

  alert(code: string): void {
    this.#alerts.inc({ code: this.#alertCodes.code(code) })
  }

  checkpointPublished(org: string, size: number, seconds: number): void {
    this.#logSize.set({ org: this.#orgs.of(org) }, size)
    this.#publish.observe(seconds)
  }

  witnessRequest(witness: string, seconds: number): void {
    this.#witness.observe({ witness: this.#witnesses.of(witness) }, seconds)
  }

  /** One HTTP request; `route` is the route pattern, or undefined when none matched. */
  httpRequest(method: string, route: string | undefined, status: number, seconds: number): void {
    const statusClass = status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other'
    const m = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'].includes(method) ? method : 'other'
    this.#http.observe({ method: m, route: route === undefined ? 'unmatched' : this.#routes.of(route), status_class: statusClass }, seconds)
  }

  /** A bus message sent (`out`), received (`in`) or dropped because the bus was down. */
  busMessage(subject: string, direction: 'in' | 'out' | 'dropped'): void {
    this.#bus.inc({ subject, direction })
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics()
  }
}
