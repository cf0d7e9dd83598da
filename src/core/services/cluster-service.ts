import type { IdSource } from '../ports/id-source.js';
import type { StateStore } from '../ports/state-store.js';

export interface NodeSettings {
  readonly name: string;
  readonly model: string;
}

export interface ClusterSettings {
  readonly name: string;
  /** The ONTAP release the cluster runs until an update changes it. */
  readonly version: string;
  readonly nodes: readonly NodeSettings[];
  /** Shown in `version.full`. */
  readonly buildDate: Date;
}

export type SoftwareState =
  | 'in_progress'
  | 'waiting'
  | 'paused_by_user'
  | 'paused_on_error'
  | 'completed'
  | 'canceled'
  | 'failed'
  | 'pause_pending'
  | 'cancel_pending';

const BUSY_STATES: ReadonlySet<SoftwareState> = new Set([
  'in_progress',
  'waiting',
  'paused_by_user',
  'paused_on_error',
  'pause_pending',
  'cancel_pending',
]);

export interface ClusterNode {
  readonly name: string;
  readonly uuid: string;
  readonly model: string;
  readonly version: string;
}

export interface SoftwareStatus {
  readonly version: string;
  readonly state: SoftwareState;
  readonly pendingVersion: string | null;
  readonly nodes: readonly ClusterNode[];
}

interface IdentityDoc {
  uuid: string;
  nodeUuids: Record<string, string>;
}

interface SoftwareDoc {
  /** Set once an update changed the running version; otherwise the configured version runs. */
  version?: string;
  state: SoftwareState;
  pendingVersion?: string;
}

const IDENTITY_KEY = 'cluster.identity';
const SOFTWARE_KEY = 'cluster.software';

/** The simulated cluster: its identity (stable uuids made once) and the software it runs. */
export class ClusterService {
  readonly #state: StateStore;
  readonly #ids: IdSource;
  readonly #settings: ClusterSettings;
  #identity: IdentityDoc = { uuid: '', nodeUuids: {} };
  #software: SoftwareDoc = { state: 'completed' };

  constructor(state: StateStore, ids: IdSource, settings: ClusterSettings) {
    this.#state = state;
    this.#ids = ids;
    this.#settings = settings;
  }

  /** Loads the stored identity, creating the uuids on the first start. */
  async init(): Promise<void> {
    const stored = await this.#state.get<IdentityDoc>(IDENTITY_KEY);
    const identity: IdentityDoc = stored ?? { uuid: this.#ids.uuid(), nodeUuids: {} };
    let changed = stored === undefined;
    for (const node of this.#settings.nodes) {
      if (identity.nodeUuids[node.name] === undefined) {
        identity.nodeUuids[node.name] = this.#ids.uuid();
        changed = true;
      }
    }
    if (changed) await this.#state.set(IDENTITY_KEY, identity);
    this.#identity = identity;
    this.#software = (await this.#state.get<SoftwareDoc>(SOFTWARE_KEY)) ?? { state: 'completed' };
  }

  get name(): string {
    return this.#settings.name;
  }

  get uuid(): string {
    return this.#identity.uuid;
  }

  get buildDate(): Date {
    return this.#settings.buildDate;
  }

  /** The node that runs jobs (the first configured node). */
  get jobNodeName(): string {
    return this.#settings.nodes[0]?.name ?? `${this.#settings.name}-01`;
  }

  get version(): string {
    return this.#software.version ?? this.#settings.version;
  }

  software(): SoftwareStatus {
    const version = this.version;
    return {
      version,
      state: this.#software.state,
      pendingVersion: this.#software.pendingVersion ?? null,
      nodes: this.#settings.nodes.map((n) => ({
        name: n.name,
        model: n.model,
        uuid: this.#identity.nodeUuids[n.name] ?? '',
        version,
      })),
    };
  }

  /** Whether a software update is running or paused (blocks downloads, §4.3 #9). */
  updateInProgress(): boolean {
    return BUSY_STATES.has(this.#software.state);
  }
}
