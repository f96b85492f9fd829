// TypeScript declarations for genehost JavaScript handlers: the globals a
// handler.js sees when host/jsrt runs it (goja, CommonJS, no Node.js), and
// the mapping of Gene values to JavaScript values. host/jsrt/prelude.js,
// natives.go and convert*.go are what these declarations describe; the
// guide is sdk/js/README.md.
//
// Use from a handler checked by tsc or an editor:
//
//   // @ts-check
//   /// <reference path="path/to/sdk/js/genehost.d.ts" />
//   /** @type {genehost.Handler} */
//   module.exports = { values(link, values) { ... } };
//
// Compile with "lib": ["es2022"] and "types": [] (no DOM, no @types/node:
// their console, setTimeout and require are not the ones a handler gets).

// ---- Gene values as JavaScript values -----------------------------------

/**
 * A Gene value as a handler receives it:
 *
 * | Gene                          | JavaScript                                      |
 * |-------------------------------|-------------------------------------------------|
 * | nil                           | null                                            |
 * | void                          | undefined                                       |
 * | true, false                   | boolean                                         |
 * | integer, \|n\| <= 2^53-1      | number                                          |
 * | integer beyond that           | bigint                                          |
 * | float                         | number; a Float when integral (1.0, -0.0)       |
 * | "string"                      | string                                          |
 * | 'c' (char)                    | Char                                            |
 * | symbol                        | Sym                                             |
 * | [list], #[list]               | array (frozen when immutable)                   |
 * | {^prop map}, #{...}           | plain object (frozen when immutable)            |
 * | {{general map}}               | Map                                             |
 * | (node), #(node)               | Gene (frozen, with its parts, when immutable)   |
 * | bytes                         | Uint8Array                                      |
 * | #"regex"                      | GeneRegex                                       |
 * | date, time, date-time         | GeneDate, GeneTime, GeneDateTime                |
 */
type GeneValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | gene.Sym
  | gene.Char
  | gene.Float
  | GeneValue[]
  | GeneProps
  | Map<GeneValue, GeneValue>
  | gene.Gene
  | Uint8Array
  | gene.GeneRegex
  | gene.GeneDate
  | gene.GeneTime
  | gene.GeneDateTime;

/** A prop map {^key value ...}: a plain object, keys in order. */
interface GeneProps {
  [key: string]: GeneValue;
}

/**
 * What a handler may give where a Gene value is expected (send, control
 * results, kv.put): every GeneValue, and also
 *
 * - any number: an integral one within 2^53-1 is an integer, others are
 *   floats (use gene.float(n) for an integral float);
 * - a Date: a date-time in UTC to the millisecond;
 * - a RegExp with flags among i, m, s: a regex;
 * - readonly arrays, objects and maps; an object with a null prototype;
 * - a frozen (Object.freeze) array, object or Gene: the immutable form.
 *
 * Refused with a TypeError naming the place in the value: functions,
 * JavaScript symbols, promises (a missing await), cycles, and objects of
 * other classes.
 */
type GeneInput =
  | GeneValue
  | Date
  | RegExp
  | readonly GeneInput[]
  | { readonly [key: string]: GeneInput }
  | ReadonlyMap<GeneInput, GeneInput>;

/** The global gene object: the value classes and small helpers. */
declare namespace gene {
  /** The head of a node written () (no head), unlike (nil) or (void). */
  const NO_HEAD: unique symbol;

  /** A Gene symbol (the JavaScript string "a" is a Gene string). */
  class Sym {
    private readonly _nominal: 'Sym'; // only instances of the class are Syms
    /** @throws TypeError when name is not a string. */
    constructor(name: string);
    readonly name: string;
    toString(): string;
  }

  /** A Gene char: one Unicode character. */
  class Char {
    private readonly _nominal: 'Char'; // only instances of the class are Chars
    /** @throws TypeError unless value is exactly one character. */
    constructor(value: string);
    readonly value: string;
    /** The character's Unicode code point. */
    readonly codePoint: number;
    toString(): string;
  }

  /**
   * A Gene float whose value JavaScript would take for an integer (1.0,
   * -0.0). Received for integral floats within 2^53-1; give one to send such
   * a float (a plain number 1 is the integer 1).
   */
  class Float {
    private readonly _nominal: 'Float'; // only instances of the class are Floats
    /** @throws TypeError when value is not a number. */
    constructor(value: number);
    readonly value: number;
    valueOf(): number;
    /** "1.0", "-0.0", ... */
    toString(): string;
  }

  /**
   * A Gene node (head ^prop value @meta value body...). new Gene() has no
   * head (NO_HEAD); each omitted part defaults to empty. The parts may hold
   * anything a handler may send (GeneInput: a Date, a RegExp...); the
   * runtime converts them when the node is sent.
   */
  class Gene {
    private readonly _nominal: 'Gene'; // only instances of the class are Genes
    constructor();
    constructor(
      head: GeneInput | typeof NO_HEAD,
      props?: { readonly [key: string]: GeneInput } | null,
      body?: readonly GeneInput[] | null,
      meta?: { readonly [key: string]: GeneInput } | null,
    );
    head: GeneValue | typeof NO_HEAD;
    props: GeneProps;
    meta: GeneProps;
    body: GeneValue[];
    /** False for a node written () (head is NO_HEAD). */
    readonly hasHead: boolean;
  }

  /** A Gene regex #"pattern"flags; flags are made of i, m, s and x. */
  class GeneRegex {
    private readonly _nominal: 'GeneRegex'; // only instances of the class are GeneRegexs
    /** @throws TypeError on flags other than i, m, s, x. */
    constructor(pattern: string, flags?: string);
    readonly pattern: string;
    readonly flags: string;
    /** #"pattern"flags */
    toString(): string;
  }

  /** A Gene date 2026-11-24 (month 1-12). */
  class GeneDate {
    private readonly _nominal: 'GeneDate'; // only instances of the class are GeneDates
    constructor(year: number, month: number, day: number);
    year: number;
    month: number;
    day: number;
  }

  /**
   * A Gene time 09:30:15.25+01:00. offset is minutes east of UTC, null when
   * none was written; zone is a zone name or null.
   */
  class GeneTime {
    private readonly _nominal: 'GeneTime'; // only instances of the class are GeneTimes
    constructor(hour: number, minute: number, second?: number, micro?: number, offset?: number | null, zone?: string | null);
    hour: number;
    minute: number;
    second: number;
    /** Microseconds, 0-999999. */
    micro: number;
    offset: number | null;
    zone: string | null;
  }

  /** A Gene date-time 2026-11-24T09:30:00Z, fields as GeneDate and GeneTime. */
  class GeneDateTime {
    private readonly _nominal: 'GeneDateTime'; // only instances of the class are GeneDateTimes
    constructor(
      year: number,
      month: number,
      day: number,
      hour?: number,
      minute?: number,
      second?: number,
      micro?: number,
      offset?: number | null,
      zone?: string | null,
    );
    year: number;
    month: number;
    day: number;
    hour: number;
    minute: number;
    second: number;
    micro: number;
    offset: number | null;
    zone: string | null;
    /** The instant d in UTC (offset 0), to the millisecond. */
    static fromDate(d: Date): GeneDateTime;
    /** The instant as a Date, to the millisecond; no offset reads as UTC. */
    toDate(): Date;
  }

  /** new Sym(name). */
  function sym(name: string): Sym;
  /** new Char(c). */
  function char(c: string): Char;
  /** new Float(n). */
  function float(n: number): Float;
  /** new GeneRegex(pattern, flags). */
  function regex(pattern: string, flags?: string): GeneRegex;
  /** (head ...body); a string head becomes a symbol: node('tick', 1) is (tick 1). */
  function node(head: string | GeneInput, ...body: GeneInput[]): Gene;
  /** Whether v is a node whose head is the symbol name. */
  function is(v: unknown, name: string): v is Gene;
  /** Gene equality of two values (the host's, not ===). */
  function equal(a: GeneInput, b: GeneInput): boolean;
}

// The value classes are globals too: new Gene(...), v instanceof Sym.
declare const Gene: typeof gene.Gene;
type Gene = gene.Gene;
declare const Sym: typeof gene.Sym;
type Sym = gene.Sym;
declare const Char: typeof gene.Char;
type Char = gene.Char;
declare const Float: typeof gene.Float;
type Float = gene.Float;
declare const GeneRegex: typeof gene.GeneRegex;
type GeneRegex = gene.GeneRegex;
declare const GeneDate: typeof gene.GeneDate;
type GeneDate = gene.GeneDate;
declare const GeneTime: typeof gene.GeneTime;
type GeneTime = gene.GeneTime;
declare const GeneDateTime: typeof gene.GeneDateTime;
type GeneDateTime = gene.GeneDateTime;

// ---- The host -----------------------------------------------------------

/** The global genehost object: host calls, and the handler's types. */
declare namespace genehost {
  /** Returned from values()/value(): hold the link until link.resume(). */
  const PAUSE: 'pause';

  /**
   * What values() and value() may return (or resolve to): nothing, or
   * "continue", to keep values coming; "pause" (PAUSE) to stop deliveries
   * on the link and hold back the client's credit until link.resume().
   */
  type Flow = void | undefined | null | 'pause' | 'continue';

  /** Why a host call failed (HostError.code); "not-integer": kv.incr found
   * something else than an integer under the key, or the sum overflowed;
   * "not-delivered": streams.ack of a message the group was never sent;
   * "bad-name": a stream, group or topic name that is not 1 to 128 of
   * A-Z a-z 0-9 _ . - */
  type HostErrorCode = 'no-credit' | 'link-closed' | 'direction' | 'not-granted' | 'timeout' | 'not-integer'
    | 'not-delivered' | 'bad-name' | 'host';

  /** Thrown by host calls; message names the call ("link.send: ..."). */
  class HostError extends Error {
    constructor(code: HostErrorCode, message: string);
    readonly name: 'HostError' | 'NoCreditError';
    readonly code: HostErrorCode;
  }

  /** Thrown by link.send when the client has not granted room. */
  class NoCreditError extends HostError {
    constructor(message: string);
    readonly name: 'NoCreditError';
    readonly code: 'no-credit';
  }

  /**
   * A data link. The same object comes back in every callback about the
   * link until close(); keep per-link state in a Map keyed by id.
   */
  interface Link {
    readonly id: number;
    /** The interface name; "" for a link this instance was not told about. */
    readonly interface: string;
    /** Named from the server's side; "" for a link this instance was not told about. */
    readonly direction: 'send' | 'recv' | 'send+recv' | '';
    /** The client's address, for logs. */
    readonly peer: string;
    /** What the client sent when opening the link, or null. */
    readonly meta: GeneValue;
    /**
     * Sends v toward the client without waiting.
     * @throws NoCreditError when the client has not granted room;
     * HostError "link-closed", "direction" (a recv link), "host".
     * @throws TypeError when v has no Gene form.
     */
    send(v: GeneInput): true;
    /**
     * Sends v, waiting for credit until the callback's deadline; await it.
     * @throws HostError "timeout" at the deadline, and as send().
     */
    sendAsync(v: GeneInput): Promise<void>;
    /** Closes the link; reason "" (the default) is an orderly close. */
    close(reason?: string): void;
    /** Undoes a "pause" returned for this link. */
    resume(): void;
  }

  /** A control operation: arg is its argument (null when none), link the
   * data link it names or null. Its result is sent back to the caller. */
  type ControlOp = (this: ControlOps, arg: GeneValue, link: Link | null) => GeneInput | void | Promise<GeneInput | void>;

  /** The plugin's own control operations, by name. */
  interface ControlOps {
    [op: string]: ControlOp;
  }

  interface HandlerBase {
    /** A data link opened; throwing rejects it. */
    open?(this: Handler, link: Link): void | Promise<void>;
    /** The plugin's control operations; an unknown name fails with "unknown op". */
    control?: ControlOps;
    /** The link closed; reason is "" for an orderly close. Errors are logged. */
    close?(this: Handler, link: Link, reason: string): void | Promise<void>;
    /** A timer set with genehost.setTimer fired. Errors are logged. */
    timer?(this: Handler, id: number): void | Promise<void>;
  }

  /**
   * module.exports of a handler.js. Define values() to receive each batch
   * as an array, or value() to receive values one at a time; not both.
   * Every callback may be async; its promise must settle within the callback
   * (await sendAsync and kv calls, not timers).
   */
  type Handler =
    | (HandlerBase & {
        /** One or more values arrived on link, in order. */
        values(this: Handler, link: Link, values: GeneValue[]): Flow | Promise<Flow>;
        value?: never;
      })
    | (HandlerBase & {
        /** One value arrived on link. A "pause" holds the link after the batch. */
        value(this: Handler, link: Link, value: GeneValue): Flow | Promise<Flow>;
        values?: never;
      })
    | (HandlerBase & { values?: never; value?: never });

  /** Options of kv.scan; keys as in kv.get. */
  interface ScanOptions {
    /** Only keys that start with it. */
    prefix?: string | Uint8Array;
    /** Only keys that sort after it (to page through a large scan). */
    after?: string | Uint8Array;
    /** At most this many entries; 0 or absent: all. */
    limit?: number;
  }

  /**
   * The plugin's durable key-value store (needs the kv grant; otherwise
   * every call throws HostError "not-granted"). Shared by all instances of
   * the plugin, kept across reloads and restarts. Keys are strings (stored
   * as UTF-8) or Uint8Arrays, ordered by their bytes; values are any Gene
   * value and read back exactly.
   */
  const kv: {
    /** The value under key, or undefined when absent (a stored void reads
     * back as undefined too). */
    get(key: string | Uint8Array): GeneValue;
    put(key: string | Uint8Array, value: GeneInput): void;
    /** Whether the key was there. */
    delete(key: string | Uint8Array): boolean;
    /** [key, value] pairs in key order; keys come back as strings. */
    scan(opts?: ScanOptions): Array<[string, GeneValue]>;
    /**
     * Applies every operation in one durable commit (one fsync), or none
     * when any fails. Returns one boolean per operation: true for a put,
     * whether the key was there for a delete.
     */
    batch(ops: Array<["put", string | Uint8Array, GeneInput] | ["delete", string | Uint8Array]>): boolean[];
    /**
     * Compare-and-swap, atomic across every instance and version of the
     * plugin: if key holds expected, set it to next and return true;
     * otherwise change nothing and return false. expected undefined means
     * "key absent"; next undefined deletes the key. Values compare as their
     * stored encodings (binary Gene documents), byte for byte, not with
     * gene.equal: 1 and gene.float(1) differ, and so do {a: 1, b: 2} and
     * {b: 2, a: 1} (prop order is kept). Pass what kv.get returned to
     * update from it. A stored void cannot be expected (it reads as
     * undefined, which means absent here).
     */
    cas(key: string | Uint8Array, expected: GeneInput | undefined, next: GeneInput | undefined): boolean;
    /**
     * Adds by (an integer, default 1) to the integer under key, atomically
     * across every instance and version of the plugin, and returns the new
     * value (a bigint beyond 2^53-1). An absent key counts as 0; kv.get
     * reads the counter as a number.
     * @throws HostError "not-integer" when the key holds anything else, or
     * the sum leaves the 64-bit range (the key is left as it was).
     * @throws TypeError when by is not an integer.
     */
    incr(key: string | Uint8Array, by?: number | bigint): number | bigint;
    /**
     * Watches the keys that start with prefix: callback(changes, lost) runs,
     * as a callback of its own, with the changes committed from now on by
     * anyone (this instance, the plugin's other instances and versions,
     * and with 'genehost serve --nats' other hosts), oldest first. lost is
     * true when changes were dropped because the plugin fell behind: re-read
     * with kv.scan. Returns the watch's id, for kv.unwatch; the watch ends
     * with the instance.
     */
    watch(prefix: string | Uint8Array, callback: (changes: KVChange[], lost: boolean) => void): number;
    /** Ends a watch (no effect when it is not open). */
    unwatch(id: number): void;
  };

  /** One change a kv.watch callback gets: a put (value) or a delete. */
  interface KVChange {
    key: string;
    value?: GeneValue;
    deleted?: true;
  }

  /** Options of streams.attach. */
  interface AttachOptions {
    /** Most unacknowledged messages at once (default 16, at most 1024). */
    prefetch?: number;
    /** How long a message may stay unacknowledged before it is delivered again (default 30000). */
    ackTimeoutMs?: number;
    /** Where a group that does not exist yet starts (default "earliest"). */
    from?: 'earliest' | 'latest';
  }

  /** A stream as streams.info lists it. */
  interface StreamInfo {
    stream: string;
    /** The last sequence number (0: none yet). */
    head: number;
    groups: { group: string; acked: number; consumers: number; unacked: number }[];
  }

  /**
   * Durable streams with consumer groups, delivered by the host (needs the
   * streams grant; otherwise every call throws HostError "not-granted";
   * ABI.md, "Streams"). An attached link is pushed
   * (message ^topic STREAM ^group GROUP ^seq N ^value V ^attempt A) without
   * calling the handler.
   */
  const streams: {
    /** Appends value durably; returns its sequence number. */
    publish(stream: string, value: GeneInput): number;
    /** Appends every [stream, value] in one durable write; returns their sequence numbers. */
    publishBatch(entries: readonly (readonly [string, GeneInput])[]): number[];
    /** Makes link a member of group; returns the group's acknowledged position. */
    attach(link: Link | number, stream: string, group: string, options?: AttachOptions): number;
    /** Ends link's membership; returns whether it was one. */
    detach(link: Link | number, stream: string, group: string): boolean;
    /** @throws HostError "not-delivered" for a message the group was never sent. */
    ack(stream: string, group: string, seq: number): void;
    /** Moves group so its next message is seq; returns the seq applied. */
    reset(stream: string, group: string, seq: number): number;
    /** Deletes messages up to through that every group has acknowledged. */
    trim(stream: string, through: number): { through: number; deleted: number };
    info(): StreamInfo[];
  };

  /**
   * Topics without durability (needs the streams grant): a subscribed link
   * is pushed (message ^topic TOPIC ^value V) by the host.
   */
  const topics: {
    /** Sends value to the topic's subscribers now; returns how many links of this host. */
    publish(topic: string, value: GeneInput): number;
    subscribe(link: Link | number, topic: string): void;
    /** Returns whether link was subscribed. */
    unsubscribe(link: Link | number, topic: string): boolean;
  };

  /**
   * The standard error reply (error ^code code ^message message ^id id),
   * for answering one bad request while the link goes on; ^id is left out
   * when id is undefined. Send it (link.send(genehost.error('bad-request',
   * 'no ^key', v.props.id))) rather than throwing: a throw ends the link
   * with HANDLER_ERROR.
   * @throws TypeError when code or message is not a string.
   */
  function error(code: string, message: string, id?: GeneInput): gene.Gene;

  /**
   * Arranges handler.timer(id) after ms milliseconds (needs the timers
   * grant; otherwise throws HostError "not-granted"). Returns the id.
   */
  function setTimer(ms: number): number;
  /** Cancels a timer set with setTimer. */
  function cancelTimer(id: number): void;
}

// ---- Other globals --------------------------------------------------------

/**
 * Calls callback(...args) after ms milliseconds, as a callback of its own
 * (needs the timers grant; otherwise throws HostError "not-granted").
 * setInterval and setImmediate do not exist.
 */
declare function setTimeout<A extends unknown[]>(callback: (...args: A) => void, ms?: number, ...args: A): number;
declare function clearTimeout(id: number | undefined): void;

/** Writes to the host log, tagged with the link of the callback in
 * progress: log, info and debug at info, warn at warn, error at error.
 * Arguments are formatted as Node's util.format does (%s %d %j ...). */
declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
};

/**
 * The error goja throws for a failure inside a built-in written in Go
 * (require of a host module, a guard refusing an allocation): catch it as
 * any Error; e.message says what failed.
 */
declare class GoError extends Error {
  readonly name: 'GoError';
}

/** Loads another file of the plugin folder ("./lib.js"); host modules
 * ("fs", "net", any bare name) are refused. */
declare function require(path: string): any;

/** The CommonJS module of handler.js; module.exports is the Handler. */
declare const module: { exports: genehost.Handler | any };
declare const exports: any;
/** The absolute path of handler.js, and of the plugin folder. */
declare const __filename: string;
declare const __dirname: string;
