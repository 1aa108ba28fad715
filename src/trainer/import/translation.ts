/**
 * What the graph translation's parts share (translateGraph.ts, the CNN rules; translateTokens.ts, the transformer
 * rules and the folding of shape arithmetic): its error, constants and attribute readers.
 */
import type { onnx } from 'onnx-proto';

/** A node the translation cannot follow (an attribute outside what it covers); the message names the node. */
export class TranslationError extends Error {
  override readonly name = 'TranslationError';
}

export function fail(where: string, problem: string): never {
  throw new TranslationError(`${where} ${problem}`);
}

export interface Constant {
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export type Attrs = ReadonlyMap<string, onnx.IAttributeProto>;
export const ints = (a: Attrs, name: string, fallback: readonly number[]): number[] =>
  (a.get(name)?.ints ?? fallback).map(Number);
export const int = (a: Attrs, name: string, fallback: number): number =>
  (a.has(name) ? Number(a.get(name)!.i) : fallback);
export const float = (a: Attrs, name: string, fallback: number): number =>
  (a.has(name) ? Number(a.get(name)!.f) : fallback);
