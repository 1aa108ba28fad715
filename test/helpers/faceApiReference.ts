/**
 * face-api's own faceExpressionNet on tfjs-wasm, as io/landmarks.ts loads face-api (same tfjs instance, local
 * .wasm files, model files from the installed package): the reference our forward pass is compared with.
 */
import type * as Tf from '@tensorflow/tfjs';
import type * as TfWasm from '@tensorflow/tfjs-backend-wasm';
import type * as FaceApi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import * as path from 'node:path';
import { faceApiModelDir } from '../../src/trainer/io/faceApiWeights';
import { FACEAPI_EXPRESSION_LABELS } from '../../src/trainer/models/faceApiInfo';

export interface ExpressionReference {
  /** predictExpressions on a side×side×3 RGB byte image: probabilities in FACEAPI_EXPRESSION_LABELS order. */
  predict(rgb: Uint8Array, side: number): Promise<number[]>;
}

/** face-api's names of its outputs, in its order. */
export const FACEAPI_KEYS = ['neutral', 'happy', 'sad', 'angry', 'fearful', 'disgusted', 'surprised'] as const;

export async function faceApiExpressionReference(): Promise<ExpressionReference> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const tf = require('@tensorflow/tfjs') as typeof Tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof TfWasm;
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as typeof FaceApi;
  /* eslint-enable @typescript-eslint/no-require-imports */
  wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) throw new Error('cannot start the tfjs wasm backend');
  await tf.ready();
  const net = faceapi.nets.faceExpressionNet;
  if (!net.isLoaded) await net.loadFromDisk(faceApiModelDir());
  if (FACEAPI_EXPRESSION_LABELS.length !== FACEAPI_KEYS.length) throw new Error('label lists differ in length');
  return {
    async predict(rgb, side) {
      const input = tf.tensor3d(Int32Array.from(rgb), [side, side, 3], 'int32');
      try {
        const result = (await net.predictExpressions(input as unknown as FaceApi.TNetInput)) as FaceApi.FaceExpressions;
        return FACEAPI_KEYS.map((k) => result[k]);
      } finally {
        input.dispose();
      }
    },
  };
}
