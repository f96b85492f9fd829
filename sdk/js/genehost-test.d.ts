// TypeScript declarations of the API of plugin tests: the *.test.js and
// *.test.ts files beside plugin.gene that `genehost test` runs against a
// real host started in its own process (the guide: sdk/js/README.md,
// "Testing"). Values go in and come out as Gene text: '"hi"' is the
// string hi, '(hello ^n 1)' a node.

declare namespace genehostTest {
  /** A send+recv data link to the plugin, opened by t.open(). */
  interface Link {
    /** Sends the value written as Gene text. */
    send(gene: string): void;
    /** The next value the plugin sent, as canonical Gene text; fails the
     * test when none comes within --wait (5 s) or the link is reset. */
    recv(): string;
    /** Receives the next value and fails the test unless it equals the
     * value written as Gene text (Gene equality: prop order aside). */
    expect(gene: string): void;
    /** Waits for the link to be reset (by a handler error: HANDLER_ERROR,
     * a crash: PLUGIN_FAILED, ...) and returns the reason; with code, fails
     * the test when the code differs. */
    expectReset(code?: string): string;
    /** Closes the link. Links still open when a test ends are closed. */
    close(): void;
  }

  /** What a test function gets. */
  interface T {
    /** Opens a link to the plugin under test, or to another interface of
     * the host (genehost test of a plugin directory serves all of them). */
    open(opts?: { interface?: string }): Link;
    /** Runs the plugin's control operation op with the argument written as
     * Gene text; returns the result as Gene text. */
    control(op: string, arg?: string): string;
    /** Moves the host's clock by ms milliseconds, firing the plugin's
     * timers due by then; returns how many fired. Timers never fire
     * otherwise during a test. */
    advance(ms: number): number;
    /** Fails the test unless got === want. */
    equal<V>(got: V, want: V, msg?: string): void;
    /** Fails the test unless cond is true. */
    ok(cond: boolean, msg?: string): void;
    /** Fails the test. */
    fail(msg?: string): never;
    /** Prints with the test's result (genehost test -v). */
    log(...args: unknown[]): void;
  }
}

/** Declares a test; tests run in order, each with its own links, sharing
 * the plugin's instances and store. */
declare function test(name: string, fn: (t: genehostTest.T) => void | Promise<void>): void;
