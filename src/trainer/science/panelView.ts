/**
 * The plain data an explanation panel draws: faces, maps over the face frame, expressions with their AUs. The worker
 * fills these (explain/panelData.ts) and the webview reads them (webview/protocol/explain.ts); both import this one
 * declaration, so the two sides cannot drift apart.
 */
import type { Box, Point } from './types';

export interface PanelFace {
  readonly index: number;
  readonly box: Box;
  readonly score: number;
  /** How the face was found: 'detector', 'padded' or 'whole-image'. */
  readonly method: string;
  readonly landmarks: readonly Point[];
}

export interface PanelMap {
  /** Unique within one result, e.g. `au`, `attention:stage3`, `cam:gradcam++`, `au:happy`. */
  readonly id: string;
  readonly kind: 'au' | 'attention' | 'cam';
  readonly title: string;
  /** The report's key for this map's cosine, localisation and energy shares (a layer or CAM method name). */
  readonly key: string;
  readonly side: number;
  /** side² values in [0, 1] over the face frame, row-major. */
  readonly data: Float32Array;
}

export interface PanelAu {
  readonly au: string;
  readonly facs: number;
  readonly name: string;
}

export interface PanelExpression {
  readonly expression: string;
  readonly aus: readonly PanelAu[];
  /** The id of its map; absent when the map is invalid (see note). */
  readonly mapId?: string;
  readonly note?: string;
}
