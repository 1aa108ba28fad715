/**
 * Run-time checks of what a page sends the host. A page's messages are data, never orders: each command and request
 * declares a guard for its params, and IpcType.is accepts a message only when its params pass. Small combinators
 * rather than a schema library: the messages are few and flat, each guard narrows to the message's own TypeScript
 * type, and the pages' bundles stay free of a validator they would never use.
 */

export type Guard<T> = (value: unknown) => value is T;

/** Longest string a page may send (a path, a class name): far above any real one. */
const MAX_TEXT = 4096;

export const isNothing: Guard<undefined> = (v): v is undefined => v === undefined || v === null;
export const isText: Guard<string> = (v): v is string => typeof v === 'string' && v.length <= MAX_TEXT;
export const isFlag: Guard<boolean> = (v): v is boolean => typeof v === 'boolean';
export const isNumber: Guard<number> = (v): v is number => typeof v === 'number' && Number.isFinite(v);

/** A whole number from `min` to `max`. */
export function isCount(min: number, max: number): Guard<number> {
  return (v): v is number => Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
}

export function oneOf<const T extends string>(values: readonly T[]): Guard<T> {
  return (v): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);
}

export function orNull<T>(guard: Guard<T>): Guard<T | null> {
  return (v): v is T | null => v === null || guard(v);
}

/** Bytes (a PNG the page drew) of at most `max`. */
export function isBytes(max: number): Guard<Uint8Array> {
  return (v): v is Uint8Array => v instanceof Uint8Array && v.byteLength <= max;
}

type Shape = Readonly<Record<string, Guard<unknown>>>;
type Guarded<S extends Shape> = { readonly [K in keyof S]: S[K] extends Guard<infer T> ? T : never };

/**
 * A plain object with exactly the keys of `shape` (plus those of `optional`, each absent or passing): an unknown
 * key is refused too, so a message cannot smuggle fields a later change might read.
 */
export function isRecord<S extends Shape, O extends Shape = Record<never, never>>(shape: S, optional?: O):
  Guard<Guarded<S> & Partial<Guarded<O>>> {
  return (v): v is Guarded<S> & Partial<Guarded<O>> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const o = v as Record<string, unknown>;
    // Own keys only: `constructor` is `in` every object, and an inherited field is no field the page sent.
    const own = (key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);
    for (const key of Object.keys(o)) if (!Object.hasOwn(shape, key) && !(optional && Object.hasOwn(optional, key))) {
      return false;
    }
    for (const [key, guard] of Object.entries(shape)) if (!guard(own(key))) return false;
    for (const [key, guard] of Object.entries(optional ?? {})) {
      if (own(key) !== undefined && !guard(own(key))) return false;
    }
    return true;
  };
}
