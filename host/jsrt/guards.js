// Size and depth guards on the built-ins a script can ask for a huge
// allocation or a deep Go recursion with (guards.go explains why). It runs
// once per instance, before the prelude, as function (L, N) with L the
// limits and N the Go helpers. Every wrapper keeps the built-in's name,
// length and property attributes, is not a constructor (as the built-in
// methods are not), converts its arguments once (so a valueOf cannot
// answer the check and the built-in differently) and hands the converted
// values to the original.
(function (L, N) {
  'use strict';
  const apply = Reflect.apply;
  const defineProperty = Reflect.defineProperty;
  const getOwnPropertyDescriptor = Reflect.getOwnPropertyDescriptor;
  const isArray = Array.isArray;
  const trunc = Math.trunc;
  const RangeError_ = RangeError;
  const WeakMap_ = WeakMap;
  const wmGet = WeakMap.prototype.get;
  const wmSet = WeakMap.prototype.set;

  function over(builtin, n, unit) {
    throw new RangeError_(`${builtin}: ${n} ${unit} asked for, over this plugin's memory limit of ${L.mb} MiB (^limits {^memory-mb N})`);
  }
  function deep(builtin, what) {
    throw new RangeError_(`${builtin}: ${what} nested deeper than ${L.depth} levels, the limit for JavaScript run by genehost`);
  }
  const chars = (n) => `characters (${n * 2} bytes as UTF-16)`;
  // ToIntegerOrInfinity, which throws where the built-in would (a
  // Symbol, a BigInt).
  function toInt(v) {
    const n = +v;
    return n !== n ? 0 : trunc(n);
  }
  function toLength(v) {
    const n = toInt(v);
    return n <= 0 ? 0 : n > 9007199254740991 ? 9007199254740991 : n;
  }
  // relative resolves a relative index (start, end) against len.
  function relative(v, len, dflt) {
    if (v === undefined) return dflt;
    const n = toInt(v);
    return n < 0 ? (n + len < 0 ? 0 : n + len) : n > len ? len : n;
  }
  // replace puts the method made by make(original) in obj[key].
  function replace(obj, key, make) {
    const d = getOwnPropertyDescriptor(obj, key);
    if (!d || typeof d.value !== 'function') return;
    const orig = d.value;
    const f = make(orig);
    defineProperty(f, 'name', { value: orig.name, configurable: true });
    defineProperty(f, 'length', { value: orig.length, configurable: true });
    d.value = f;
    defineProperty(obj, key, d);
  }

  // Strings: the result's length is known from the arguments.
  const SP = String.prototype;
  replace(SP, 'repeat', (orig) => ({
    repeat(count) {
      if (this == null) return apply(orig, this, arguments);
      const s = `${this}`;
      const n = toInt(count);
      if (n > 0 && n !== Infinity && s.length * n > L.chars) over('String.prototype.repeat', s.length * n, chars(s.length * n));
      return apply(orig, s, [n]);
    },
  }).repeat);
  for (const name of ['padStart', 'padEnd']) {
    replace(SP, name, (orig) => ({
      [name](maxLength, fillString) {
        if (this == null) return apply(orig, this, arguments);
        const s = `${this}`;
        const n = toLength(maxLength);
        const fill = fillString === undefined ? undefined : `${fillString}`;
        if (n > s.length && n > L.chars && fill !== '') over(`String.prototype.${name}`, n, chars(n));
        return apply(orig, s, [n, fill]);
      },
    })[name]);
  }
  replace(SP, 'concat', (orig) => ({
    concat(...parts) {
      if (this == null) return apply(orig, this, parts);
      const s = `${this}`;
      let n = s.length;
      for (let i = 0; i < parts.length; i++) {
        parts[i] = `${parts[i]}`;
        n += parts[i].length;
      }
      if (n > L.chars) over('String.prototype.concat', n, chars(n));
      return apply(orig, s, parts);
    },
  }).concat);

  // Arrays: a length is cheap to ask for (Array(n) is sparse), but every
  // built-in that walks it does so in Go, where neither the deadline nor
  // the heap can stop it.
  const AP = Array.prototype;
  const elems = (n) => `elements (${n * 16} bytes)`;
  replace(AP, 'fill', (orig) => ({
    fill(value, start, end) {
      if (this == null) return apply(orig, this, arguments);
      const len = toLength(this.length);
      // Absolute, non-negative bounds: however length reads the second
      // time, the built-in fills no more than was checked.
      const k = relative(start, len, 0);
      const fin = relative(end, len, len);
      if (fin - k > L.elems) over('Array.prototype.fill', fin - k, elems(fin - k));
      return apply(orig, this, [value, k, fin]);
    },
  }).fill);
  replace(AP, 'join', () => ({
    join(separator) {
      return N.join(this, separator);
    },
  }).join);
  replace(AP, 'concat', (orig) => ({
    concat(...items) {
      if (this == null) return apply(orig, this, items);
      let n = isArray(this) ? toLength(this.length) : 1;
      for (let i = 0; i < items.length; i++) {
        const x = items[i];
        n += isArray(x) ? toLength(x.length) : 1;
      }
      if (n > L.elems) over('Array.prototype.concat', n, elems(n));
      return apply(orig, this, items);
    },
  }).concat);
  for (const name of ['flat', 'flatMap']) {
    replace(AP, name, (orig) => ({
      [name](a, b) {
        if (this == null) return apply(orig, this, arguments);
        const len = toLength(this.length);
        if (len > L.elems) over(`Array.prototype.${name}`, len, elems(len));
        if (name === 'flatMap') return apply(orig, this, [a, b]);
        const depth = a === undefined ? 1 : toInt(a);
        if (depth <= L.depth) return apply(orig, this, [depth]);
        // flat recurses in Go once per level: flatten as far as the limit
        // allows, and refuse if arrays are left.
        const r = apply(orig, this, [L.depth]);
        for (let i = 0; i < r.length; i++) {
          if (isArray(r[i])) deep(`Array.prototype.${name}`, 'arrays');
        }
        return r;
      },
    })[name]);
  }
  // Walking built-ins loop over length in Go without a check for the
  // deadline: a sparse array of 2**32-1 holes keeps them busy for minutes.
  for (const name of ['copyWithin', 'every', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex',
    'forEach', 'includes', 'indexOf', 'lastIndexOf', 'map', 'reduce', 'reduceRight', 'reverse', 'slice',
    'some', 'sort', 'splice', 'toReversed', 'toSorted', 'toSpliced', 'with']) {
    replace(AP, name, (orig) => ({
      [name]() {
        if (this != null && typeof this === 'object') {
          const len = toLength(this.length);
          if (len > L.elems) over(`Array.prototype.${name}`, len, elems(len));
        }
        return apply(orig, this, arguments);
      },
    })[name]);
  }

  // A typed array joins (and toStrings) in Go: at least one character an
  // element, plus the separator.
  const TAP = Object.getPrototypeOf(Uint8Array.prototype);
  replace(TAP, 'join', (orig) => ({
    join(separator) {
      const sep = separator === undefined ? ',' : `${separator}`;
      const len = toLength(this.length);
      const n = len * (1 + sep.length) - sep.length;
      if (n > L.chars) over('TypedArray.prototype.join', n, chars(n));
      return apply(orig, this, [sep]);
    },
  }).join);

  // Calls that spread an array-like into arguments copy it into a Go slice.
  const maxArgs = L.elems;
  const arity = (builtin, args) => {
    if (args != null && typeof args === 'object') {
      const n = toLength(args.length);
      if (n > maxArgs) over(builtin, n, `arguments (${n * 16} bytes)`);
    }
  };
  replace(Function.prototype, 'apply', (orig) => ({
    apply(thisArg, args) {
      arity('Function.prototype.apply', args);
      return apply(orig, this, [thisArg, args]);
    },
  }).apply);
  replace(Reflect, 'apply', (orig) => ({
    apply(target, thisArg, args) {
      arity('Reflect.apply', args);
      return apply(orig, undefined, [target, thisArg, args]);
    },
  }).apply);
  replace(Reflect, 'construct', (orig) => ({
    construct(target, args, newTarget) {
      arity('Reflect.construct', args);
      return apply(orig, undefined, arguments);
    },
  }).construct);

  // bind names the result "bound " + the target's name: a chain of binds
  // keeps names of quadratic total size.
  const bindDepth = new WeakMap_();
  replace(Function.prototype, 'bind', (orig) => ({
    bind(thisArg, ...args) {
      const d = (typeof this === 'function' && apply(wmGet, bindDepth, [this])) || 0;
      if (d >= L.bindDepth) throw new RangeError_(`Function.prototype.bind: bound functions nested deeper than ${L.bindDepth} levels, the limit for JavaScript run by genehost`);
      const f = apply(orig, this, [thisArg, ...args]);
      if (d >= 0) apply(wmSet, bindDepth, [f, d + 1]);
      return f;
    },
  }).bind);

  // JSON: the parser and the serialiser recurse in Go once per level.
  const J = JSON;
  replace(J, 'parse', (orig) => ({
    parse(text, reviver) {
      const s = `${text}`;
      N.jsonDepth(s);
      return apply(orig, J, [s, reviver]);
    },
  }).parse);
  replace(J, 'stringify', (orig) => ({
    stringify(value, replacer, space) {
      N.valueDepth(value);
      return apply(orig, J, arguments);
    },
  }).stringify);
});
