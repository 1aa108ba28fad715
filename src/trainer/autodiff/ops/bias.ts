import { add, reduceSum, reshape } from '../../onnx/ops';
import type { DiffOp } from '../tape';

/**
 * y = x + b over channels, x (N, C, H, W) and b (C): the bias of a convolution that has one (face-api's convs,
 * which fold no BatchNorm), kept apart from Conv2d so its bias-free rules stay as they are. The backward is
 * dx = dy and db = Σ over N, H, W of dy.
 */
export const ChannelBias: DiffOp = {
  name: 'ChannelBias',
  forward: (g, [x, b]) => {
    const c = x!.shape[1];
    if (x!.shape.length !== 4 || b!.shape.length !== 1 || b!.shape[0] !== c) {
      throw new RangeError(`ChannelBias needs x (N,C,H,W) and b (C), got [${x!.shape}] and [${b!.shape}]`);
    }
    return { outputs: [add(g, x!, reshape(g, b!, [1, c!, 1, 1]))], saved: undefined };
  },
  backward: (g, _ctx, [dy], needed) => [dy, needed[1] ? reduceSum(g, dy!, [0, 2, 3], false) : undefined],
};
